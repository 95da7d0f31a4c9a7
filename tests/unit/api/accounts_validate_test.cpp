// The accounts input rules: email normalisation (no header injection, one recipient), names,
// and the session cookie's name.
#include <enfinito/api/auth_guard.hpp>

#include "api/accounts_validate.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace enfinito;
using namespace enfinito::api::detail;

BOOST_AUTO_TEST_SUITE(api_accounts_validate)

BOOST_AUTO_TEST_CASE(emails_are_lower_cased_and_refused_when_unsafe) {
  BOOST_TEST(*normalize_email("Ada@Example.COM") == "ada@example.com");
  BOOST_TEST(normalize_email("a+tag@mail.example.org").has_value());
  for (const std::string& bad : std::vector<std::string>{
           "", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b@c.com", "a b@c.com", "a@c.com\r\nBcc: x@y.z",
           "a@c.com\n", "a,b@c.com", "<a@c.com>", "a@.com", "a@c..com", "\xc3\xa4@c.com",
           std::string(65, 'a') + "@c.com", "a@" + std::string(260, 'b') + ".com"})
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!normalize_email(bad).has_value()); }
}

BOOST_AUTO_TEST_CASE(names_are_one_to_a_hundred_characters_without_controls) {
  BOOST_TEST(name_ok("Ada"));
  BOOST_TEST(name_ok("Zoë Ångström"));
  BOOST_TEST(name_ok(std::string(100, 'n')));
  BOOST_TEST(!name_ok(std::string(101, 'n')));
  BOOST_TEST(!name_ok(""));
  BOOST_TEST(!name_ok("   "));
  BOOST_TEST(!name_ok("a\nb"));
  BOOST_TEST(!name_ok("a\x7f"));
}

BOOST_AUTO_TEST_CASE(session_cookie_is_host_prefixed_under_tls) {
  config::settings s;
  BOOST_TEST(api::session_cookie_name(s) == "enfinito_session");
  BOOST_TEST(api::expired_session_cookie(s).find("Secure") == std::string::npos);
  s.server.tls_cert_file = "c.pem";
  s.server.tls_key_file = "k.pem";
  BOOST_TEST(api::session_cookie_name(s) == "__Host-enfinito_session");
  auto c = api::expired_session_cookie(s);
  BOOST_TEST(c.find("; Secure") != std::string::npos);
  BOOST_TEST(c.find("Path=/") != std::string::npos);
  BOOST_TEST(c.find("Domain") == std::string::npos);  // __Host- forbids it
}

BOOST_AUTO_TEST_SUITE_END()
