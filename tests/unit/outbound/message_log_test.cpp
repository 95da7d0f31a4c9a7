// outbound::retryable_codes and outbound::message_json (outbound/message_log.hpp).
#include <enfinito/outbound/message_log.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(outbound_message_log)

BOOST_AUTO_TEST_CASE(only_temporary_codes_are_retryable) {
  BOOST_TEST(outbound::retryable_codes(std::nullopt).empty());
  BOOST_TEST(outbound::retryable_codes(131026).empty());  // undeliverable: permanent
  BOOST_TEST(outbound::retryable_codes(190).empty());     // token: needs re-auth, not a retry
  const auto rate = outbound::retryable_codes(130429);
  BOOST_TEST_REQUIRE(rate.size() == 1u);
  BOOST_TEST(rate[0] == 130429);
}

BOOST_AUTO_TEST_CASE(message_json_shape) {
  store::messages::message m;
  m.id = "msg_1";
  m.body = R"({"to":"1555","type":"text"})";
  auto o = outbound::message_json(m);
  BOOST_TEST(o.at("object").as_string() == "message");
  BOOST_TEST(o.at("wamid").is_null());
  BOOST_TEST(o.at("error").is_null());
  BOOST_TEST(o.at("broadcast_id").is_null());
  BOOST_TEST(o.at("message").as_object().at("type").as_string() == "text");
  m.error_title = "Rate limit hit";
  m.wamid = "wamid.A";
  m.body = "not json";
  o = outbound::message_json(m);
  BOOST_TEST(o.at("error").as_object().at("code").is_null());
  BOOST_TEST(o.at("error").as_object().at("title").as_string() == "Rate limit hit");
  BOOST_TEST(o.at("wamid").as_string() == "wamid.A");
  BOOST_TEST(o.at("message").is_null());
  m.error_code = 131026;
  BOOST_TEST(outbound::message_json(m).at("error").as_object().at("code").as_int64() == 131026);
}

BOOST_AUTO_TEST_CASE(log_filter_from_query) {
  std::map<std::string, std::string, std::less<>> q;
  auto query = [&q](std::string_view k) -> std::optional<std::string> {
    auto it = q.find(k);
    if (it == q.end()) return std::nullopt;
    return it->second;
  };
  store::messages::list_filter f;
  BOOST_TEST(!outbound::read_log_filter(query, f));
  BOOST_TEST(f.limit == 50u);
  q = {{"limit", "100"}, {"cursor", "77"}, {"status", "expired"}, {"peer", "+49 151 1234"}, {"since", "5"}};
  BOOST_TEST(!outbound::read_log_filter(query, f));
  BOOST_TEST(f.limit == 100u);
  BOOST_TEST(f.before_seq == 77);
  BOOST_TEST(f.status == "expired");
  BOOST_TEST(f.peer == "491511234");
  BOOST_TEST(f.since_ms == 5);
  const std::pair<const char*, const char*> bad[] = {{"limit", "0"},        {"limit", "101"},  {"cursor", "x"},
                                                     {"direction", "both"}, {"status", "new"}, {"peer", ""},
                                                     {"until", "-1"}};
  for (const auto& [k, v] : bad) {
    BOOST_TEST_CONTEXT(k << "=" << v) {
      q = {{k, v}};
      store::messages::list_filter g;
      auto r = outbound::read_log_filter(query, g);
      BOOST_TEST_REQUIRE(r.has_value());
      BOOST_TEST(r->field == k);
    }
  }
}

BOOST_AUTO_TEST_CASE(log_page_cursor_is_the_last_seq_when_more_follow) {
  std::vector<store::messages::message> rows(2);
  rows[0].id = "msg_1";
  rows[0].seq = 9;
  rows[1].id = "msg_2";
  rows[1].seq = 7;
  auto page = outbound::log_page_json(rows, true);
  BOOST_TEST(page.at("data").as_array().size() == 2u);
  BOOST_TEST(page.at("data").as_array()[1].as_object().at("id").as_string() == "msg_2");
  BOOST_TEST(page.at("next_cursor").as_string() == "7");
  BOOST_TEST(outbound::log_page_json(rows, false).at("next_cursor").is_null());
  BOOST_TEST(outbound::log_page_json({}, false).at("data").as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()
