// Unit tests for crypto/aead: AES-256-GCM round trips, a known-answer test, tampering, short
// and truncated-tag inputs, wrong key and wrong associated data.
#include <enfinito/crypto/aead.hpp>
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/random.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

using namespace enfinito::crypto;

namespace {

struct keys_fixture {
  std::array<unsigned char, 32> key{};
  std::array<unsigned char, 32> other{};
  keys_fixture() {
    random_bytes(key);
    random_bytes(other);
  }
};

std::string flip(std::string s, std::size_t i) {
  s[i] = static_cast<char>(s[i] ^ 0x01);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crypto_aead)

BOOST_FIXTURE_TEST_CASE(round_trip_various_sizes, keys_fixture) {
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 64u, 1000u, 70000u}) {
    BOOST_TEST_CONTEXT("size " << n) {
      const std::string plain(n, 'x');
      const std::string sealed = seal(key, "aad", plain);
      BOOST_TEST(sealed.size() == n + aead_overhead);
      auto opened = open(key, "aad", sealed);
      BOOST_TEST_REQUIRE(opened.has_value());
      BOOST_TEST(opened->reveal() == plain);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(fresh_nonce_each_seal, keys_fixture) {
  const std::string a = seal(key, "", "same plaintext");
  const std::string b = seal(key, "", "same plaintext");
  BOOST_TEST(a.substr(0, aead_nonce_size) != b.substr(0, aead_nonce_size));
  BOOST_TEST(a != b);
}

// NIST GCM test vectors (gcmEncryptExtIV256.rsp, Keylen 256, IVlen 96, PTlen 128, AADlen 0,
// Count 0), to show the output layout is nonce || ciphertext || tag of real AES-256-GCM.
BOOST_AUTO_TEST_CASE(known_answer_opens) {
  auto key = hex_decode("31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22");
  auto iv = hex_decode("0d18e06c7c725ac9e362e1ce");
  auto ct = hex_decode("fa4362189661d163fcd6a56d8bf0405a");
  auto tag = hex_decode("d636ac1bbedd5cc3ee727dc2ab4a9489");
  BOOST_TEST_REQUIRE((key && iv && ct && tag));
  std::string sealed(iv->begin(), iv->end());
  sealed.append(ct->begin(), ct->end());
  sealed.append(tag->begin(), tag->end());
  auto opened = open(aead_key(key->data(), 32), "", sealed);
  BOOST_TEST_REQUIRE(opened.has_value());
  BOOST_TEST(hex_encode(opened->reveal()) == "2db5168e932556f8089a0622981d017d");
}

BOOST_FIXTURE_TEST_CASE(every_flipped_byte_fails, keys_fixture) {
  const std::string sealed = seal(key, "row 7", "EAAG-access-token");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    BOOST_TEST_CONTEXT("byte " << i) {
      auto r = open(key, "row 7", flip(sealed, i));
      BOOST_TEST(!r.has_value());
      if (!r) BOOST_TEST(r.error() == make_error_code(error::decrypt_failed));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(wrong_key_or_aad_fails, keys_fixture) {
  const std::string sealed = seal(key, "row 7", "secret");
  BOOST_TEST(!open(other, "row 7", sealed).has_value());
  BOOST_TEST(!open(key, "row 8", sealed).has_value());
  BOOST_TEST(!open(key, "", sealed).has_value());
  BOOST_TEST(open(key, "row 7", sealed).has_value());
}

BOOST_FIXTURE_TEST_CASE(shortened_inputs_fail, keys_fixture) {
  for (std::size_t n : {0u, 5u, 64u}) {
    const std::string sealed = seal(key, "a", std::string(n, 'p'));
    for (std::size_t cut = 1; cut <= 15; ++cut) {
      BOOST_TEST_CONTEXT("plaintext " << n << " cut " << cut) {
        auto r = open(key, "a", sealed.substr(0, sealed.size() - cut));
        BOOST_TEST(!r.has_value());
      }
    }
    // Only a nonce, or nothing at all.
    BOOST_TEST(!open(key, "a", sealed.substr(0, aead_nonce_size)).has_value());
    BOOST_TEST(!open(key, "a", "").has_value());
  }
}

// OpenSSL 3.0 verifies a truncated tag if it is handed one. A sealed value whose tag is cut to
// its first 12 bytes, ciphertext intact, must still be refused.
BOOST_FIXTURE_TEST_CASE(tag_cut_to_12_bytes_fails, keys_fixture) {
  for (std::size_t n : {0u, 4u, 64u}) {
    const std::string sealed = seal(key, "a", std::string(n, 'p'));
    const std::string cut = sealed.substr(0, aead_nonce_size + n + 12);
    BOOST_TEST_CONTEXT("plaintext " << n) { BOOST_TEST(!open(key, "a", cut).has_value()); }
  }
}

// Interleaving keys, directions and failures on one thread's reused context stays correct.
BOOST_FIXTURE_TEST_CASE(reused_context_interleaving, keys_fixture) {
  const std::string s1 = seal(key, "x", "one");
  const std::string s2 = seal(other, "y", "two");
  BOOST_TEST(!open(key, "y", s2).has_value());
  BOOST_TEST(open(other, "y", s2)->reveal() == "two");
  BOOST_TEST(!open(other, "x", s1).has_value());
  BOOST_TEST(open(key, "x", s1)->reveal() == "one");
  const std::string s3 = seal(key, "x", "three");
  BOOST_TEST(open(key, "x", s3)->reveal() == "three");
}

BOOST_AUTO_TEST_SUITE_END()
