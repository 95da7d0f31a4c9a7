// feed::within_budget and feed::event_json (feed/event_log.hpp): a page keeps at least one
// event, then stops before the data budget would be passed.
#include <enfinito/feed/event_log.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace enfinito;

namespace {
std::vector<store::events::event> sized(std::initializer_list<std::size_t> sizes) {
  std::vector<store::events::event> rows;
  for (auto n : sizes) {
    rows.emplace_back();
    rows.back().data = std::string(n, 'x');
  }
  return rows;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(feed_event_log)

BOOST_AUTO_TEST_CASE(pages_stop_at_the_budget_but_hold_one_event) {
  BOOST_TEST(feed::within_budget({}, 10) == 0u);
  BOOST_TEST(feed::within_budget(sized({50}), 10) == 1u);  // one, however large
  BOOST_TEST(feed::within_budget(sized({4, 6, 1}), 10) == 2u);
  BOOST_TEST(feed::within_budget(sized({4, 5, 1}), 10) == 3u);
  BOOST_TEST(feed::within_budget(sized({11, 1}), 10) == 1u);
}

BOOST_AUTO_TEST_CASE(event_json_inlines_data) {
  store::events::event e;
  e.id = 7;
  e.type = "message.sent";
  e.data = R"({"message_id":"msg_1"})";
  auto o = feed::event_json(e);
  BOOST_TEST(o.at("instance_id").is_null());
  BOOST_TEST(o.at("data").as_object().at("message_id").as_string() == "msg_1");
  e.data = "{broken";
  e.instance_id = "ins_1";
  o = feed::event_json(e);
  BOOST_TEST(o.at("data").as_object().empty());
  BOOST_TEST(o.at("instance_id").as_string() == "ins_1");
}

BOOST_AUTO_TEST_SUITE_END()
