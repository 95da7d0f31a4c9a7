// http::parse_json: content type, syntax, UTF-8, depth and element limits.
#include <enfinito/http/message.hpp>

#include <boost/json.hpp>
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
  struct row {
    std::string body, type, code;
    int status;
  };
  std::vector<row> rows = {
      {"{\"a\":1}", "text/plain", "unsupported_media_type", 415},
      {"{\"a\":", "application/json", "invalid_json", 400},
      {"{\"a\":\"\xff\xfe\"}", "application/json", "invalid_json", 400},  // invalid UTF-8
      {std::string(9, '[') + std::string(9, ']'), "application/json", "json_too_deep", 400},
      {"[" +
           [] {
             std::string s;
             for (int i = 0; i < 60; ++i) s += (i ? ",1" : "1");
             return s;
           }() +
           "]",
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

// Issue 23: a body that is not I-JSON is a 400 naming the member, dotted and as a pointer.
BOOST_AUTO_TEST_CASE(refuses_duplicates_and_numbers_that_would_change_naming_the_member) {
  struct row {
    std::string body, code, field, pointer;
  };
  const std::vector<row> rows = {
      {R"({"to":"4915112345678","to":"4915199999999"})", "json_duplicate_member", "to", "/to"},
      {R"({"text":{"body":"x","body":"y"}})", "json_duplicate_member", "text.body", "/text/body"},
      {R"({"to":"4915112345678","n":1e999999})", "json_number_out_of_range", "n", "/n"},
      {R"({"a":[{"n":123456789012345678901234567890}]})", "json_number_out_of_range", "a[0].n", "/a/0/n"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.body) {
      body_case c(r.body);
      auto b = http::parse_json(c.req, {});
      BOOST_TEST(!b.value);
      BOOST_REQUIRE(b.error);
      BOOST_TEST(b.error->result_int() == 400u);
      BOOST_TEST(std::string(b.error->at(http::bhttp::field::content_type)) == "application/problem+json");
      const auto p = boost::json::parse(b.error->body()).as_object();
      BOOST_TEST(p.at("code").as_string() == r.code);
      BOOST_TEST(p.at("field").as_string() == r.field);
      BOOST_TEST(p.at("pointer").as_string() == r.pointer);
      BOOST_TEST(b.error->body().find("4915199999999") == std::string::npos);  // never a value back
      BOOST_REQUIRE(b.refusal);
      BOOST_TEST(b.refusal->field == r.field);
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
