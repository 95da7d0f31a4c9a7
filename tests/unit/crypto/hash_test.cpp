// Unit tests for crypto/hash: SHA-256 and HMAC-SHA256 vectors (FIPS 180, RFC 4231), Meta's
// webhook signature example, the empty-key trap of the reused context, constant-time compare.
#include <enfinito/crypto/hash.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace enfinito::crypto;

BOOST_AUTO_TEST_SUITE(crypto_hash)

BOOST_AUTO_TEST_CASE(sha256_known_values) {
  BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto d = sha256("abc");
  BOOST_TEST(d[0] == 0xba);
  BOOST_TEST(d[31] == 0xad);
}

// The same digest whether the data comes at once or in pieces of any size (a download).
BOOST_AUTO_TEST_CASE(sha256_stream_equals_the_one_shot_digest) {
  std::string data;
  for (int i = 0; i < 200000; ++i) data.push_back(static_cast<char>(i * 7 + (i >> 9)));
  for (std::size_t piece : {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{65536}, data.size()}) {
    sha256_stream s;
    for (std::size_t at = 0; at < data.size(); at += piece) s.update(std::string_view(data).substr(at, piece));
    BOOST_TEST((s.finish() == sha256(data)), "piece size " << piece);
  }
  sha256_stream empty;
  BOOST_TEST((empty.finish() == sha256("")));
}

// RFC 4231 section 4: test cases 1, 2 and 6 (short key, text key, key longer than a block).
BOOST_AUTO_TEST_CASE(hmac_rfc4231_vectors) {
  const std::vector<unsigned char> key1(20, 0x0b);
  BOOST_TEST(hmac_sha256_hex(key1, "Hi There") == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  BOOST_TEST(hmac_sha256_hex(std::string_view("Jefe"), "what do ya want for nothing?") ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::vector<unsigned char> key6(131, 0xaa);
  BOOST_TEST(hmac_sha256_hex(key6, "Test Using Larger Than Block-Size Key - Hash Key First") ==
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  const auto raw = hmac_sha256(key1, "Hi There");
  BOOST_TEST(raw[0] == 0xb0);
  BOOST_TEST(raw[31] == 0xf7);
}

// The per-thread context is re-keyed on each call; an empty key must not silently reuse the
// previous caller's key (EVP_MAC_init treats a null key pointer as "keep the old one").
BOOST_AUTO_TEST_CASE(hmac_empty_key_after_other_key) {
  (void)hmac_sha256_hex(std::string_view("Jefe"), "warm up the context with a real key");
  BOOST_TEST(hmac_sha256_hex(std::string_view(), "") ==
             "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  BOOST_TEST(hmac_sha256_hex(std::string_view("Jefe"), "what do ya want for nothing?") ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(hmac_is_thread_safe) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      const std::string key(static_cast<std::size_t>(t + 1), 'k');
      const std::string expect = hmac_sha256_hex(key, "payload");
      int good = 0;
      for (int i = 0; i < 2000; ++i) good += hmac_sha256_hex(key, "payload") == expect;
      ok[t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) BOOST_TEST(ok[t] == 2000);
  BOOST_TEST(hmac_sha256_hex(std::string_view("k"), "payload") != hmac_sha256_hex(std::string_view("kk"), "payload"));
}

// Meta's X-Hub-Signature-256 examples, read from the shared fixtures (never copied here).
BOOST_AUTO_TEST_CASE(meta_webhook_signature_examples) {
  const std::filesystem::path dir = ENFINITO_SHARED_DIR "/meta/fixtures";
  int checked = 0;
  for (const char* name : {"webhook-signature-example.json", "webhook-signature-example-unicode.json"}) {
    const auto path = dir / name;
    if (!std::filesystem::exists(path)) {
      BOOST_TEST_MESSAGE("skipping: fixture not found: " << path.string());
      continue;
    }
    BOOST_TEST_CONTEXT("fixture " << name) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const auto doc = boost::json::parse(ss.str()).as_object();
      const std::string secret(doc.at("app_secret").as_string());
      const std::string body(doc.at("raw_body").as_string());
      std::string header(doc.at("header_value").as_string());
      BOOST_TEST_REQUIRE(header.rfind("sha256=", 0) == 0u);
      const std::string expected = header.substr(7);

      const std::string got = hmac_sha256_hex(secret, body);
      BOOST_TEST(got == expected);
      BOOST_TEST(constant_time_equal(got, expected));
      // One changed byte of the body must change the signature.
      std::string tampered = body;
      tampered[tampered.size() / 2] ^= 1;
      BOOST_TEST(!constant_time_equal(hmac_sha256_hex(secret, tampered), expected));
      ++checked;
    }
  }
  if (checked == 0) BOOST_TEST_MESSAGE("no Meta signature fixture present; nothing checked");
}

BOOST_AUTO_TEST_CASE(constant_time_equal_cases) {
  BOOST_TEST(constant_time_equal("", ""));
  BOOST_TEST(constant_time_equal("abc", "abc"));
  BOOST_TEST(!constant_time_equal("abc", "abd"));
  BOOST_TEST(!constant_time_equal("abc", "bbc"));
  BOOST_TEST(!constant_time_equal("abc", "ab"));
  BOOST_TEST(!constant_time_equal("ab", "abc"));
  BOOST_TEST(!constant_time_equal("abc", ""));
  BOOST_TEST(!constant_time_equal("", "abc"));
  // Embedded NULs are compared, not treated as terminators.
  BOOST_TEST(!constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  BOOST_TEST(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
}

BOOST_AUTO_TEST_SUITE_END()
