// crypto::vault_source (reload after rotation) and crypto::remove_key (retire).
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault_source.hpp>

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

namespace {
using namespace enfinito;
const crypto::field_ref where{"instances", "ins_1", "access_token"};
}  // namespace

BOOST_AUTO_TEST_SUITE(crypto_vault_source)

BOOST_AUTO_TEST_CASE(refresh_picks_up_a_rotated_key_file) {
  test::temp_dir dir;
  const auto path = dir / "vault.key";
  BOOST_REQUIRE(crypto::create_keyring_file(path).has_value());
  auto src = crypto::vault_source::open(path);
  BOOST_REQUIRE(src.has_value());
  auto& s = **src;
  BOOST_TEST(s.current()->active_key_id() == 1u);
  const auto old_blob = s.current()->encrypt("tok", where);

  // Unchanged file: same vault object.
  auto same = s.refresh();
  BOOST_REQUIRE(same.has_value());
  BOOST_TEST(same->get() == s.current().get());

  // rotate-key in another process: a blob sealed under key 2 is unknown until refresh.
  BOOST_REQUIRE(crypto::add_key(path).has_value());
  const crypto::vault outside(*crypto::load_keyring(path));
  const auto new_blob = outside.encrypt("tok", where);
  auto before = s.current()->decrypt(new_blob, where);
  BOOST_TEST((!before && before.error() == crypto::error::unknown_key_id));
  auto fresh = s.refresh();
  BOOST_REQUIRE(fresh.has_value());
  BOOST_TEST((*fresh)->active_key_id() == 2u);
  BOOST_TEST(s.current()->decrypt(new_blob, where)->reveal() == "tok");
  BOOST_TEST(s.current()->decrypt(old_blob, where)->reveal() == "tok");
  BOOST_TEST(s.current()->needs_rekey(old_blob));

  // A broken file keeps the working vault.
  ::chmod(path.c_str(), 0644);
  BOOST_TEST(!s.refresh().has_value());
  BOOST_TEST(s.current()->active_key_id() == 2u);
}

BOOST_AUTO_TEST_CASE(remove_key_retires_only_old_keys) {
  test::temp_dir dir;
  const auto path = dir / "vault.key";
  BOOST_REQUIRE(crypto::create_keyring_file(path).has_value());
  BOOST_REQUIRE(crypto::add_key(path).has_value());
  BOOST_REQUIRE(crypto::add_key(path).has_value());
  const auto lookup_before = crypto::vault(*crypto::load_keyring(path)).lookup_hash("p", "1");

  auto active = crypto::remove_key(path, 3);
  BOOST_TEST((!active && active.error() == crypto::error::key_is_active));
  auto missing = crypto::remove_key(path, 7);
  BOOST_TEST((!missing && missing.error() == crypto::error::no_such_key));
  BOOST_REQUIRE(crypto::remove_key(path, 1).has_value());

  auto ring = crypto::load_keyring(path);
  BOOST_REQUIRE(ring.has_value());
  BOOST_TEST(ring->ids() == (std::vector<std::uint32_t>{2, 3}));
  // The lookup key is untouched, so stored lookup hashes still match.
  BOOST_TEST(crypto::vault(*ring).lookup_hash("p", "1") == lookup_before);
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_SUITE_END()
