// The pure parts of the conversations API: Meta's 24-hour window on a manual clock (the
// conversation shows templates::window_at, the pre-send checks' own), the preview of a
// message, and the peer as a path segment.
#include <enfinito/conversations/conversations.hpp>
#include <enfinito/templates/checks.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {
constexpr std::int64_t hour = 60 * 60 * 1000;
constexpr std::int64_t t0 = 1'765'000'000'000;  // the customer writes
}  // namespace

BOOST_AUTO_TEST_SUITE(conversations_pure)

BOOST_AUTO_TEST_CASE(the_window_opens_with_an_inbound_message_and_closes_24_hours_later) {
  // Never written: templates only.
  auto w = templates::window_at(std::nullopt, t0);
  BOOST_TEST(!w.open);
  BOOST_TEST(!w.closes_at.has_value());
  // The clock moves on from the customer's message.
  for (std::int64_t now : {t0, t0 + 1, t0 + hour, t0 + 23 * hour, t0 + 24 * hour - 1}) {
    w = templates::window_at(t0, now);
    BOOST_TEST_CONTEXT(now - t0) {
      BOOST_TEST(w.open);
      BOOST_REQUIRE(w.closes_at.has_value());
      BOOST_TEST(*w.closes_at == t0 + 24 * hour);
    }
  }
  // Closed from exactly 24 hours on (the view then shows open_until null).
  for (std::int64_t now : {t0 + 24 * hour, t0 + 24 * hour + 1, t0 + 48 * hour}) {
    w = templates::window_at(t0, now);
    BOOST_TEST(!w.open);
    BOOST_TEST(*w.closes_at == t0 + 24 * hour);
  }
  // A new message reopens it, for 24 hours from that one.
  w = templates::window_at(t0 + 30 * hour, t0 + 31 * hour);
  BOOST_TEST(w.open);
  BOOST_TEST(*w.closes_at == t0 + 54 * hour);
}

BOOST_AUTO_TEST_CASE(previews_say_what_the_message_is) {
  using conversations::message_preview;
  BOOST_TEST(message_preview("text", R"({"type":"text","text":{"body":"Hello there"}})") == "Hello there");
  BOOST_TEST(message_preview("image", R"({"image":{"id":"1","caption":"Our shop"}})") == "Our shop");
  BOOST_TEST(message_preview("image", R"({"image":{"id":"1"}})") == "[image]");
  BOOST_TEST(message_preview("audio", R"({"audio":{"id":"1"}})") == "[audio]");
  BOOST_TEST(message_preview("template", R"({"template":{"name":"order_update","language":{"code":"en"}}})") ==
             "[template: order_update]");
  BOOST_TEST(message_preview("interactive", R"({"interactive":{"type":"button","body":{"text":"Pick one"}}})") ==
             "Pick one");
  BOOST_TEST(message_preview("reaction", R"({"reaction":{"message_id":"w","emoji":"👍"}})") == "[reaction: 👍]");
  BOOST_TEST(message_preview("hologram", "not json") == "[hologram]");
  BOOST_TEST(message_preview("", "{}") == "[message]");
  // At most 120 characters, counted as characters (never a cut inside a UTF-8 sequence).
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "é";
  const auto p = message_preview("text", R"({"text":{"body":")" + long_text + R"("}})");
  BOOST_TEST(p.size() == 240u);  // 120 two-byte characters
  BOOST_TEST(p == long_text.substr(0, 240));
  BOOST_TEST(message_preview("text", R"({"text":{"body":")" + std::string(130, 'a') + R"("}})").size() == 120u);
}

BOOST_AUTO_TEST_CASE(peers_in_paths) {
  BOOST_TEST(*conversations::peer_from_path("4915112345678") == "4915112345678");
  BOOST_TEST(*conversations::peer_from_path("+49 (151) 123-45678") == "4915112345678");
  BOOST_TEST(*conversations::peer_from_path("US.13491208655302741918") == "US.13491208655302741918");
  BOOST_TEST(!conversations::peer_from_path(""));
  BOOST_TEST(!conversations::peer_from_path("+"));
  BOOST_TEST(!conversations::peer_from_path("49151'; DROP"));
  BOOST_TEST(!conversations::peer_from_path("a/b"));
  BOOST_TEST(!conversations::peer_from_path(std::string(65, '1')));
}

BOOST_AUTO_TEST_CASE(a_page_shows_up_to_limit_and_its_cursor) {
  std::vector<store::conversations::conversation> rows(3);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].peer = "1555000000" + std::to_string(i);
    rows[i].last_seq = 30 - static_cast<std::int64_t>(i) * 10;
    rows[i].last_body = "{}";
  }
  auto more = rows;
  auto page = conversations::page_json(more, 2, 1'700'000'000'000);
  BOOST_TEST(page.at("data").as_array().size() == 2u);
  BOOST_TEST(page.at("next_cursor").as_string() == "20");  // the last one shown
  auto last = conversations::page_json(rows, 3, 1'700'000'000'000);
  BOOST_TEST(last.at("data").as_array().size() == 3u);
  BOOST_TEST(last.at("next_cursor").is_null());
}

BOOST_AUTO_TEST_SUITE_END()
