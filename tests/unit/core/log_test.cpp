// core::log formatting: one line per event, untrusted text cannot forge lines or fields.
#include <enfinito/core/log.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/http/message.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(core_log)

BOOST_AUTO_TEST_CASE(one_line_with_fields) {
  auto line = core::log::format(core::log::level::info, "http.request", {{"status", 200}, {"path", "/v1/x"}});
  BOOST_TEST(line.find(" level=info event=http.request status=200 path=/v1/x\n") != std::string::npos);
  BOOST_TEST(line.rfind("ts=", 0) == 0);
}

BOOST_AUTO_TEST_CASE(untrusted_values_are_escaped) {
  auto line = core::log::format(core::log::level::warn, "x",
                                {{"path", "/a\nts=forged level=error"}, {"q", "a b\"c\x01"}});
  BOOST_TEST(std::count(line.begin(), line.end(), '\n') == 1);  // only the terminator
  BOOST_TEST(line.find("path=\"/a\\nts=forged level=error\"") != std::string::npos);
  BOOST_TEST(line.find("q=\"a b\\\"c\\x01\"") != std::string::npos);
  auto empty = core::log::format(core::log::level::info, "x", {{"v", ""}});
  BOOST_TEST(empty.find("v=\"\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_values_only_reveal_on_purpose) {
  core::secret_string s("canary-token-123");
  BOOST_TEST(s.reveal() == "canary-token-123");
  BOOST_TEST(std::string(core::secret_string::redacted()) == "[redacted]");
  // Formatting a secret is a compile error: see tests/compile_fail/secret_stream.cpp (CTest).
}

BOOST_AUTO_TEST_CASE(query_secrets_are_redacted) {
  BOOST_TEST(http::redact_query("a=1&access_token=EAAG123&token=x&b=2") ==
             "a=1&access_token=[redacted]&token=[redacted]&b=2");
  BOOST_TEST(http::redact_query("hub.mode=subscribe&hub.verify_token=abc&hub.challenge=9") ==
             "hub.mode=subscribe&hub.verify_token=[redacted]&hub.challenge=9");
  BOOST_TEST(http::redact_query("code=4/0Ab&password=p&state=s") == "code=[redacted]&password=[redacted]&state=[redacted]");
  BOOST_TEST(http::redact_query("") == "");
}

BOOST_AUTO_TEST_CASE(credential_headers_are_redacted) {
  http::beast_request msg;
  msg.set(http::bhttp::field::authorization, "Bearer enf_live_canary");
  msg.set(http::bhttp::field::cookie, "enfinito_session=canary-session");
  msg.set("X-Api-Key", "canary-key");
  msg.set(http::bhttp::field::proxy_authorization, "Basic canary");
  msg.set(http::bhttp::field::user_agent, "curl/8");
  msg.set("X-Unknown", "maybe-secret");
  auto line = http::loggable_headers(msg);
  BOOST_TEST(line.find("canary") == std::string::npos);
  BOOST_TEST(line.find("maybe-secret") == std::string::npos);
  BOOST_TEST(line.find("Authorization: [redacted]") != std::string::npos);
  BOOST_TEST(line.find("Cookie: [redacted]") != std::string::npos);
  BOOST_TEST(line.find("User-Agent: curl/8") != std::string::npos);
  BOOST_TEST(line.find("X-Unknown") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
