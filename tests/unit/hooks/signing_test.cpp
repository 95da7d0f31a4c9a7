// Unit tests of hooks::signing: Standard Webhooks and Meta signatures, secrets, backoff, Retry-After.
#include <enfinito/crypto/hash.hpp>
#include <enfinito/hooks/signing.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(hooks_signing)

BOOST_AUTO_TEST_CASE(standard_webhooks_published_vector) {
  // The example of the Standard Webhooks libraries' test suites.
  auto sig = hooks::standard_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                       1614265330, R"({"test": 2432232314})");
  BOOST_REQUIRE(sig);
  BOOST_TEST(*sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  BOOST_TEST(!hooks::standard_signature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id", 1, "{}"));
  BOOST_TEST(!hooks::standard_signature("whsec_not base64!", "id", 1, "{}"));
}

BOOST_AUTO_TEST_CASE(meta_scheme) {
  BOOST_TEST(hooks::meta_signature("s3cret", "{}") == "sha256=" + crypto::hmac_sha256_hex("s3cret", "{}"));
}

BOOST_AUTO_TEST_CASE(secrets_are_fresh_and_well_formed) {
  auto a = hooks::new_secret(), b = hooks::new_secret();
  BOOST_TEST(a.reveal().rfind("whsec_", 0) == 0u);
  BOOST_TEST(a.reveal().size() == 6u + 32u);
  BOOST_TEST(a.reveal() != b.reveal());
  BOOST_TEST(hooks::standard_signature(a.reveal(), "id", 1, "{}").has_value());
}

BOOST_AUTO_TEST_CASE(backoff_doubles_with_jitter_and_caps) {
  for (int i = 0; i < 50; ++i) {
    auto d1 = hooks::backoff(1, milliseconds(1000), milliseconds(60'000));
    auto d3 = hooks::backoff(3, milliseconds(1000), milliseconds(60'000));
    auto d20 = hooks::backoff(20, milliseconds(1000), milliseconds(60'000));
    BOOST_TEST((d1.count() >= 750 && d1.count() <= 1000));
    BOOST_TEST((d3.count() >= 3000 && d3.count() <= 4000));
    BOOST_TEST((d20.count() >= 45'000 && d20.count() <= 60'000));
  }
}

BOOST_AUTO_TEST_CASE(retry_after_forms) {
  BOOST_TEST(hooks::parse_retry_after("120", 0)->count() == 120'000);
  BOOST_TEST(hooks::parse_retry_after(" 0 ", 0)->count() == 0);
  // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480
  BOOST_TEST(hooks::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30)->count() == 30'000);
  BOOST_TEST(hooks::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30)->count() == 0);
  BOOST_TEST(!hooks::parse_retry_after("soon", 0));
  BOOST_TEST(!hooks::parse_retry_after("-5", 0));
  BOOST_TEST(!hooks::parse_retry_after("12abc", 0));
  BOOST_TEST(!hooks::parse_retry_after("", 0));
}

BOOST_AUTO_TEST_SUITE_END()
