// hooks::read_endpoint_change and the endpoint / delivery JSON (hooks/endpoint_fields.hpp).
#include <enfinito/hooks/endpoint_fields.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(hooks_endpoint_fields)

BOOST_AUTO_TEST_CASE(bodies_refused_by_field) {
  struct row {
    const char* body;
    bool create;
    const char* field;  // refused field, or nullptr when accepted
    const char* code;
  };
  const row rows[] = {
      {R"({"url":"https://example.com/h"})", true, nullptr, nullptr},
      {R"({})", true, "url", "invalid_field"},
      {R"({})", false, nullptr, nullptr},
      {R"([])", true, "", "invalid_body"},
      {R"({"url":1})", true, "url", "invalid_field"},
      {R"({"url":"https://x","state":"paused"})", true, "state", "invalid_field"},
      {R"({"state":"paused"})", false, nullptr, nullptr},
      {R"({"state":"off"})", false, "state", "invalid_field"},
      {R"({"format":"meta"})", false, nullptr, nullptr},
      {R"({"format":"xml"})", false, "format", "invalid_field"},
      {R"({"event_types":["message.received","Bad"]})", false, "event_types", "invalid_field"},
      {R"({"colour":"red"})", false, "colour", "unknown_field"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.body << (r.create ? " (create)" : " (patch)")) {
      hooks::endpoint_change in;
      auto bad = hooks::read_endpoint_change(json::parse(r.body), r.create, in);
      if (!r.field) {
        BOOST_TEST(!bad.has_value());
      } else {
        BOOST_TEST_REQUIRE(bad.has_value());
        BOOST_TEST(bad->field == r.field);
        BOOST_TEST(bad->code == r.code);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(event_types_deduplicated_and_capped) {
  hooks::endpoint_change in;
  BOOST_TEST(!hooks::read_endpoint_change(json::parse(R"({"event_types":["a.b","c","a.b"]})"), false, in));
  BOOST_TEST(*in.event_types == R"(["a.b","c"])");
  json::array many;
  for (std::size_t i = 0; i <= hooks::max_event_types; ++i) many.push_back(json::string("t" + std::to_string(i)));
  hooks::endpoint_change more;
  BOOST_TEST(hooks::read_endpoint_change(json::object{{"event_types", many}}, false, more).has_value());
  BOOST_TEST(!hooks::event_type_like(std::string(65, 'a')));
  BOOST_TEST(hooks::event_type_like(std::string(64, 'a')));
}

BOOST_AUTO_TEST_CASE(delivery_state_is_derived) {
  store::hooks::delivery d;
  d.next_attempt_at = 5;
  BOOST_TEST(hooks::delivery_json(d).at("state").as_string() == "pending");
  BOOST_TEST(hooks::delivery_json(d).at("last_error").is_null());
  d.delivered_at = 7;
  BOOST_TEST(hooks::delivery_json(d).at("state").as_string() == "delivered");
  BOOST_TEST(hooks::delivery_json(d).at("next_attempt_at").is_null());
  d.delivered_at.reset();
  d.next_attempt_at.reset();
  BOOST_TEST(hooks::delivery_json(d).at("state").as_string() == "failed");
  store::hooks::endpoint e;
  e.event_types = "not json";
  BOOST_TEST(hooks::endpoint_json(e).at("event_types").as_array().empty());
  BOOST_TEST(!hooks::endpoint_json(e).contains("secret"));
}

BOOST_AUTO_TEST_SUITE_END()
