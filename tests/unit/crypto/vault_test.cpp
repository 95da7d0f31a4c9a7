// Unit tests for crypto/vault (privacy promise P1): round trip, tampering, truncated tags,
// binding to table/row/field, key ids, rotation and lookup hashes.
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault.hpp>

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;
using namespace enfinito::crypto;

namespace {

const field_ref token_ref{"instances", "inst_42", "access_token"};

// A key file in a temp dir and a vault over it.
struct vault_fixture {
  test::temp_dir dir;
  std::filesystem::path key_file = dir / "vault.keys";
  vault_fixture() { BOOST_TEST_REQUIRE(create_keyring_file(key_file).has_value()); }
  vault load() {
    auto k = load_keyring(key_file);
    BOOST_TEST_REQUIRE(k.has_value());
    return vault(std::move(*k));
  }
};

std::string with_key_id(std::string blob, std::uint32_t id) {
  blob[1] = static_cast<char>(id >> 24);
  blob[2] = static_cast<char>(id >> 16);
  blob[3] = static_cast<char>(id >> 8);
  blob[4] = static_cast<char>(id);
  return blob;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crypto_vault)

BOOST_FIXTURE_TEST_CASE(round_trip_and_format, vault_fixture) {
  const vault v = load();
  const std::string token = "EAAGm0PX4ZCpsBAExampleAccessToken";
  const std::string blob = v.encrypt(token, token_ref);
  BOOST_TEST(blob.size() == token.size() + vault_overhead);
  BOOST_TEST(static_cast<unsigned char>(blob[0]) == 0x01);
  BOOST_TEST(vault::blob_key_id(blob).value_or(0) == 1u);
  BOOST_TEST(blob.find(token) == std::string::npos);
  auto plain = v.decrypt(blob, token_ref);
  BOOST_TEST_REQUIRE(plain.has_value());
  BOOST_TEST(plain->reveal() == token);

  auto empty = v.decrypt(v.encrypt("", token_ref), token_ref);
  BOOST_TEST_REQUIRE(empty.has_value());
  BOOST_TEST(empty->reveal().empty());
}

// Every single-byte change anywhere (version, key id, nonce, ciphertext, tag) is refused.
BOOST_FIXTURE_TEST_CASE(tampered_byte_fails, vault_fixture) {
  const vault v = load();
  const std::string blob = v.encrypt("app-secret-value", token_ref);
  for (std::size_t i = 0; i < blob.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80}) {
      BOOST_TEST_CONTEXT("byte " << i << " mask " << int(mask)) {
        std::string t = blob;
        t[i] = static_cast<char>(t[i] ^ mask);
        auto r = v.decrypt(t, token_ref);
        BOOST_TEST(!r.has_value());
        if (!r && (i < 1 || i >= 5)) BOOST_TEST(r.error() == make_error_code(error::decrypt_failed));
      }
    }
  }
}

BOOST_FIXTURE_TEST_CASE(truncated_blobs_fail, vault_fixture) {
  const vault v = load();
  for (std::size_t n : {0u, 3u, 64u}) {
    const std::string blob = v.encrypt(std::string(n, 's'), token_ref);
    for (std::size_t cut = 1; cut <= 15; ++cut) {
      BOOST_TEST_CONTEXT("plaintext " << n << " cut " << cut) {
        auto r = v.decrypt(blob.substr(0, blob.size() - cut), token_ref);
        BOOST_TEST(!r.has_value());
        if (!r) BOOST_TEST(r.error() == make_error_code(error::decrypt_failed));
      }
    }
    // The tag cut to 12 bytes, header, nonce and ciphertext intact.
    BOOST_TEST(!v.decrypt(blob.substr(0, 1 + 4 + 12 + n + 12), token_ref).has_value());
    // Header only; nothing.
    BOOST_TEST(!v.decrypt(blob.substr(0, 5), token_ref).has_value());
    BOOST_TEST(!v.decrypt("", token_ref).has_value());
  }
}

BOOST_FIXTURE_TEST_CASE(bound_to_table_row_and_field, vault_fixture) {
  const vault v = load();
  const std::string blob = v.encrypt("token", token_ref);
  const field_ref others[] = {
      {"instances", "inst_43", "access_token"},   // another row
      {"instances", "inst_42", "app_secret"},     // another field
      {"webhooks", "inst_42", "access_token"},    // another table
      {"instances", "inst_42", "access_token "},  // one extra byte
      {"", "", ""},
  };
  for (const auto& w : others) {
    BOOST_TEST_CONTEXT("to " << w.table << "/" << w.row_id << "/" << w.field) {
      auto r = v.decrypt(blob, w);
      BOOST_TEST(!r.has_value());
      if (!r) BOOST_TEST(r.error() == make_error_code(error::decrypt_failed));
    }
  }
  BOOST_TEST(v.decrypt(blob, token_ref).has_value());

  // Length prefixes: moving a boundary between adjacent parts is a different binding.
  const std::string shifted = v.encrypt("x", {"ab", "c", "f"});
  BOOST_TEST(!v.decrypt(shifted, {"a", "bc", "f"}).has_value());
  BOOST_TEST(!v.decrypt(shifted, {"abc", "", "f"}).has_value());
  BOOST_TEST(v.decrypt(shifted, {"ab", "c", "f"}).has_value());
  const std::string shifted2 = v.encrypt("x", {"t", "ab", "c"});
  BOOST_TEST(!v.decrypt(shifted2, {"t", "a", "bc"}).has_value());
  BOOST_TEST(!v.decrypt(shifted2, {"t", "abc", ""}).has_value());
  BOOST_TEST(v.decrypt(shifted2, {"t", "ab", "c"}).has_value());
}

