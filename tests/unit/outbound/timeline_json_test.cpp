// outbound::timeline_json (pure): a message's timeline as the API shows it, entry by entry in
// the order given, each with at, kind, summary and detail.
#include <enfinito/outbound/timeline.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(outbound_timeline_json)

BOOST_AUTO_TEST_CASE(entries_keep_their_order_and_members) {
  std::vector<outbound::timeline_entry> entries(2);
  entries[0] = {10, "api_request", "accepted", boost::json::object{{"status", 202}}};
  entries[1] = {20, "attempt", "sent to Meta", {}};
  const auto o = outbound::timeline_json(entries);
  const auto& data = o.at("data").as_array();
  BOOST_TEST_REQUIRE(data.size() == 2u);
  const auto& first = data[0].as_object();
  BOOST_TEST(first.at("at").as_int64() == 10);
  BOOST_TEST(first.at("kind").as_string() == "api_request");
  BOOST_TEST(first.at("summary").as_string() == "accepted");
  BOOST_TEST(first.at("detail").as_object().at("status").as_int64() == 202);
  BOOST_TEST(data[1].as_object().at("kind").as_string() == "attempt");
  BOOST_TEST(outbound::timeline_json({}).at("data").as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()
