// accounts totp: RFC 6238's test vectors (appendix B) for the three hashes, the acceptance
// window and the once-only rule with a manual clock, base32 (RFC 4648 vectors), the otpauth
// URI, and the recovery codes' form.
#include <enfinito/accounts/totp.hpp>

#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace enfinito;
namespace totp = accounts::totp;

BOOST_AUTO_TEST_SUITE(accounts_totp)

BOOST_AUTO_TEST_CASE(rfc_6238_test_vectors) {
  const std::string sha1_key = "12345678901234567890";
  const std::string sha256_key = "12345678901234567890123456789012";
  const std::string sha512_key = "1234567890123456789012345678901234567890123456789012345678901234";
  struct row {
    std::int64_t t;
    const char *sha1, *sha256, *sha512;
  };
  const row rows[] = {
      {59, "94287082", "46119246", "90693936"},         {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"}, {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"}, {20000000000, "65353130", "77737706", "47863826"}};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("T = " << r.t) {
      test::manual_clock clock{r.t * 1000};
      BOOST_TEST(totp::code_text(totp::code_at(sha1_key, clock.now(), 8, crypto::otp_hash::sha1), 8) == r.sha1);
      BOOST_TEST(totp::code_text(totp::code_at(sha256_key, clock.now(), 8, crypto::otp_hash::sha256), 8) == r.sha256);
      BOOST_TEST(totp::code_text(totp::code_at(sha512_key, clock.now(), 8, crypto::otp_hash::sha512), 8) == r.sha512);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_code_is_accepted_within_one_step_and_only_once) {
  const std::string key = "12345678901234567890";
  test::manual_clock clock;
  const auto code = totp::code_text(totp::code_at(key, clock.now()));
  const auto step = totp::step_at(clock.now());
  BOOST_TEST(code.size() == 6u);
  // Right now, with spaces, and 30 s later (clock drift): the same step.
  BOOST_TEST(totp::accept(key, code, clock.now(), 0).value_or(-1) == step);
  BOOST_TEST(totp::accept(key, code.substr(0, 3) + " " + code.substr(3), clock.now(), 0).value_or(-1) == step);
  clock.advance(std::chrono::seconds(30));
  BOOST_TEST(totp::accept(key, code, clock.now(), 0).value_or(-1) == step);
  // Once its step is used, never again; and not a minute later.
  BOOST_TEST(!totp::accept(key, code, clock.now(), step));
  clock.advance(std::chrono::seconds(31));
  BOOST_TEST(!totp::accept(key, code, clock.now(), 0));
  // A later code is still good after an earlier one was used.
  const auto later = totp::code_text(totp::code_at(key, clock.now()));
  BOOST_TEST(totp::accept(key, later, clock.now(), step).has_value());
  // Not digits, or the wrong length: refused.
  for (const char* bad : {"", "12345", "1234567", "12a456", "-12345"})
    BOOST_TEST(!totp::accept(key, bad, clock.now(), 0));
}

BOOST_AUTO_TEST_CASE(base32_is_rfc_4648_without_padding) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "MY"},
                                                         {"fo", "MZXQ"},
                                                         {"foo", "MZXW6"},
                                                         {"foob", "MZXW6YQ"},
                                                         {"fooba", "MZXW6YTB"},
                                                         {"foobar", "MZXW6YTBOI"}};
  for (auto [plain, coded] : vectors) {
    BOOST_TEST(totp::base32(plain) == coded);
    BOOST_TEST(totp::from_base32(coded).value_or("?") == plain);
  }
  BOOST_TEST(totp::from_base32("mzxw 6ytb oi======").value_or("?") == "foobar");
  BOOST_TEST(!totp::from_base32("MZXW1"));  // 1 is not in the alphabet
}

BOOST_AUTO_TEST_CASE(the_otpauth_uri_names_issuer_account_and_parameters) {
  BOOST_TEST(totp::otpauth_uri("Enfinito", "ada@example.com", "MZXW6YTBOI") ==
             "otpauth://totp/Enfinito:ada%40example.com?secret=MZXW6YTBOI&issuer=Enfinito&algorithm=SHA1&digits=6"
             "&period=30");
  BOOST_TEST(totp::otpauth_uri("My Gateway", "a", "X").starts_with("otpauth://totp/My%20Gateway:a?"));
}

BOOST_AUTO_TEST_CASE(recovery_codes_are_typed_loosely_and_read_strictly) {
  BOOST_TEST(totp::format_recovery_code("ABCDE23456") == "abcde-23456");
  BOOST_TEST(totp::normal_recovery_code("abcde-23456").value_or("?") == "abcde23456");
  BOOST_TEST(totp::normal_recovery_code(" ABCDE 23456 ").value_or("?") == "abcde23456");
  for (const char* bad : {"", "abcde-2345", "abcde-234567", "abcde-23451", "abc!e-23456"})
    BOOST_TEST(!totp::normal_recovery_code(bad));
}

BOOST_AUTO_TEST_SUITE_END()
