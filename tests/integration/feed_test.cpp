// The live WebSocket feed (GET /v1/stream), end to end: the real daemon in-process, a real
// database file, real sockets with a Beast WebSocket client, and the fake Graph API as Meta
// for events produced by a real action (a signed inbound webhook). Bulk events are appended
// through the store writer (store::events::append in a write), which is the real and only
// publish point; users, API keys and sessions are planted in the database.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/tenants.hpp"
#include "support/test_certs.hpp"
#include "support/wait.hpp"

#include <enfinito/api/auth_guard.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <atomic>
#include <set>
#include <thread>

namespace {

namespace json = boost::json;
namespace acc = enfinito::store::accounts;
using namespace enfinito;
using namespace enfinito::test;
using tcp = boost::asio::ip::tcp;

constexpr const char* token = "EAAGfeedTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8xx";
constexpr const char* secret = "feedSECRET4d9c2b7e1f0a3b8c";

std::string fake_config() {
  return fake_graph_config(
      {{phone_a, waba_a},
       {phone_b, waba_b, {{"display_phone_number", "15550001111"}, {"verified_name", "Other Shop"}}}},
      {token});
}

// A WebSocket client for tests: blocking calls, except reads, which run on the client's own
// io_context with a deadline (asio's blocking reads ignore SO_RCVTIMEO). A read that timed
// out leaves the stream unusable, which the tests treat as the end.
struct ws_client {
  boost::asio::io_context ioc;
  boost::beast::websocket::stream<tcp::socket> s{ioc};
  boost::beast::websocket::response_type handshake;
  boost::system::error_code ec;  // of the last operation
  bool timed_out_flag = false;
  std::chrono::milliseconds timeout{5000};
  int pings = 0;

