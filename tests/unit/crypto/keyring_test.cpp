// Unit tests for crypto/keyring: parsing, refusals (each with its own error), file creation
// and atomic key addition.
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/keyring.hpp>

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

using namespace enfinito;
using namespace enfinito::crypto;

namespace {

std::string b64_key(std::size_t n, unsigned char fill) { return base64_encode(std::vector<unsigned char>(n, fill)); }

std::string good_text() {
  return "# test keys\n\nlookup " + b64_key(32, 0x11) + "\n1 " + b64_key(32, 0x01) + "\n3 " + b64_key(32, 0x03) + "\n";
}

unsigned file_mode(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crypto_keyring)

BOOST_AUTO_TEST_CASE(parses_keys_and_picks_highest_as_active) {
  auto k = parse_keyring(good_text());
  BOOST_TEST_REQUIRE(k.has_value());
  BOOST_TEST(k->active_id() == 3u);
  BOOST_TEST((k->ids() == std::vector<std::uint32_t>{1, 3}));
  BOOST_TEST_REQUIRE(k->find(1) != nullptr);
  BOOST_TEST((k->find(1)->reveal() == std::vector<unsigned char>(32, 0x01)));
  BOOST_TEST((k->active_key().reveal() == std::vector<unsigned char>(32, 0x03)));
  BOOST_TEST((k->lookup_key().reveal() == std::vector<unsigned char>(32, 0x11)));
  BOOST_TEST(k->find(2) == nullptr);
  // CRLF line ends and tabs are tolerated.
  auto crlf = parse_keyring("lookup\t" + b64_key(32, 1) + "\r\n7 " + b64_key(32, 2) + "\r\n");
  BOOST_TEST_REQUIRE(crlf.has_value());
  BOOST_TEST(crlf->active_id() == 7u);
}

BOOST_AUTO_TEST_CASE(refuses_bad_content_with_distinct_errors) {
  const std::string lk = "lookup " + b64_key(32, 9) + "\n";
  const std::string k1 = "1 " + b64_key(32, 1) + "\n";
  const std::pair<std::string, error> cases[] = {
      {lk + "1 " + b64_key(31, 1) + "\n", error::bad_key_length},
      {lk + "1 " + b64_key(33, 1) + "\n", error::bad_key_length},
      {lk + "1 " + b64_key(16, 1) + "\n", error::bad_key_length},
      {"lookup " + b64_key(31, 9) + "\n" + k1, error::bad_key_length},
      {lk + "1\n", error::malformed_key_file},
      {lk + k1 + "lookup\n", error::malformed_key_file},
      {lk + "0 " + b64_key(32, 1) + "\n", error::malformed_key_file},
      {lk + "01 " + b64_key(32, 1) + "\n", error::malformed_key_file},
      {lk + "-1 " + b64_key(32, 1) + "\n", error::malformed_key_file},
      {lk + "+1 " + b64_key(32, 1) + "\n", error::malformed_key_file},
      {lk + "4294967296 " + b64_key(32, 1) + "\n", error::malformed_key_file},
      {lk + "key1 " + b64_key(32, 1) + "\n", error::malformed_key_file},
      {lk + "1 " + b64_key(32, 1) + " extra\n", error::malformed_key_file},
      {lk + "1 not*base64*at*all*0123456789012345678901=\n", error::malformed_key_file},
      {lk + k1 + "1 " + b64_key(32, 2) + "\n", error::duplicate_key_id},
      {lk + lk + k1, error::duplicate_key_id},
      {lk, error::no_keys},
      {"# nothing\n", error::no_keys},
      {"", error::no_keys},
      {k1, error::missing_lookup_key},
  };
  for (const auto& [text, expected] : cases) {
    BOOST_TEST_CONTEXT("expected " << make_error_code(expected).message()) {
      auto k = parse_keyring(text);
      BOOST_TEST(!k.has_value());
      if (!k) BOOST_TEST(k.error() == make_error_code(expected));
    }
  }
  auto top = parse_keyring(lk + "4294967295 " + b64_key(32, 1) + "\n");
  BOOST_TEST_REQUIRE(top.has_value());
  BOOST_TEST(top->active_id() == 4294967295u);
}

BOOST_AUTO_TEST_CASE(load_refuses_missing_and_insecure_files) {
  test::temp_dir dir;
  auto missing = load_keyring(dir / "nope.keys");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error() == make_error_code(error::key_file_missing));

  for (unsigned mode : {0640u, 0604u, 0660u, 0644u, 0610u, 0601u}) {
    BOOST_TEST_CONTEXT("mode " << std::oct << mode) {
      const auto p = dir / "loose.keys";
      test::write_file(p, good_text(), mode);
      auto k = load_keyring(p);
      BOOST_TEST(!k.has_value());
      if (!k) BOOST_TEST(k.error() == make_error_code(error::key_file_insecure));
    }
  }
  for (unsigned mode : {0600u, 0400u}) {
    BOOST_TEST_CONTEXT("mode " << std::oct << mode) {
      const auto p = dir / ("ok" + std::to_string(mode) + ".keys");
      test::write_file(p, good_text(), mode);
      BOOST_TEST(load_keyring(p).has_value());
    }
  }
  auto d = load_keyring(dir.path());
  BOOST_TEST_REQUIRE(!d.has_value());
  BOOST_TEST(d.error() == make_error_code(error::key_file_not_regular));