BOOST_FIXTURE_TEST_CASE(edited_and_unknown_key_ids, vault_fixture) {
  BOOST_TEST_REQUIRE(add_key(key_file).has_value());
  const vault v = load();
  BOOST_TEST(v.active_key_id() == 2u);
  const std::string blob = v.encrypt("token", token_ref);

  // Relabelled to another key the keyring holds: fails authentication.
  auto edited = v.decrypt(with_key_id(blob, 1), token_ref);
  BOOST_TEST_REQUIRE(!edited.has_value());
  BOOST_TEST(edited.error() == make_error_code(error::decrypt_failed));

  // Relabelled to an id the keyring does not hold: its own error.
  for (std::uint32_t id : {0u, 3u, 7u, 0x01000002u, 0xffffffffu}) {
    BOOST_TEST_CONTEXT("id " << id) {
      auto r = v.decrypt(with_key_id(blob, id), token_ref);
      BOOST_TEST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error() == make_error_code(error::unknown_key_id));
    }
  }
  BOOST_TEST(make_error_code(error::unknown_key_id) != make_error_code(error::decrypt_failed));

  // An unknown format version is refused.
  std::string v2 = blob;
  v2[0] = 0x02;
  BOOST_TEST(!v.decrypt(v2, token_ref).has_value());
}

BOOST_FIXTURE_TEST_CASE(rotation_keeps_old_blobs_readable, vault_fixture) {
  const vault v1 = load();
  BOOST_TEST(v1.active_key_id() == 1u);
  const std::string old_blob = v1.encrypt("old-token", token_ref);
  BOOST_TEST(!v1.needs_rekey(old_blob));

  auto id = add_key(key_file);
  BOOST_TEST_REQUIRE(id.has_value());
  BOOST_TEST(*id == 2u);

  const vault v2 = load();
  BOOST_TEST(v2.active_key_id() == 2u);
  auto old_plain = v2.decrypt(old_blob, token_ref);
  BOOST_TEST_REQUIRE(old_plain.has_value());
  BOOST_TEST(old_plain->reveal() == "old-token");

  const std::string new_blob = v2.encrypt("new-token", token_ref);
  BOOST_TEST(vault::blob_key_id(new_blob).value_or(0) == 2u);
  BOOST_TEST(v2.needs_rekey(old_blob));
  BOOST_TEST(!v2.needs_rekey(new_blob));
  BOOST_TEST(v2.needs_rekey("garbage"));

  // Re-key: decrypt with the old key, encrypt under the active one.
  const std::string rekeyed = v2.encrypt(old_plain->reveal(), token_ref);
  BOOST_TEST(!v2.needs_rekey(rekeyed));
  BOOST_TEST(v2.decrypt(rekeyed, token_ref)->reveal() == "old-token");

  // The old vault (keyring without key 2) cannot read the new blob, and says why.
  auto unknown = v1.decrypt(new_blob, token_ref);
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST(unknown.error() == make_error_code(error::unknown_key_id));
}

BOOST_FIXTURE_TEST_CASE(lookup_hash_stable_across_rotation, vault_fixture) {
  const vault v1 = load();
  const std::string h1 = v1.lookup_hash("phone_number_id", "106540352242922");
  BOOST_TEST(h1.size() == 64u);
  BOOST_TEST(h1 == v1.lookup_hash("phone_number_id", "106540352242922"));
  BOOST_TEST(h1 != v1.lookup_hash("waba_id", "106540352242922"));
  BOOST_TEST(h1 != v1.lookup_hash("phone_number_id", "106540352242923"));
  // purpose || 0x00 || value: moving bytes between purpose and value changes the hash.
  BOOST_TEST(v1.lookup_hash("ab", "c") != v1.lookup_hash("a", "bc"));
  BOOST_TEST(h1.find("106540352242922") == std::string::npos);

  BOOST_TEST_REQUIRE(add_key(key_file).has_value());
  const vault v2 = load();
  BOOST_TEST(v2.active_key_id() == 2u);
  BOOST_TEST(v2.lookup_hash("phone_number_id", "106540352242922") == h1);

  // A different key file (different lookup key) gives a different hash.
  test::temp_dir other_dir;
  BOOST_TEST_REQUIRE(create_keyring_file(other_dir / "k").has_value());
  const vault other(std::move(*load_keyring(other_dir / "k")));
  BOOST_TEST(other.lookup_hash("phone_number_id", "106540352242922") != h1);
}

BOOST_AUTO_TEST_SUITE_END()
