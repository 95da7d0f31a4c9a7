// http::parse_json: content type, syntax, UTF-8, depth and element limits.
#include <enfinito/http/message.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {
struct body_case {
  http::beast_request msg;
  http::request req{msg, "/x", "", {}, "rid", {}, 0, nullptr};
  explicit body_case(std::string body, std::string type = "application/json") {
    msg.set(http::bhttp::field::content_type, type);
    msg.body() = std::move(body);
  }
};
std::string problem_code(const http::json_body& b) {
  if (!b.error) return "";
  auto& body = b.error->body();
  auto p = body.find("\"code\":\"");
  return body.substr(p + 8, body.find('"', p + 8) - p - 8);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(http_json_body)

BOOST_AUTO_TEST_CASE(accepts_valid_json) {
  body_case c(R"({"a":[1,2,{"b":"é"}]})", "application/json; charset=utf-8");
  auto b = http::parse_json(c.req, {});
  BOOST_REQUIRE(b.value);
  BOOST_TEST(!b.error);
}

BOOST_AUTO_TEST_CASE(refuses_bad_input_with_a_code) {
  http::json_limits lim{8, 50};
  struct row { std::string body, type, code; int status; };
  std::vector<row> rows = {
      {"{\"a\":1}", "text/plain", "unsupported_media_type", 415},
      {"{\"a\":", "application/json", "invalid_json", 400},
      {"{\"a\":\"\xff\xfe\"}", "application/json", "invalid_json", 400},  // invalid UTF-8
      {std::string(9, '[') + std::string(9, ']'), "application/json", "json_too_deep", 400},
      {"[" + [] { std::string s; for (int i = 0; i < 60; ++i) s += (i ? ",1" : "1"); return s; }() + "]",
       "application/json", "json_too_large", 400},
  };
  for (auto& r : rows) {
    BOOST_TEST_CONTEXT("body " << r.body.substr(0, 20) << " type " << r.type) {
      body_case c(r.body, r.type);
      auto b = http::parse_json(c.req, lim);
      BOOST_TEST(!b.value);
      BOOST_REQUIRE(b.error);
      BOOST_TEST(b.error->result_int() == static_cast<unsigned>(r.status));
      BOOST_TEST(problem_code(b) == r.code);
      BOOST_TEST(std::string(b.error->at(http::bhttp::field::content_type)) == "application/problem+json");
    }
  }
}

BOOST_AUTO_TEST_CASE(problem_has_rfc9457_members) {
  auto res = http::field_problem("to", "must be a phone number");
  auto& body = res.body();
  BOOST_TEST(res.result_int() == 400u);
  BOOST_TEST(body.find("\"field\":\"to\"") != std::string::npos);
  BOOST_TEST(body.find("\"status\":400") != std::string::npos);
  BOOST_TEST(body.find("\"type\":") != std::string::npos);
  BOOST_TEST(body.find("\"title\":") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