  const auto shortk = dir / "short.keys";
  test::write_file(shortk, "lookup " + b64_key(32, 1) + "\n1 " + b64_key(24, 2) + "\n", 0600);
  auto s = load_keyring(shortk);
  BOOST_TEST_REQUIRE(!s.has_value());
  BOOST_TEST(s.error() == make_error_code(error::bad_key_length));

  const auto bad = dir / "bad.keys";
  test::write_file(bad, "lookup " + b64_key(32, 1) + "\nthis is not a key line\n", 0600);
  auto b = load_keyring(bad);
  BOOST_TEST_REQUIRE(!b.has_value());
  BOOST_TEST(b.error() == make_error_code(error::malformed_key_file));
}

// Refusal messages are fixed text: neither key material nor file content can appear in them.
BOOST_AUTO_TEST_CASE(error_messages_hold_no_key_material) {
  test::temp_dir dir;
  const std::string key = b64_key(31, 0x5a);
  const auto p = dir / "k";
  test::write_file(p, "lookup " + key + "\n1 " + key + "\n", 0600);
  auto k = load_keyring(p);
  BOOST_TEST_REQUIRE(!k.has_value());
  const std::string msg = k.error().message();
  BOOST_TEST(!msg.empty());
  BOOST_TEST(msg.find(key.substr(0, 8)) == std::string::npos);
  BOOST_TEST(msg.find("WlpaWlpa") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(create_makes_0600_file_and_never_overwrites) {
  test::temp_dir dir;
  const auto p = dir / "vault.keys";
  auto c = create_keyring_file(p);
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(file_mode(p) == 0600u);
  auto k = load_keyring(p);
  BOOST_TEST_REQUIRE(k.has_value());
  BOOST_TEST(k->active_id() == 1u);
  BOOST_TEST(k->active_key().reveal() != k->lookup_key().reveal());

  const std::string before = test::read_file(p);
  auto again = create_keyring_file(p);
  BOOST_TEST_REQUIRE(!again.has_value());
  BOOST_TEST(again.error() == make_error_code(error::key_file_exists));
  BOOST_TEST(test::read_file(p) == before);

  // Two new files get different keys.
  const auto q = dir / "other.keys";
  BOOST_TEST_REQUIRE(create_keyring_file(q).has_value());
  BOOST_TEST(load_keyring(q)->active_key().reveal() != k->active_key().reveal());
}

BOOST_AUTO_TEST_CASE(add_key_appends_next_id_and_keeps_old_keys) {
  test::temp_dir dir;
  const auto p = dir / "vault.keys";
  BOOST_TEST_REQUIRE(create_keyring_file(p).has_value());
  auto before = load_keyring(p);
  BOOST_TEST_REQUIRE(before.has_value());

  auto id = add_key(p);
  BOOST_TEST_REQUIRE(id.has_value());
  BOOST_TEST(*id == 2u);
  BOOST_TEST(*add_key(p) == 3u);
  BOOST_TEST(file_mode(p) == 0600u);

  auto after = load_keyring(p);
  BOOST_TEST_REQUIRE(after.has_value());
  BOOST_TEST((after->ids() == std::vector<std::uint32_t>{1, 2, 3}));
  BOOST_TEST(after->find(1)->reveal() == before->find(1)->reveal());
  BOOST_TEST(after->lookup_key().reveal() == before->lookup_key().reveal());
  BOOST_TEST(after->find(2)->reveal() != after->find(1)->reveal());
  // No temporary file is left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  BOOST_TEST(entries == 1);
}

BOOST_AUTO_TEST_CASE(add_key_refuses_insecure_or_missing_file) {
  test::temp_dir dir;
  const auto p = dir / "vault.keys";
  auto missing = add_key(p);
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error() == make_error_code(error::key_file_missing));
  test::write_file(p, good_text(), 0644);
  auto loose = add_key(p);
  BOOST_TEST_REQUIRE(!loose.has_value());
  BOOST_TEST(loose.error() == make_error_code(error::key_file_insecure));
}

BOOST_AUTO_TEST_CASE(make_checks_invariants) {
  std::map<std::uint32_t, core::secret_bytes> none;
  BOOST_TEST(!keyring::make(std::move(none), core::secret_bytes(std::vector<unsigned char>(32))).has_value());
  std::map<std::uint32_t, core::secret_bytes> short_key;
  short_key.emplace(1, core::secret_bytes(std::vector<unsigned char>(16)));
  auto r = keyring::make(std::move(short_key), core::secret_bytes(std::vector<unsigned char>(32)));
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error() == make_error_code(error::bad_key_length));
}

BOOST_AUTO_TEST_SUITE_END()