  bool connect(std::uint16_t port, const std::string& target, const header_list& headers = {},
               std::chrono::milliseconds read_timeout = std::chrono::seconds(5), int rcvbuf = 0) {
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    s.next_layer().open(tcp::v4());
    if (rcvbuf) {
      int v = rcvbuf;
      ::setsockopt(s.next_layer().native_handle(), SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    }
    s.next_layer().connect(ep);
    timeout = read_timeout;
    s.set_option(boost::beast::websocket::stream_base::decorator([headers](boost::beast::websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    s.control_callback([this](boost::beast::websocket::frame_type kind, boost::beast::string_view) {
      if (kind == boost::beast::websocket::frame_type::ping) ++pings;
    });
    s.read_message_max(64 * 1024 * 1024);
    s.handshake(handshake, "127.0.0.1:" + std::to_string(port), target, ec);
    return !ec;
  }
  void set_timeout(std::chrono::milliseconds t) { timeout = t; }
  // The next event, or nullopt (timeout, close: see ec, timed_out() and s.reason()).
  std::optional<json::object> next() {
    if (timed_out_flag) return std::nullopt;
    boost::beast::flat_buffer buf;
    bool done = false;
    s.async_read(buf, [&](boost::system::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    ioc.restart();
    ioc.run_for(timeout);
    if (!done) {
      timed_out_flag = true;
      boost::system::error_code ignored;
      s.next_layer().cancel(ignored);
      ioc.restart();
      ioc.run();
      return std::nullopt;
    }
    if (ec) return std::nullopt;
    return json::parse(boost::beast::buffers_to_string(buf.data())).as_object();
  }
  // Reads events until `n` arrived or a read fails.
  std::vector<json::object> take(std::size_t n) {
    std::vector<json::object> out;
    while (out.size() < n) {
      auto e = next();
      if (!e) break;
      out.push_back(std::move(*e));
    }
    return out;
  }
  bool timed_out() const { return timed_out_flag; }
};

std::int64_t id_of(const json::object& e) { return e.at("id").as_int64(); }

// Reads what a reader closed as too slow still had on the wire, then checks the close (4008,
// "too slow, resume with after=<id>"): the ids read, and the reason in `reason`.
std::vector<std::int64_t> read_until_closed_too_slow(ws_client& slow, std::string& reason) {
  std::vector<std::int64_t> got;
  while (auto e = slow.next()) got.push_back(id_of(*e));
  BOOST_TEST((slow.ec == boost::beast::websocket::error::closed), slow.ec.message());
  BOOST_TEST(slow.s.reason().code == 4008);
  reason = slow.s.reason().reason.c_str();
  BOOST_TEST(reason.find("too slow, resume with after=") == 0u);
  return got;
}

// The value of an unlabelled family on /metrics, or -1 when it is absent.
double metric(std::uint16_t port, const std::string& name) {
  auto r = http_request("127.0.0.1", port, "GET", "/metrics");
  BOOST_REQUIRE(r.status == 200u);
  const auto at = r.body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(r.body.substr(at + name.size() + 2));
}

// A first text message as a browser sends it right after `open`.
void send_text(ws_client& c, const std::string& text) {
  c.s.text(true);
  c.s.write(boost::asio::buffer(text));
}

struct feed_fixture {
  fake_meta meta{fake_config()};
  running_app app;
  tenant alice;
  tenant bob;
  std::string instance_id;    // alice's, phone_a, wired to the fake as Meta
  std::string instance_b_id;  // alice's second instance

  explicit feed_fixture(std::function<void(config::settings&)> tweak = {})
      : app([this, tweak](config::settings& s) {
          s.meta.base_url = meta.base_url();
          s.meta.timeout = std::chrono::milliseconds(5000);
          s.server.public_url = "https://app.example.test";
          if (tweak) tweak(s);
        }) {
    alice = make_tenant(app.get().database(), "alice@example.com");
    bob = make_tenant(app.get().database(), "bob@example.com");
    const meta_credentials a{phone_a, waba_a, token, secret};
    const auto created = connect_instance(app.port(), alice.key, a);
    instance_id = std::string(created.at("id").as_string());
    instance_b_id =
        std::string(connect_instance(app.port(), alice.key, {phone_b, waba_b, token, secret}).at("id").as_string());
    route_webhooks(meta, app.port(), created, a);
  }
  http_result call(const tenant& t, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
    return api_call(app.port(), t, method, target, body);
  }
  // Appends events through the store writer: the real publish point.
  // Without any Boost.Test assertion: callable from the tests' own threads (Boost.Test is not
  // thread-safe; ThreadSanitizer reports its log buffer).
  core::error_code try_append(const tenant& t, int n, std::vector<std::int64_t>& ids,
                              const std::string& type = "test.tick", const std::string& instance = {},
                              std::size_t pad = 0) {
    std::string data = "{\"pad\":\"" + std::string(pad, 'x') + "\"}";
    return app.get().database().write_sync([&](store::connection& c) -> core::error_code {
      for (int i = 0; i < n; ++i) {
        store::events::event e{0, t.user_id, instance, type, data, 0};
        if (auto e2 = store::events::append(c, e)) return e2;
        ids.push_back(e.id);
      }
      return {};
    });
  }
  std::vector<std::int64_t> append(const tenant& t, int n, const std::string& type = "test.tick",
                                   const std::string& instance = {}, std::size_t pad = 0) {
    std::vector<std::int64_t> ids;
    BOOST_REQUIRE(!try_append(t, n, ids, type, instance, pad));
    return ids;
  }
  std::int64_t newest(const tenant& t) {
    std::int64_t id = 0;
    auto ec = app.get().database().read_sync(
        [&](store::connection& c) { return store::events::newest_id(c, t.user_id, id); });
    BOOST_REQUIRE(!ec);
    return id;
  }
  // "?after=<newest>" (or "&after=…"): a socket whose handshake returned may not have
  // subscribed yet; resuming from the newest id makes what the test appends next certain to
  // arrive (by the catch-up or live) without sleeping.
  std::string from_now(const tenant& t, const std::string& query = {}) {
    return query + (query.empty() ? "?" : "&") + "after=" + std::to_string(newest(t));
  }
  bool open(ws_client& c, const tenant& t, const std::string& query = {}) {
    auto q = query.find("after=") == std::string::npos ? from_now(t, query) : query;
    return c.connect(app.port(), "/v1/stream" + q, {{"Authorization", "Bearer " + t.key}});
  }
  std::string session_cookie(const tenant& t) {
    return api::session_cookie_name(app.settings) + "=" + make_session(app.get().database(), t.user_id).token;
  }
  std::string ticket(const tenant& t) {
    auto r = http_request("127.0.0.1", app.port(), "POST", "/v1/stream/ticket", {{"authorization", "Bearer " + t.key}});
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    return std::string(json::parse(r.body).as_object().at("ticket").as_string());
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(feed)

BOOST_FIXTURE_TEST_CASE(credentials_are_checked_before_the_upgrade, feed_fixture) {
  {  // none: a plain 401, no upgrade
    ws_client c;
    BOOST_TEST(!c.connect(app.port(), "/v1/stream"));
    BOOST_TEST(c.handshake.result_int() == 401u);
  }
  {  // a wrong key
    ws_client c;
    BOOST_TEST(!c.connect(app.port(), "/v1/stream", {{"Authorization", "Bearer enf_live_nope"}}));
    BOOST_TEST(c.handshake.result_int() == 401u);
  }
  {  // an API key
    ws_client c;
    BOOST_TEST(open(c, alice));
    BOOST_TEST(c.handshake.result_int() == 101u);
  }
  {  // a plain GET with a key: not a WebSocket
    auto r = call(alice, "GET", "/v1/stream");
    BOOST_TEST(r.status == 426u);
  }
  // A ticket: single use.
  auto r =
      http_request("127.0.0.1", app.port(), "POST", "/v1/stream/ticket", {{"authorization", "Bearer " + alice.key}});
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  auto ticket = std::string(json::parse(r.body).as_object().at("ticket").as_string());
  {
    ws_client c;
    BOOST_TEST(c.connect(app.port(), "/v1/stream" + from_now(alice, "?ticket=" + ticket)));
    append(alice, 1);
    auto e = c.next();
    BOOST_TEST(e.has_value());
  }
  {
    ws_client c;
    BOOST_TEST(!c.connect(app.port(), "/v1/stream?ticket=" + ticket));
    BOOST_TEST(c.handshake.result_int() == 401u);
  }
  {  // a made-up ticket
    ws_client c;
    BOOST_TEST(!c.connect(app.port(), "/v1/stream?ticket=abcdefghijklmnop"));
    BOOST_TEST(c.handshake.result_int() == 401u);
  }
  // The session cookie: only from our own origin.
  const auto cookie = session_cookie(alice);
  {
    ws_client c;
    BOOST_TEST(c.connect(app.port(), "/v1/stream" + from_now(alice),
                         {{"Cookie", cookie}, {"Origin", "https://app.example.test"}}));
    append(alice, 1);
    BOOST_TEST(c.next().has_value());
  }
  {
    ws_client c;
    BOOST_TEST(!c.connect(app.port(), "/v1/stream", {{"Cookie", cookie}, {"Origin", "https://evil.example"}}));
    BOOST_TEST(c.handshake.result_int() == 403u);
  }
  {
    ws_client c;
    BOOST_TEST(!c.connect(app.port(), "/v1/stream", {{"Cookie", cookie}}));
    BOOST_TEST(c.handshake.result_int() == 403u);
  }
  {  // a bad filter is a 400 before the upgrade
    ws_client c;
    BOOST_TEST(!open(c, alice, "?types=Not%20A%20Type"));
    BOOST_TEST(c.handshake.result_int() == 400u);
  }
  {  // another tenant's instance is a 404
    ws_client c;
    BOOST_TEST(!open(c, bob, "?instances=" + instance_id));
    BOOST_TEST(c.handshake.result_int() == 404u);
  }
}

BOOST_AUTO_TEST_CASE(tickets_expire) {
  feed_fixture f([](config::settings& s) { s.feed.ticket_ttl = std::chrono::milliseconds(1000); });
  auto r = http_request("127.0.0.1", f.app.port(), "POST", "/v1/stream/ticket",
                        {{"authorization", "Bearer " + f.alice.key}});
  BOOST_REQUIRE(r.status == 201u);
  auto ticket = std::string(json::parse(r.body).as_object().at("ticket").as_string());
  // A real wait: the ticket expires after its wall-clock lifetime.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ws_client c;
  BOOST_TEST(!c.connect(f.app.port(), "/v1/stream?ticket=" + ticket));
  BOOST_TEST(c.handshake.result_int() == 401u);
}

BOOST_FIXTURE_TEST_CASE(a_real_inbound_message_reaches_its_tenant_only, feed_fixture) {
  ws_client mine, theirs, scoped_other;
  BOOST_REQUIRE(open(mine, alice));
  BOOST_REQUIRE(open(theirs, bob));
  // An API key of alice's limited to her second instance does not see the first one's events.
  auto limited =
      make_tenant(app.get().database(), "", {.instance_ids = {instance_b_id}, .existing_user_id = alice.user_id});
  BOOST_REQUIRE(open(scoped_other, limited));
  auto wamid = std::string(meta.admin("inbound", {{"type", "text"}}).at("id").as_string());
  auto e = mine.next();
  BOOST_REQUIRE_MESSAGE(e.has_value(), mine.ec.message());
  BOOST_TEST(std::string(e->at("type").as_string()) == "message.received");
  BOOST_TEST(std::string(e->at("instance_id").as_string()) == instance_id);
  BOOST_TEST(e->at("created_at").as_int64() > 0);
  BOOST_TEST(std::string(e->at("data").as_object().at("wamid").as_string()) == wamid);
  // The same event as the log holds.
  auto log = json::parse(call(alice, "GET", "/v1/events?after=" + std::to_string(id_of(*e) - 1) + "&limit=1").body);
  BOOST_TEST(log.as_object().at("data").as_array().at(0).as_object().at("id").as_int64() == id_of(*e));
  theirs.set_timeout(std::chrono::milliseconds(500));
  scoped_other.set_timeout(std::chrono::milliseconds(500));
  BOOST_TEST(!theirs.next().has_value());
  BOOST_TEST(theirs.timed_out());
  BOOST_TEST(!scoped_other.next().has_value());
  BOOST_TEST(scoped_other.timed_out());
}

BOOST_FIXTURE_TEST_CASE(filters_by_type_and_instance, feed_fixture) {
  ws_client by_type, by_instance;
  BOOST_REQUIRE(open(by_type, alice, "?types=test.wanted,test.also"));
  BOOST_REQUIRE(open(by_instance, alice, "?instances=" + instance_b_id));
  append(alice, 1, "test.unwanted");
  auto wanted = append(alice, 1, "test.wanted", instance_id);
  append(alice, 1, "test.unwanted", instance_id);
  auto on_b = append(alice, 1, "test.also", instance_b_id);
  auto e1 = by_type.next();
  auto e2 = by_type.next();
  BOOST_REQUIRE(e1 && e2);
  BOOST_TEST(id_of(*e1) == wanted[0]);
  BOOST_TEST(id_of(*e2) == on_b[0]);
  auto e3 = by_instance.next();
  BOOST_REQUIRE(e3);
  BOOST_TEST(id_of(*e3) == on_b[0]);
  BOOST_TEST(std::string(e3->at("instance_id").as_string()) == instance_b_id);
  by_type.set_timeout(std::chrono::milliseconds(300));
  by_instance.set_timeout(std::chrono::milliseconds(300));
  BOOST_TEST(!by_type.next());
  BOOST_TEST(!by_instance.next());
}

// Commits events for `t` in groups of 3 on a thread of its own until stop(), keeping their ids
// in commit order. Failures are recorded, not asserted (Boost.Test is not thread-safe).
class event_producer {
 public:
  event_producer(feed_fixture& f, const tenant& t)
      : thread_([this, &f, &t] {
          std::vector<std::int64_t> ids;
          while (!stop_ && !failed_) {
            ids.clear();
            if (f.try_append(t, 3, ids)) failed_ = true;
            std::lock_guard lk(mu_);
            produced_.insert(produced_.end(), ids.begin(), ids.end());
          }
        }) {}
  ~event_producer() {
    if (thread_.joinable()) stop();
  }
  event_producer(const event_producer&) = delete;
  event_producer& operator=(const event_producer&) = delete;
  // Stops the thread; every id it committed, in order.
  std::vector<std::int64_t> stop() {
    stop_ = true;
    thread_.join();
    return produced_;
  }
  bool failed() const { return failed_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::vector<std::int64_t> produced_;
  std::thread thread_;  // last: it starts once the members it uses exist
};

BOOST_FIXTURE_TEST_CASE(resume_after_a_disconnect_has_no_gap_and_no_duplicate, feed_fixture) {
  append(alice, 5);  // before the first connection: "now" excludes these
  ws_client first;
  // Without `after`: from now, that is from when the session subscribed (its gauge says when).
  BOOST_REQUIRE(first.connect(app.port(), "/v1/stream", {{"Authorization", "Bearer " + alice.key}}));
  BOOST_REQUIRE(wait_until([&] { return metric(app.port(), "enfinito_feed_subscribers") == 1; }));
  auto marker = append(alice, 1);
  auto e0 = first.next();
  BOOST_REQUIRE(e0);
  BOOST_TEST(id_of(*e0) == marker[0]);  // not one of the 5 older ones
  // A producer that keeps committing events in small groups the whole time.
  event_producer producer(*this, alice);
  std::vector<std::int64_t> got;
  for (auto& e : first.take(50)) got.push_back(id_of(e));
  BOOST_TEST_MESSAGE("first socket got " << got.size());
  BOOST_REQUIRE_EQUAL(got.size(), 50u);
  first.s.next_layer().close();                                 // an abrupt disconnect
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // events keep coming meanwhile
  ws_client second;
  BOOST_REQUIRE(open(second, alice, "?after=" + std::to_string(got.back())));
  // Read until caught up with everything produced by the time the producer stops.
  // A real wait: the producer keeps appending meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto produced = producer.stop();
  BOOST_REQUIRE(!producer.failed());
  const std::size_t total = produced.size();
  while (got.size() < total) {
    auto e = second.next();
    BOOST_REQUIRE_MESSAGE(e, "stalled at " << got.size() << " of " << total << ": " << second.ec.message());
    got.push_back(id_of(*e));
  }
  BOOST_TEST(got == produced, boost::test_tools::per_element());
}

// A browser that cannot choose its URL per reconnect (or a client library that reuses one)
// resumes with its first message instead of ?after=: same guarantee, no gap, no duplicate.
BOOST_FIXTURE_TEST_CASE(resume_by_first_message_has_no_gap_and_no_duplicate, feed_fixture) {
  const auto resumes_before = metric(app.port(), "enfinito_feed_resumes_total");
  const auto delivered_before = metric(app.port(), "enfinito_feed_events_delivered_total");
  BOOST_REQUIRE(resumes_before >= 0 && delivered_before >= 0);
  ws_client first;
  BOOST_REQUIRE(open(first, alice));
  event_producer producer(*this, alice);
  std::vector<std::int64_t> got;
  for (auto& e : first.take(50)) got.push_back(id_of(e));
  BOOST_REQUIRE_EQUAL(got.size(), 50u);
  BOOST_TEST(metric(app.port(), "enfinito_feed_subscribers") >= 1);
  first.s.next_layer().close();                                 // an abrupt disconnect
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // events keep coming meanwhile
  // The browser's way in: a ticket in the URL (no header, no after=), then the resume point
  // as the first text message, sent as soon as the socket opened.
  ws_client second;
  BOOST_REQUIRE(second.connect(app.port(), "/v1/stream?ticket=" + ticket(alice)));
  send_text(second, json::serialize(json::object{{"resume_after", got.back()}}));
  // A real wait: the producer keeps appending meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto produced = producer.stop();
  BOOST_REQUIRE(!producer.failed());
  const std::size_t total = produced.size();
  BOOST_TEST_MESSAGE("produced " << total << ", first socket got 50, resumed from " << got.back());
  while (got.size() < total) {
    auto e = second.next();
    BOOST_REQUIRE_MESSAGE(e, "stalled at " << got.size() << " of " << total << ": " << second.ec.message());
    got.push_back(id_of(*e));
  }
  BOOST_TEST(got == produced, boost::test_tools::per_element());
  second.set_timeout(std::chrono::milliseconds(300));
  BOOST_TEST(!second.next());  // and nothing after the last one: no duplicate at the seam
  BOOST_TEST(second.timed_out());
  // Both sockets resumed from the database (after= and the first message), and every event
  // written to either counts as delivered.
  BOOST_TEST(metric(app.port(), "enfinito_feed_resumes_total") == resumes_before + 2);
  BOOST_TEST(metric(app.port(), "enfinito_feed_events_delivered_total") >= delivered_before + total);
  BOOST_TEST(metric(app.port(), "enfinito_feed_events_replayed_total") >= 1);
}

// The first-message protocol's edges: "start now" ends the wait at once; a resume request
// that comes too late or is not an event id closes with 1008 rather than being ignored.
BOOST_AUTO_TEST_CASE(first_message_resume_rules) {
  feed_fixture f([](config::settings& s) { s.feed.resume_wait = std::chrono::milliseconds(5'000); });
  {  // {"resume_after": null}: from now, without waiting out the 5 s
    ws_client c;
    BOOST_REQUIRE(c.connect(f.app.port(), "/v1/stream", {{"Authorization", "Bearer " + f.alice.key}}));
    send_text(c, R"({"resume_after": null})");
    // Subscribed well before resume_wait would have run out.
    BOOST_REQUIRE(wait_until([&] { return metric(f.app.port(), "enfinito_feed_subscribers") == 1; },
                             std::chrono::milliseconds(2'000)));
    auto marker = f.append(f.alice, 1);
    c.set_timeout(std::chrono::milliseconds(2'500));
    auto e = c.next();
    BOOST_REQUIRE_MESSAGE(e, "not live within 2.5 s: " << c.ec.message());
    BOOST_TEST(id_of(*e) == marker[0]);
  }
  auto refused = [&](const std::string& query, std::vector<std::string> messages) {
    ws_client c;
    BOOST_REQUIRE(c.connect(f.app.port(), "/v1/stream" + query, {{"Authorization", "Bearer " + f.alice.key}}));
    for (const auto& m : messages) send_text(c, m);
    c.set_timeout(std::chrono::milliseconds(3'000));
    while (c.next()) {}
    BOOST_TEST(!c.timed_out());
    BOOST_TEST((c.ec == boost::beast::websocket::error::closed), c.ec.message());
    BOOST_TEST(c.s.reason().code == static_cast<std::uint16_t>(boost::beast::websocket::close_code::policy_error));
    return std::string(c.s.reason().reason.c_str());
  };
  // With after= in the URL the resume point is set already.
  auto why = refused(f.from_now(f.alice), {R"({"resume_after": 1})"});
  BOOST_TEST(why.find("only as the first message") != std::string::npos);
  // Not the first message.
  why = refused("", {"hello", R"({"resume_after": 1})"});
  BOOST_TEST(why.find("only as the first message") != std::string::npos);
  // Not an event id; the reason does not echo it.
  why = refused("", {R"({"resume_after": "secret-looking-value"})"});
  BOOST_TEST(why.find("must be an event id") != std::string::npos);
  BOOST_TEST(why.find("secret-looking-value") == std::string::npos);
  refused("", {R"({"resume_after": -5})"});
}

BOOST_AUTO_TEST_CASE(a_slow_consumer_is_closed_while_others_keep_receiving) {
  feed_fixture f([](config::settings& s) {
    s.feed.max_queued_messages = 64;
    s.feed.write_timeout = std::chrono::milliseconds(30'000);
  });
  ws_client slow, fast;
  // A small receive buffer so the kernel cannot absorb the whole backlog.
  BOOST_REQUIRE(slow.connect(f.app.port(), "/v1/stream" + f.from_now(f.alice),
                             {{"Authorization", "Bearer " + f.alice.key}}, std::chrono::seconds(5), 4096));
  BOOST_REQUIRE(f.open(fast, f.alice));
  std::vector<std::int64_t> produced;
  std::vector<std::int64_t> fast_got;
  std::thread reader([&] {
    for (auto& e : fast.take(600)) fast_got.push_back(id_of(e));
  });
  for (int i = 0; i < 300; ++i) {
    auto ids = f.append(f.alice, 2, "test.big", {}, 16 * 1024);
    produced.insert(produced.end(), ids.begin(), ids.end());
  }
  reader.join();
  BOOST_TEST(fast_got == produced, boost::test_tools::per_element());
  // Now the slow one reads: what was on the wire, then the close with the resume point.
  std::string reason;
  auto slow_got = read_until_closed_too_slow(slow, reason);
  BOOST_REQUIRE(slow_got.size() < produced.size());
  const auto resume = reason.substr(reason.find('=') + 1);
  BOOST_TEST(resume == std::to_string(slow_got.empty() ? 0 : slow_got.back()));
  BOOST_TEST(metric(f.app.port(), "enfinito_feed_closed_too_slow_total") == 1);
  // Resuming from the id in the reason gets the rest, no gap, no duplicate.
  ws_client again;
  BOOST_REQUIRE(f.open(again, f.alice, "?after=" + resume));
  for (auto& e : again.take(produced.size() - slow_got.size())) slow_got.push_back(id_of(e));
  BOOST_TEST(slow_got == produced, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_write_stalled_past_the_write_timeout_drops_the_connection) {
  // A queue large enough never to fill: only the write deadline can end the stalled socket.
  feed_fixture f([](config::settings& s) {
    s.feed.max_queued_messages = 1'000'000;
    s.feed.max_queued_bytes = 1ll << 30;
    s.feed.write_timeout = std::chrono::milliseconds(300);
  });
  ws_client stalled;
  BOOST_REQUIRE(stalled.connect(f.app.port(), "/v1/stream" + f.from_now(f.alice),
                                {{"Authorization", "Bearer " + f.alice.key}}, std::chrono::seconds(5), 4096));
  for (int i = 0; i < 300; ++i) f.append(f.alice, 2, "test.big", {}, 16 * 1024);
  // A real wait: the stalled reader reads nothing while the daemon's write timeout runs.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  std::size_t got = 0;
  while (stalled.next()) ++got;
  BOOST_TEST(got < 600u);
  BOOST_TEST(!stalled.timed_out());           // the connection ended...
  BOOST_TEST(stalled.s.reason().code == 0u);  // ...without a close frame: it was dropped
}

BOOST_AUTO_TEST_CASE(pings_keep_readers_and_drop_silent_peers) {
  feed_fixture f([](config::settings& s) { s.feed.ping_interval = std::chrono::milliseconds(200); });
  ws_client reader, silent;
  BOOST_REQUIRE(f.open(reader, f.alice));
  BOOST_REQUIRE(f.open(silent, f.alice));
  // The reader's reads answer pings; the silent peer reads nothing (no pongs) for 1.5 s.
  core::error_code produced_later;
  std::thread produce_later([&] {
    // A real wait: the silent peer answers no pings for this long.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::vector<std::int64_t> ids;
    produced_later = f.try_append(f.alice, 1, ids);
  });
  auto e = reader.next();
  produce_later.join();
  BOOST_REQUIRE(!produced_later);
  BOOST_TEST(e.has_value());
  BOOST_TEST(reader.pings >= 2);
  // The silent peer was dropped: its reads find the connection gone, not a timeout.
  silent.set_timeout(std::chrono::milliseconds(2000));
  std::optional<json::object> got;
  do got = silent.next();
  while (got);
  BOOST_TEST(!silent.timed_out());
}

BOOST_FIXTURE_TEST_CASE(an_oversized_client_message_closes_with_1009, feed_fixture) {
  ws_client c;
  BOOST_REQUIRE(open(c, alice));
  c.s.write(boost::asio::buffer(std::string(100, 'a')));  // small ones are ignored
  c.s.write(boost::asio::buffer(std::string(8 * 1024, 'a')));
  BOOST_TEST(!c.next().has_value());
  BOOST_TEST(!c.timed_out());
  // The close frame arrived (its code is recorded); the server then dropped the connection
  // with the oversized message unread, so the client's own teardown may see a reset.
  BOOST_TEST(c.s.reason().code == static_cast<std::uint16_t>(boost::beast::websocket::close_code::too_big));
}

// Over TLS the server hands the TLS stream itself to the feed (the other upgrade path).
BOOST_AUTO_TEST_CASE(the_feed_works_over_tls) {
  temp_dir certs;
  auto files = write_self_signed(certs.path());
  running_app app([&](config::settings& s) {
    s.server.tls_cert_file = files.cert_path.string();
    s.server.tls_key_file = files.key_path.string();
  });
  auto t = make_tenant(app.get().database(), "tls@example.com");
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(files.cert_path.string());
  ctx.set_verify_mode(ssl::verify_peer);
  boost::asio::io_context ioc;
  boost::beast::websocket::stream<ssl::stream<tcp::socket>> s(ioc, ctx);
  SSL_set_tlsext_host_name(s.next_layer().native_handle(), "localhost");
  s.next_layer().set_verify_callback(ssl::host_name_verification("localhost"));
  boost::beast::get_lowest_layer(s).connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), app.port()));
  s.next_layer().handshake(ssl::stream_base::client);
  s.set_option(boost::beast::websocket::stream_base::decorator(
      [&](boost::beast::websocket::request_type& req) { req.set("Authorization", "Bearer " + t.key); }));
  s.handshake("localhost", "/v1/stream?after=0");
  store::events::event e{0, t.user_id, "", "test.tls", "{\"ok\":true}", 0};
  BOOST_REQUIRE(!app.get().database().write_sync([&](store::connection& c) { return store::events::append(c, e); }));
  boost::beast::flat_buffer buf;
  boost::system::error_code ec;
  bool done = false;
  s.async_read(buf, [&](boost::system::error_code e2, std::size_t) {
    ec = e2;
    done = true;
  });
  ioc.run_for(std::chrono::seconds(5));
  BOOST_REQUIRE(done);
  BOOST_REQUIRE(!ec);
  auto got = json::parse(boost::beast::buffers_to_string(buf.data())).as_object();
  BOOST_TEST(got.at("id").as_int64() == e.id);
  BOOST_TEST(std::string(got.at("type").as_string()) == "test.tls");
  BOOST_TEST(got.at("data").as_object().at("ok").as_bool());
}

// ---- coalesced writes (issue 22): several queued events in one socket write --------------

// Events queued while the client does not read leave in gathered writes of frames built below
// Beast; Beast's own client parses each as its own message, in id order, with every length
// encoding (7-bit, 16-bit and 64-bit payload lengths).
BOOST_FIXTURE_TEST_CASE(coalesced_writes_keep_order_and_parse_as_separate_messages, feed_fixture) {
  ws_client c;
  BOOST_REQUIRE(open(c, alice));
  BOOST_REQUIRE(wait_until([&] { return metric(app.port(), "enfinito_feed_subscribers") == 1; }));
  const double gathered_before = metric(app.port(), "enfinito_feed_gathered_writes_total");
  BOOST_REQUIRE(gathered_before >= 0);
  std::vector<std::int64_t> produced;
  // One commit of 300 small events reaches the socket's queue at once: gathered.
  auto ids = append(alice, 300);
  produced.insert(produced.end(), ids.begin(), ids.end());
  // Mixed sizes: 16-bit (200 B, 20 KiB) and 64-bit (70 KiB, over the gather bound: alone) lengths.
  for (std::size_t pad : {200u, 20u * 1024u, 70u * 1024u, 0u, 200u}) {
    ids = append(alice, 3, "test.sized", {}, pad);
    produced.insert(produced.end(), ids.begin(), ids.end());
  }
  std::vector<std::int64_t> got;
  std::size_t big = 0;
  for (auto& e : c.take(produced.size())) {
    got.push_back(id_of(e));
    if (e.at("type").as_string() == "test.sized" &&
        e.at("data").as_object().at("pad").as_string().size() == 70u * 1024u)
      ++big;
  }
  BOOST_TEST(got == produced, boost::test_tools::per_element());
  BOOST_TEST(big == 3u);
  BOOST_TEST(metric(app.port(), "enfinito_feed_gathered_writes_total") > gathered_before);
  // Nothing more than what was produced: no repeated frame.
  c.set_timeout(std::chrono::milliseconds(200));
  BOOST_TEST(!c.next().has_value());
  BOOST_TEST(c.timed_out());
}

// The client drops the connection while the server is in the middle of gathered writes (a
// 4 KiB receive buffer against 600 KiB queued): resuming from the last event it parsed loses
// and repeats nothing, whatever part of a gathered write had reached it.
BOOST_FIXTURE_TEST_CASE(resume_after_a_disconnect_during_a_coalesced_write_loses_and_repeats_nothing, feed_fixture) {
  ws_client first;
  BOOST_REQUIRE(first.connect(app.port(), "/v1/stream" + from_now(alice), {{"Authorization", "Bearer " + alice.key}},
                              std::chrono::seconds(5), 4096));
  BOOST_REQUIRE(wait_until([&] { return metric(app.port(), "enfinito_feed_subscribers") == 1; }));
  const double gathered_before = metric(app.port(), "enfinito_feed_gathered_writes_total");
  std::vector<std::int64_t> produced;
  for (int i = 0; i < 6; ++i) {
    auto ids = append(alice, 100, "test.tick", {}, 1000);
    produced.insert(produced.end(), ids.begin(), ids.end());
  }
  std::vector<std::int64_t> got;
  for (auto& e : first.take(37)) got.push_back(id_of(e));
  BOOST_REQUIRE_EQUAL(got.size(), 37u);
  BOOST_TEST(metric(app.port(), "enfinito_feed_gathered_writes_total") > gathered_before);
  first.s.next_layer().close();  // abrupt, with the rest of a gathered write unread
  BOOST_REQUIRE(wait_until([&] { return metric(app.port(), "enfinito_feed_subscribers") == 0; }));
  ws_client second;
  BOOST_REQUIRE(open(second, alice, "?after=" + std::to_string(got.back())));
  for (auto& e : second.take(produced.size() - got.size())) got.push_back(id_of(e));
  BOOST_TEST(got == produced, boost::test_tools::per_element());
  second.set_timeout(std::chrono::milliseconds(200));
  BOOST_TEST(!second.next().has_value());  // and nothing twice
  BOOST_TEST(second.timed_out());
}

// With gathered writes the too-slow rule is unchanged: the byte bound (here, with a message
// bound that cannot be reached) still closes a consumer that stopped reading with 4008, and the
// id in the reason is the last event it was fully sent.
BOOST_AUTO_TEST_CASE(a_slow_consumer_is_closed_at_the_byte_bound_with_coalesced_writes) {
  feed_fixture f([](config::settings& s) {
    s.feed.max_queued_messages = 1'000'000;
    s.feed.max_queued_bytes = 256 * 1024;
    s.feed.write_timeout = std::chrono::milliseconds(30'000);
  });
  ws_client slow;
  BOOST_REQUIRE(slow.connect(f.app.port(), "/v1/stream" + f.from_now(f.alice),
                             {{"Authorization", "Bearer " + f.alice.key}}, std::chrono::seconds(5), 4096));
  BOOST_REQUIRE(wait_until([&] { return metric(f.app.port(), "enfinito_feed_subscribers") == 1; }));
  std::vector<std::int64_t> produced;
  // 4 MiB of 2 KiB events in commits of 50: far past the kernel's buffers plus 256 KiB queued.
  for (int i = 0; i < 40; ++i) {
    auto ids = f.append(f.alice, 50, "test.tick", {}, 2 * 1024);
    produced.insert(produced.end(), ids.begin(), ids.end());
  }
  BOOST_REQUIRE(wait_until([&] { return metric(f.app.port(), "enfinito_feed_closed_too_slow_total") == 1; }));
  std::string reason;
  const auto slow_got = read_until_closed_too_slow(slow, reason);
  BOOST_REQUIRE(!slow_got.empty());
  BOOST_REQUIRE(slow_got.size() < produced.size());
  // In order, from the first, and the reason names the last one received.
  BOOST_TEST(slow_got == std::vector<std::int64_t>(produced.begin(),
                                                   produced.begin() + static_cast<std::ptrdiff_t>(slow_got.size())),
             boost::test_tools::per_element());
  BOOST_TEST(reason.substr(reason.find('=') + 1) == std::to_string(slow_got.back()));
}

BOOST_AUTO_TEST_SUITE_END()
