// instances::alert_settings: the owner's alert choices shown and changed, without a store.
#include <enfinito/instances/alert_settings.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace {
using namespace enfinito;
namespace json = boost::json;
}  // namespace

BOOST_AUTO_TEST_SUITE(instances_alert_settings)

BOOST_AUTO_TEST_CASE(every_cause_shows_on_unless_turned_off) {
  auto o = instances::alert_settings("[\"webhooks_silent\"]");
  BOOST_TEST(o.size() == 4u);
  BOOST_TEST(o.at("needs_reauth").as_bool());
  BOOST_TEST(!o.at("webhooks_silent").as_bool());
  auto all_on = instances::alert_settings("not json");
  BOOST_TEST(all_on.at("webhooks_silent").as_bool());
}

BOOST_AUTO_TEST_CASE(changes_apply_to_the_stored_ones) {
  auto r = instances::apply_alert_changes("[\"webhooks_silent\"]",
                                          json::parse(R"({"needs_reauth":false,"webhooks_silent":true})").as_object());
  BOOST_REQUIRE(std::holds_alternative<std::string>(r));
  BOOST_TEST(std::get<std::string>(r) == "[\"needs_reauth\"]");
  auto kept = instances::apply_alert_changes("[\"token_expiring\"]", json::object{});
  BOOST_TEST(std::get<std::string>(kept) == "[\"token_expiring\"]");
}

BOOST_AUTO_TEST_CASE(unknown_causes_and_non_bools_are_refused) {
  auto r = instances::apply_alert_changes("[]", json::parse(R"({"birthday":true})").as_object());
  BOOST_REQUIRE(std::holds_alternative<meta::input_problem>(r));
  BOOST_TEST(std::get<meta::input_problem>(r).code == "unknown_field");
  r = instances::apply_alert_changes("[]", json::parse(R"({"needs_reauth":"no"})").as_object());
  BOOST_REQUIRE(std::holds_alternative<meta::input_problem>(r));
  BOOST_TEST(std::get<meta::input_problem>(r).field == "needs_reauth");
  BOOST_TEST(std::get<meta::input_problem>(r).code == "invalid_field");
}

BOOST_AUTO_TEST_SUITE_END()
