// core::log formatting: one line per event, untrusted text cannot forge lines or fields.
#include <enfinito/core/log.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/http/message.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(core_log)

BOOST_AUTO_TEST_CASE(one_line_with_fields) {
  auto line = core::log::format(core::log::level::info, "http.request", {{"status", 200}, {"path", "/v1/x"}});
  BOOST_TEST(line.find(" level=info event=http.request status=200 path=/v1/x\n") != std::string::npos);
  BOOST_TEST(line.rfind("ts=", 0) == 0);
}

BOOST_AUTO_TEST_CASE(untrusted_values_are_escaped) {
  auto line =
      core::log::format(core::log::level::warn, "x", {{"path", "/a\nts=forged level=error"}, {"q", "a b\"c\x01"}});
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
  BOOST_TEST(http::redact_query("limit=1&access_token=EAAG123&token=x&cursor=2") ==
             "limit=1&access_token=[redacted]&token=[redacted]&cursor=2");
  BOOST_TEST(http::redact_query("hub.mode=subscribe&hub.verify_token=abc&hub.challenge=9") ==
             "hub.mode=subscribe&hub.verify_token=[redacted]&hub.challenge=9");
  BOOST_TEST(http::redact_query("code=4/0Ab&password=p&state=s") ==
             "code=[redacted]&password=[redacted]&state=[redacted]");
  BOOST_TEST(http::redact_query("") == "");
}

// Issue 23 finding 5: only an allow-list of keys keeps its value; any other name is redacted,
// whatever it is called.
BOOST_AUTO_TEST_CASE(query_values_are_logged_by_allow_list) {
  for (auto name : {"api_key", "apikey", "auth", "bearer", "key", "Authorization", "x", "API_KEY"}) {
    BOOST_TEST_CONTEXT(name) {
      const std::string q = std::string(name) + "=enf_live_canary&limit=5";
      BOOST_TEST(http::redact_query(q) == std::string(name) + "=[redacted]&limit=5");
    }
  }
  BOOST_TEST(http::redact_query("api%5Fkey=enf_live_canary") == "[redacted]=[redacted]");
  BOOST_TEST(http::redact_query("cursor=c1&after=9&direction=in&status=sent&since=1&until=2&type=text&instance=ins_a"
                                "&fields=id&before=3") ==
             "cursor=c1&after=9&direction=in&status=sent&since=1&until=2&type=text&instance=ins_a&fields=id&before=3");
  // The personal and the credential-like stay out of the log too.
  BOOST_TEST(http::redact_query("peer=4915112345678&phone_number_id=1065") ==
             "peer=[redacted]&phone_number_id=[redacted]");
  // A bare name is kept only if it looks like a parameter name; a repeated allowed key is kept.
  BOOST_TEST(http::redact_query("flag&limit=1&limit=2") == "flag&limit=1&limit=2");
  BOOST_TEST(http::redact_query("a%20b=1&\"x\"") == "[redacted]=[redacted]&[redacted]");
}

// Issue 23 finding 5: Enfinito's keys and tokens are recognised by shape in every log line,
// whichever field carries them.
BOOST_AUTO_TEST_CASE(secrets_are_redacted_from_every_line_by_shape) {
  const std::string key = "enf_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd";
  const std::string token = "q9Wv3JkLmNoPqRsTuVwXyZ0123456789abcdefghijk";  // 43: random_token(32)
  BOOST_REQUIRE_EQUAL(token.size(), 43u);
  const std::string whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/x=";
  auto line = core::log::format(core::log::level::info, "http.request",
                                {{"query", "x=" + key},
                                 {"path", "/v1/reset/" + token},
                                 {"error", "bad secret " + whsec + " here"},
                                 {"note", "key" + key + ".tail"},
                                 {"pct", "a%20" + token}});
  BOOST_TEST(line.find("enf_live_A") == std::string::npos);
  BOOST_TEST(line.find(token) == std::string::npos);
  BOOST_TEST(line.find("MfKQ9r8") == std::string::npos);
  BOOST_TEST(line.find("x=[redacted]") != std::string::npos);
  BOOST_TEST(line.find("path=/v1/reset/[redacted]") != std::string::npos);
  BOOST_TEST(line.find("\"bad secret [redacted] here\"") != std::string::npos);
  BOOST_TEST(line.find("note=key[redacted].tail") != std::string::npos);
  BOOST_TEST(line.find("pct=a%20[redacted]") != std::string::npos);
  BOOST_TEST(std::count(line.begin(), line.end(), '\n') == 1);

  // What is not shaped like a secret stays: ids, hashes, counters, words naming a prefix.
  const std::string sha256_hex(64, 'a');
  const std::string ordinary = "ins_AbCdEfGhIjKlMnOpQrStUv msg_0192ab34cd56AbCdEfGhIjKlMnOpQrStUv " + sha256_hex +
                               " keys start with enf_live_ and whsec_ " + std::string(42, 'b') + " " +
                               std::string(44, 'c');
  std::string copy = ordinary;
  core::log::redact_secrets(copy);
  BOOST_TEST(copy == ordinary);
  std::string empty;
  core::log::redact_secrets(empty);
  BOOST_TEST(empty.empty());
  std::string only = token;
  core::log::redact_secrets(only);
  BOOST_TEST(only == "[redacted]");
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
