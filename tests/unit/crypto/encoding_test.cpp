// Unit tests for crypto/encoding and crypto/random: round trips, RFC 4648 vectors, strict rejection.
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/random.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace enfinito::crypto;

namespace {
std::string as_string(const std::vector<unsigned char>& v) { return {v.begin(), v.end()}; }
}  // namespace

BOOST_AUTO_TEST_SUITE(crypto_encoding)

BOOST_AUTO_TEST_CASE(hex_round_trip_all_byte_values) {
  std::vector<unsigned char> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<unsigned char>(i);
  const std::string hex = hex_encode(all);
  BOOST_TEST(hex.size() == 512u);
  BOOST_TEST(hex.substr(0, 8) == "00010203");
  BOOST_TEST(hex.substr(504) == "fcfdfeff");
  auto back = hex_decode(hex);
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(*back == all);
}

BOOST_AUTO_TEST_CASE(hex_accepts_upper_case) {
  auto v = hex_decode("DEADbeef");
  BOOST_TEST_REQUIRE(v.has_value());
  BOOST_TEST(hex_encode(*v) == "deadbeef");
}

BOOST_AUTO_TEST_CASE(hex_rejects_bad_input) {
  for (const char* bad : {"0", "abc", "zz", "0g", " 00", "00 ", "0x00", "00\n"}) {
    BOOST_TEST_CONTEXT("input " << bad) {
      auto v = hex_decode(bad);
      BOOST_TEST(!v.has_value());
      if (!v) BOOST_TEST(v.error() == make_error_code(error::invalid_encoding));
    }
  }
}

// RFC 4648 section 10 test vectors.
BOOST_AUTO_TEST_CASE(base64_rfc4648_vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, b64] : vectors) {
    BOOST_TEST_CONTEXT("plain " << plain) {
      BOOST_TEST(base64_encode(std::string_view(plain)) == b64);
      auto back = base64_decode(b64);
      BOOST_TEST_REQUIRE(back.has_value());
      BOOST_TEST(as_string(*back) == plain);
      // base64url without padding.
      std::string url(b64);
      while (!url.empty() && url.back() == '=') url.pop_back();
      BOOST_TEST(base64url_encode(std::string_view(plain)) == url);
      auto back_url = base64url_decode(url);
      BOOST_TEST_REQUIRE(back_url.has_value());
      BOOST_TEST(as_string(*back_url) == plain);
    }
  }
}

BOOST_AUTO_TEST_CASE(base64_and_url_alphabets_differ) {
  const std::vector<unsigned char> v = {0xfb, 0xff, 0xbf};
  BOOST_TEST(base64_encode(v) == "+/+/");
  BOOST_TEST(base64url_encode(v) == "-_-_");
  BOOST_TEST(!base64_decode("-_-_").has_value());
  BOOST_TEST(!base64url_decode("+/+/").has_value());
}

BOOST_AUTO_TEST_CASE(base64_round_trip_random_lengths) {
  for (std::size_t n = 0; n < 70; ++n) {
    std::vector<unsigned char> v(n);
    random_bytes(v);
    auto a = base64_decode(base64_encode(v));
    auto b = base64url_decode(base64url_encode(v));
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST_REQUIRE(b.has_value());
    BOOST_TEST(*a == v);
    BOOST_TEST(*b == v);
  }
}

BOOST_AUTO_TEST_CASE(base64_rejects_bad_input) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v!A==", "=Zm9", "Zm=v",
                          "Zh==" /* non-zero trailing bits */, "Zm9=" /* ditto */}) {
    BOOST_TEST_CONTEXT("input " << bad) {
      auto v = base64_decode(bad);
      BOOST_TEST(!v.has_value());
      if (!v) BOOST_TEST(v.error() == make_error_code(error::invalid_encoding));
    }
  }
}

BOOST_AUTO_TEST_CASE(base64url_rejects_bad_input) {
  for (const char* bad : {"Zg==", "Zm8=", "Z", "Zm9vY", "Zm9v+", "Zm9v/", "Zm9v.", "Zh", "Zm 9"}) {
    BOOST_TEST_CONTEXT("input " << bad) {
      auto v = base64url_decode(bad);
      BOOST_TEST(!v.has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(crypto_random)

BOOST_AUTO_TEST_CASE(token_and_hex_shapes) {
  const std::string t = random_token(32);
  BOOST_TEST(t.size() == 43u);
  BOOST_TEST(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             std::string::npos);
  auto raw = base64url_decode(t);
  BOOST_TEST_REQUIRE(raw.has_value());
  BOOST_TEST(raw->size() == 32u);

  const std::string h = random_hex(16);
  BOOST_TEST(h.size() == 32u);
  BOOST_TEST(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(random_token(0).empty());
}

BOOST_AUTO_TEST_CASE(time_ordered_tokens_sort_by_creation_and_stay_random) {
  const std::string first = time_ordered_token(16);
  BOOST_TEST(first.size() == 12u + 22u);
  BOOST_TEST(first.substr(0, 12).find_first_not_of("0123456789abcdef") == std::string::npos);
  auto raw = base64url_decode(first.substr(12));
  BOOST_TEST_REQUIRE(raw.has_value());
  BOOST_TEST(raw->size() == 16u);
  // A real wait: the token's time prefix is the wall clock's millisecond.
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const std::string later = time_ordered_token(16);
  BOOST_TEST(first < later);                         // byte order = creation order
  BOOST_TEST(first.substr(12) != later.substr(12));  // the random part is not derived
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) BOOST_TEST(seen.insert(time_ordered_token(16)).second);  // same ms: still unique
}

BOOST_AUTO_TEST_CASE(values_do_not_repeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) BOOST_TEST(seen.insert(random_token(16)).second);
  std::vector<unsigned char> a(32), b(32);
  random_bytes(a);
  random_bytes(b);
  BOOST_TEST(a != b);
}

BOOST_AUTO_TEST_SUITE_END()
