// The web app's REST additions, end to end: conversations and Meta's 24-hour window, the
// message timeline, Meta's error table and the webhook test event. The real daemon runs
// in-process with a real database; the fake Graph API plays Meta (it delivers signed inbound
// webhooks, answers sends and posts their statuses); the tenant is planted in the database.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/store/connection.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <set>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

constexpr const char* token = "EAAGconvTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8";
constexpr const char* app_secret = "convSECRET4d9c2b7e1f0a3b8c";
constexpr std::int64_t day_ms = 24LL * 60 * 60 * 1000;

std::string fake_config() { return fake_graph_config({{phone_a, waba_a}}, {token}); }

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::value& v, std::string_view k) { return std::string(v.as_object().at(k).as_string()); }

struct convo_fixture : connected_shop {
  convo_fixture()
      : connected_shop(fake_config(), {phone_a, waba_a, token, app_secret}, [](config::settings& s) {
          s.meta.timeout = 5000ms;
          s.queue.backoff_base = 40ms;
          s.queue.backoff_max = 400ms;
          s.queue.sweep_interval = 200ms;
          s.customer_webhooks.allow_http = true;
          s.customer_webhooks.allow_ranges = "127.0.0.0/8";
        }) {}

  // The customer `from` writes (the fake posts Meta's signed webhook); waits until it is stored.
  void customer_writes(const std::string& from, const std::string& text, std::int64_t ts_s,
                       const std::string& name = "Ada") {
    deliver_inbound(meta, app.get().database(),
                    {{"from", from},
                     {"name", name},
                     {"timestamp", std::to_string(ts_s)},
                     {"type", "text"},
                     {"text", json::object{{"body", text}}}});
  }
  std::string send_text(const std::string& to, const std::string& text) {
    auto r = call(alice, "POST", "/v1/instances/" + instance_id + "/messages",
                  json::serialize(json::object{{"to", to}, {"type", "text"}, {"text", json::object{{"body", text}}}}));
    BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
    return str(body_of(r), "id");
  }
  json::object conversation(const std::string& peer) {
    auto r = call(alice, "GET", "/v1/instances/" + instance_id + "/conversations/" + peer);
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body_of(r);
  }
  std::string base() const { return "/v1/instances/" + instance_id; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(conversations)

BOOST_FIXTURE_TEST_CASE(the_window_opens_with_an_inbound_message_and_closes_24_hours_later, convo_fixture) {
  auto empty = call(alice, "GET", base() + "/conversations");
  BOOST_REQUIRE(empty.status == 200u);
  BOOST_TEST(body_of(empty).at("data").as_array().empty());
  BOOST_TEST(body_of(empty).at("next_cursor").is_null());

  // Ada writes now: the window is open for 24 hours from her message (Meta's timestamp).
  const auto t = now_s();
  customer_writes("4915112345678", "hi", t);
  auto c = conversation("4915112345678");
  BOOST_TEST(str(c, "object") == "conversation");
  BOOST_TEST(str(c, "profile_name") == "Ada");
  BOOST_TEST(c.at("unread_inbound").as_int64() == 1);
  BOOST_TEST(str(c.at("last_message"), "direction") == "inbound");
  BOOST_TEST(str(c.at("last_message"), "preview") == "hi");
  BOOST_TEST(c.at("window").as_object().at("open").as_bool());
  BOOST_TEST(c.at("window").as_object().at("open_until").as_int64() == t * 1000 + day_ms);
  // The same peer written as a phone number with + and spaces.
  BOOST_TEST(call(alice, "GET", base() + "/conversations/%2B49%20151%2012345678").status == 200u);

  // A customer whose last message is 24 hours and a minute old: the clock has moved past the
  // window, templates only.
  customer_writes("4915100000002", "old", t - 24 * 60 * 60 - 60, "Bo");
  c = conversation("4915100000002");
  BOOST_TEST(!c.at("window").as_object().at("open").as_bool());
  BOOST_TEST(c.at("window").as_object().at("open_until").is_null());
  // 23 hours old: still open, for one more hour.
  customer_writes("4915100000003", "older", t - 23 * 60 * 60, "Cy");
  c = conversation("4915100000003");
  BOOST_TEST(c.at("window").as_object().at("open").as_bool());
  BOOST_TEST(c.at("window").as_object().at("open_until").as_int64() == (t - 23 * 60 * 60) * 1000 + day_ms);
  // A late redelivery of an old message does not shorten a window a newer one opened.
  customer_writes("4915100000003", "ancient", t - 40 * 60 * 60, "Cy");
  BOOST_TEST(conversation("4915100000003").at("window").as_object().at("open_until").as_int64() ==
             (t - 23 * 60 * 60) * 1000 + day_ms);
  // The closed one reopens when the customer writes again.
  customer_writes("4915100000002", "back", t, "Bo");
  c = conversation("4915100000002");
  BOOST_TEST(c.at("window").as_object().at("open").as_bool());
  BOOST_TEST(c.at("window").as_object().at("open_until").as_int64() == t * 1000 + day_ms);
  BOOST_TEST(c.at("unread_inbound").as_int64() == 2);
}

BOOST_FIXTURE_TEST_CASE(the_list_is_newest_first_paged_and_reading_clears_unread, convo_fixture) {
  const auto t = now_s();
  customer_writes("4915100000001", "from a", t);
  customer_writes("4915100000002", "from b", t);
  customer_writes("4915100000003", "from c", t);
  const auto sent = send_text("+49 15100000001", "reply to a");  // A's newest message is now ours
  (void)sent;

  auto p1 = call(alice, "GET", base() + "/conversations?limit=2");
  BOOST_REQUIRE_MESSAGE(p1.status == 200u, p1.body);
  auto o1 = body_of(p1);
  auto& d1 = o1.at("data").as_array();
  BOOST_REQUIRE(d1.size() == 2u);
  BOOST_TEST(str(d1[0], "peer") == "4915100000001");
  BOOST_TEST(str(d1[0].at("last_message"), "direction") == "outbound");
  BOOST_TEST(str(d1[0].at("last_message"), "preview") == "reply to a");
  BOOST_TEST(d1[0].at("unread_inbound").as_int64() == 1);  // our reply is not unread
  BOOST_TEST(str(d1[1], "peer") == "4915100000003");
  BOOST_REQUIRE(o1.at("next_cursor").is_string());
  auto p2 = call(alice, "GET", base() + "/conversations?limit=2&cursor=" + str(o1, "next_cursor"));
  BOOST_REQUIRE(p2.status == 200u);
  auto o2 = body_of(p2);
  BOOST_REQUIRE(o2.at("data").as_array().size() == 1u);
  BOOST_TEST(str(o2.at("data").as_array()[0], "peer") == "4915100000002");
  BOOST_TEST(o2.at("next_cursor").is_null());

  // The conversation's messages: only that peer's, newest first.
  auto page = call(alice, "GET", base() + "/messages?peer=4915100000001");
  BOOST_REQUIRE(page.status == 200u);
  auto msgs = body_of(page).at("data").as_array();
  BOOST_REQUIRE(msgs.size() == 2u);
  BOOST_TEST(str(msgs[0], "direction") == "outbound");
  BOOST_TEST(str(msgs[1], "direction") == "inbound");

  // Read: the unread count goes to 0 (and Meta is told: the fake knows the wamid).
  customer_writes("4915100000002", "again", t);
  BOOST_TEST(conversation("4915100000002").at("unread_inbound").as_int64() == 2);
  const auto meta_calls = meta.requests();
  auto read = call(alice, "POST", base() + "/conversations/4915100000002/read");
  BOOST_REQUIRE_MESSAGE(read.status == 204u, read.body);
  BOOST_TEST(meta.requests() > meta_calls);
  BOOST_TEST(conversation("4915100000002").at("unread_inbound").as_int64() == 0);
  BOOST_TEST(conversation("4915100000003").at("unread_inbound").as_int64() == 1);  // others untouched
  customer_writes("4915100000002", "one more", t);
  BOOST_TEST(conversation("4915100000002").at("unread_inbound").as_int64() == 1);
}

BOOST_FIXTURE_TEST_CASE(conversations_are_the_callers_only_and_inputs_are_checked, convo_fixture) {
  customer_writes("4915112345678", "hi", now_s());
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", base() + "/conversations"},
                                                        {"GET", base() + "/conversations/4915112345678"},
                                                        {"POST", base() + "/conversations/4915112345678/read"}}) {
    BOOST_TEST_CONTEXT(method << " " << target) {
      auto r = call(bob, method, target);
      BOOST_TEST(r.status == 404u);
      BOOST_TEST(str(body_of(r), "code") == "instance_not_found");
    }
  }
  auto unknown = call(alice, "GET", base() + "/conversations/4915199999999");
  BOOST_TEST(unknown.status == 404u);
  BOOST_TEST(str(body_of(unknown), "code") == "conversation_not_found");
  BOOST_TEST(call(alice, "POST", base() + "/conversations/4915199999999/read").status == 404u);
  for (const auto& bad :
       {"/conversations/abc%27def", "/conversations?limit=0", "/conversations?limit=101", "/conversations?cursor=x1",
        "/conversations/1234567890123456789012345678901234567890123456789012345678901234567"}) {
    BOOST_TEST_CONTEXT(bad) {
      auto r = call(alice, "GET", base() + bad);
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(body_of(r).contains("field"));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(the_timeline_tells_the_whole_story, convo_fixture) {
  customer_writes("4915112345678", "hi", now_s());
  // A webhook endpoint nobody listens on: its deliveries are tried and logged.
  auto hook = call(alice, "POST", base() + "/webhooks",
                   json::serialize(json::object{{"url", "http://127.0.0.1:9/hook"}, {"event_types", json::array{}}}));
  BOOST_REQUIRE_MESSAGE(hook.status == 201u, hook.body);
  // Meta fails the first attempt with a temporary error: the queue retries.
  meta.admin("inject", {{"code", 131000}, {"count", 1}, {"mode", "sync"}});
  const auto id = send_text("4915112345678", "hello");
  BOOST_REQUIRE(wait_until(
      [&] { return count("SELECT COUNT(*) FROM messages WHERE id = '" + id + "' AND status = 'read'") == 1; }));
  json::array data;
  BOOST_REQUIRE(wait_until([&] {
    auto r = call(alice, "GET", "/v1/messages/" + id + "/timeline");
    if (r.status != 200u) return false;
    data = body_of(r).at("data").as_array();
    return std::count_if(data.begin(), data.end(),
                         [](const json::value& e) { return str(e, "kind") == "hook_delivery"; }) >= 3;
  }));
  std::multiset<std::string> kinds;
  std::int64_t last_at = 0;
  std::set<std::string> statuses;
  bool retry_seen = false, sent_seen = false;
  for (const auto& e : data) {
    kinds.insert(str(e, "kind"));
    BOOST_TEST(e.at("at").as_int64() >= last_at);  // oldest first
    last_at = e.at("at").as_int64();
    BOOST_TEST(!str(e, "summary").empty());
    const auto& d = e.at("detail").as_object();
    if (str(e, "kind") == "status_webhook") {
      statuses.insert(std::string(d.at("status").as_string()));  // Meta's status object as sent
      BOOST_TEST(d.contains("recipient_id"));
      BOOST_TEST(d.contains("timestamp"));
    }
    if (str(e, "kind") == "attempt" && d.contains("outcome") && d.at("outcome").as_string() == "retry") {
      retry_seen = true;
      BOOST_TEST(d.at("error_code").as_int64() == 131000);
    }
    if (str(e, "kind") == "attempt" && d.contains("wamid")) sent_seen = true;
  }
  BOOST_REQUIRE(!data.empty());
  BOOST_TEST(str(data[0], "kind") == "api_request");
  BOOST_TEST(str(data[0].at("detail").as_object().at("body").at("text"), "body") == "hello");
  BOOST_TEST(retry_seen);
  BOOST_TEST(sent_seen);
  BOOST_TEST(statuses.count("delivered") == 1u);
  BOOST_TEST(statuses.count("read") == 1u);
  BOOST_TEST(kinds.count("hook_delivery") >= 3u);  // accepted, sent, delivered, read: each went to the hook

  // An inbound message has its own story; someone else's message is not found.
  auto other = call(bob, "GET", "/v1/messages/" + id + "/timeline");
  BOOST_TEST(other.status == 404u);
  BOOST_TEST(str(body_of(other), "code") == "message_not_found");
}

BOOST_FIXTURE_TEST_CASE(metas_errors_are_explained_to_anyone, convo_fixture) {
  auto r = http_request("127.0.0.1", app.port(), "GET", "/v1/meta/errors");
  BOOST_REQUIRE(r.status == 200u);
  bool found = false;
  const auto doc = body_of(r);
  for (const auto& e : doc.at("data").as_array())
    if (e.at("code").as_int64() == 131047) {
      found = true;
      BOOST_TEST(str(e, "title") == "Re-engagement message (24 hour window closed)");
      BOOST_TEST(str(e, "action").find("template") != std::string::npos);
      BOOST_TEST(!str(e, "explanation").empty());
    }
  BOOST_TEST(found);
}

BOOST_FIXTURE_TEST_CASE(a_test_event_goes_to_one_endpoint_only, convo_fixture) {
  auto make = [&](const std::string& port) {
    auto r = call(
        alice, "POST", base() + "/webhooks",
        json::serialize(json::object{{"url", "http://127.0.0.1:" + port + "/hook"}, {"event_types", json::array{}}}));
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    return str(body_of(r), "id");
  };
  const auto one = make("9"), two = make("7");
  auto r = call(alice, "POST", base() + "/webhooks/" + one + "/test");
  BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
  const auto delivery = str(body_of(r), "delivery_id");
  BOOST_TEST(delivery.rfind("whd_", 0) == 0u);
  // An ordinary event next, so the engine fans events out to both endpoints.
  customer_writes("4915112345678", "hi", now_s());
  auto log_of = [&](const std::string& ep) {
    auto l = call(alice, "GET", base() + "/webhooks/" + ep + "/deliveries");
    BOOST_REQUIRE(l.status == 200u);
    return body_of(l).at("data").as_array();
  };
  auto has_type = [](const json::array& log, const std::string& type) {
    return std::any_of(log.begin(), log.end(), [&](const json::value& d) { return str(d, "event_type") == type; });
  };
  BOOST_REQUIRE(wait_until([&] { return has_type(log_of(two), "message.received"); }));
  BOOST_REQUIRE(wait_until([&] {
    auto log = log_of(one);
    return std::any_of(log.begin(), log.end(), [&](const json::value& d) {
      return str(d, "id") == delivery && str(d, "event_type") == "webhook.test" && d.at("attempts").as_int64() >= 1;
    });
  }));
  BOOST_TEST(!has_type(log_of(two), "webhook.test"));
  BOOST_TEST(count("SELECT COUNT(*) FROM webhook_deliveries WHERE event_type = 'webhook.test'") == 1);

  // Someone else's endpoint, a paused one.
  BOOST_TEST(call(bob, "POST", base() + "/webhooks/" + one + "/test").status == 404u);
  BOOST_REQUIRE(call(alice, "PATCH", base() + "/webhooks/" + two, R"({"state":"paused"})").status == 200u);
  auto paused = call(alice, "POST", base() + "/webhooks/" + two + "/test");
  BOOST_TEST(paused.status == 409u);
  BOOST_TEST(str(body_of(paused), "code") == "webhook_paused");
}

BOOST_AUTO_TEST_SUITE_END()
