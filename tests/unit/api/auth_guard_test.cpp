// api::authenticate's cookies: the session cookie's name and its deletion (`__Host-` and
// `Secure` under TLS).
#include <enfinito/api/auth_guard.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(api_auth_guard)

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
