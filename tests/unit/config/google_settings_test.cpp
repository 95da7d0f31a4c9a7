// config: the [google] keys (defaults, validation of the provider endpoints).
#include <enfinito/config/settings.hpp>

#include <boost/test/unit_test.hpp>

using enfinito::config::config_error;
using enfinito::config::parse;

BOOST_AUTO_TEST_SUITE(config_google)

BOOST_AUTO_TEST_CASE(defaults_are_googles_endpoints_and_off) {
  auto s = parse("");
  BOOST_TEST(!s.google.enabled);
  BOOST_TEST(s.google.authorization_endpoint == "https://accounts.google.com/o/oauth2/v2/auth");
  BOOST_TEST(s.google.token_endpoint == "https://oauth2.googleapis.com/token");
  BOOST_TEST(s.google.jwks_uri == "https://www.googleapis.com/oauth2/v3/certs");
  BOOST_TEST(s.google.issuer == "https://accounts.google.com");
  BOOST_TEST(s.google.jwks_min_refresh_s == 30);
}

BOOST_AUTO_TEST_CASE(enabled_needs_a_client_id) {
  BOOST_CHECK_THROW(parse("[google]\nenabled = true\n"), config_error);
  auto s = parse("[google]\nenabled = true\nclient_id = \"abc.apps.example\"\n");
  BOOST_TEST(s.google.enabled);
  BOOST_TEST(s.google.client_id == "abc.apps.example");
}

BOOST_AUTO_TEST_CASE(endpoints_must_be_https_or_loopback_http) {
  const std::string base = "[google]\nenabled = true\nclient_id = \"c\"\n";
  BOOST_CHECK_NO_THROW(parse(base + "token_endpoint = \"http://127.0.0.1:9999/token\"\n"));
  BOOST_CHECK_NO_THROW(parse(base + "jwks_uri = \"http://[::1]:9999/jwks\"\n"));
  BOOST_CHECK_NO_THROW(parse(base + "jwks_uri = \"http://localhost:9999/jwks\"\n"));
  for (const char* bad :
       {"http://idp.example/token", "ftp://idp.example/token", "token", "http://user@127.0.0.1/token", "https://"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_CHECK_THROW(parse(base + "token_endpoint = \"" + bad + "\"\n"), config_error); }
  }
}

BOOST_AUTO_TEST_CASE(environment_sets_google_keys) {
  enfinito::config::load_options o;
  o.env = {{"ENFINITO_GOOGLE_ENABLED", "true"}, {"ENFINITO_GOOGLE_CLIENT_ID", "env-client"}};
  auto s = parse("", o);
  BOOST_TEST(s.google.enabled);
  BOOST_TEST(s.google.client_id == "env-client");
}

BOOST_AUTO_TEST_SUITE_END()
