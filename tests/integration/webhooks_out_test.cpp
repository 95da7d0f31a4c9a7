// Customer webhooks out, end to end: the real daemon in-process with a real database, the fake
// Graph API as Meta, events produced by real actions (signed Meta webhooks POSTed to
// /webhooks/meta/{instance}), and receivers this test starts on loopback that record what
// arrives and answer scripted statuses and delays. Signatures are verified here independently
// (HMAC computed by the test per the Standard Webhooks spec and Meta's scheme).
#include "fake_graph/server.hpp"
#include "support/blackhole.hpp"
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/latency.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/crypto/tls.hpp>
#include <enfinito/upstream/client.hpp>

#include <fake_graph/core.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

namespace {

namespace json = boost::json;
namespace acc = enfinito::store::accounts;
namespace bhttp = boost::beast::http;
using namespace enfinito;
using namespace enfinito::test;
using tcp = boost::asio::ip::tcp;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

constexpr const char* token = "EAAGhooksOUTq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8";
constexpr const char* app_secret = "hookSECRET4d9c2b7e1f0a3b8c";

// ---- a receiver: a small Beast server on loopback ------------------------------------------

struct received {
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  steady::time_point at;
};

struct reply {
  unsigned status = 200;
  milliseconds delay{0};
  std::vector<std::pair<std::string, std::string>> headers;
};

class receiver {
 public:
  using script_fn = std::function<reply(std::size_t nth)>;  // nth request, from 0
  explicit receiver(script_fn s = {}) : st_(std::make_shared<state>()) {
    st_->script = s ? std::move(s) : [](std::size_t) { return reply{}; };
    st_->acceptor.open(tcp::v4());
    st_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    st_->acceptor.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    st_->acceptor.listen();
    port_ = st_->acceptor.local_endpoint().port();
    accept_thread_ = std::thread([st = st_] { accept_loop(st); });
  }
  ~receiver() {
    st_->stopping = true;
    boost::system::error_code ec;
    {
      // A blocking accept does not notice close(): wake it with one connection.
      boost::asio::io_context io;
      tcp::socket poke(io);
      poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    }
    accept_thread_.join();
    st_->acceptor.close(ec);
    {
      std::lock_guard lk(st_->mu);
      for (auto& s : st_->sockets) s->shutdown(tcp::socket::shutdown_both, ec);
    }
    std::vector<std::thread> ts;
    {
      std::lock_guard lk(st_->mu);
      ts.swap(st_->threads);
    }
    for (auto& t : ts) t.join();
  }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<received> got() const {
    std::lock_guard lk(st_->mu);
    return st_->requests;
  }
  std::size_t count() const { return got().size(); }

 private:
  struct state {
    boost::asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::mutex mu;
    std::vector<received> requests;
    std::vector<std::shared_ptr<tcp::socket>> sockets;
    std::vector<std::thread> threads;
    std::atomic<std::size_t> seen{0};
    std::atomic<bool> stopping{false};
    script_fn script;
  };

  static void accept_loop(std::shared_ptr<state> st) {
    while (!st->stopping) {
      auto sock = std::make_shared<tcp::socket>(st->ioc);
      boost::system::error_code ec;
      st->acceptor.accept(*sock, ec);
      if (ec || st->stopping) return;
      std::lock_guard lk(st->mu);
      st->sockets.push_back(sock);
      st->threads.emplace_back([st, sock] { serve(st, sock); });
    }
  }

  static void serve(std::shared_ptr<state> st, std::shared_ptr<tcp::socket> sock) {
    boost::beast::flat_buffer buf;
    while (true) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      bhttp::read(*sock, buf, req, ec);
      if (ec) return;
      received r;
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        r.headers[name] = std::string(f.value());
      }
      r.body = req.body();
      r.at = steady::now();
      const std::size_t nth = st->seen++;
      {
        std::lock_guard lk(st->mu);
        st->requests.push_back(r);
      }
      const reply rep = st->script(nth);
      // A real wait: the scripted slow answer.
      if (rep.delay.count()) std::this_thread::sleep_for(rep.delay);
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(rep.status), 11};
      for (const auto& [k, v] : rep.headers) res.set(k, v);
      res.body() = "ok";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      bhttp::write(*sock, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  std::shared_ptr<state> st_;
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
};

// ---- the fake Graph API, tenants, the daemon -----------------------------------------------

std::string fake_config() { return fake_graph::one_number_config(phone_a, waba_a, token); }

// The fake Graph API with this file's numbers and tokens (support/fake_graph_server.hpp).
struct fake_shop : test::fake_meta {
  fake_shop() : test::fake_meta(fake_config()) {}
};

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }

// Standard Webhooks, computed here from the spec: v1,base64(HMAC-SHA256(base64decode(secret
// after "whsec_"), "{id}.{timestamp}.{body}")).
std::string expected_signature(const std::string& secret, const received& r) {
  BOOST_REQUIRE(secret.rfind("whsec_", 0) == 0);
  auto key = crypto::base64_decode(secret.substr(6));
  BOOST_REQUIRE(key);
  const std::string content = r.headers.at("webhook-id") + "." + r.headers.at("webhook-timestamp") + "." + r.body;
  auto mac = crypto::hmac_sha256(std::span<const unsigned char>(key->data(), key->size()), content);
  return "v1," + crypto::base64_encode(std::span<const unsigned char>(mac.data(), mac.size()));
}

struct fixture {
  fake_shop meta;
  running_app app;
  tenant alice;
  std::string instance_id;
  int wamid_seq = 0;

  explicit fixture(std::function<void(config::settings&)> tweak = {}, bool allow_loopback = true)
      : app([this, tweak, allow_loopback](config::settings& s) {
          s.meta.base_url = meta.base_url();
          s.meta.timeout = milliseconds(5000);
          s.customer_webhooks.allow_http = true;
          if (allow_loopback) s.customer_webhooks.allow_ranges = "127.0.0.0/8";
          // Deprecated and ignored: every delivery here must start from the change stream or a
          // retry timer, never from a poll.
          s.customer_webhooks.poll_interval = std::chrono::hours(1);
          s.customer_webhooks.retry_base = milliseconds(100);
          s.customer_webhooks.retry_max = milliseconds(400);
          s.customer_webhooks.timeout = milliseconds(5000);
          if (tweak) tweak(s);
        }) {
    alice = make_tenant(app.get().database(), "alice@example.com");
    instance_id =
        std::string(connect_instance(app.port(), alice.key, {phone_a, waba_a, token, app_secret}).at("id").as_string());
  }

  http_result call(const tenant& t, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
    return api_call(app.port(), t, method, target, body);
  }
  std::string hooks_path() const { return "/v1/instances/" + instance_id + "/webhooks"; }

  // Registers an endpoint; returns (id, secret).
  std::pair<std::string, std::string> add_endpoint(const std::string& url, json::object extra = {}) {
    extra["url"] = url;
    auto r = call(alice, "POST", hooks_path(), json::serialize(extra));
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    auto o = body_of(r);
    return {std::string(o.at("id").as_string()), std::string(o.at("secret").as_string())};
  }

  // A genuine Meta webhook (signed with the instance's App Secret) carrying one inbound text:
  // the real action that produces a `message.received` event. Returns the exact bytes.
  // One inbound text, plus `statuses` when given, posted as Meta signs them; returns the body.
  std::string inbound_text(const std::string& text = "hello", json::array statuses = {}) {
    json::object msg{{"from", "16505551234"},
                     {"id", "wamid.HOOKS" + std::to_string(++wamid_seq)},
                     {"timestamp", "1700000000"},
                     {"type", "text"},
                     {"text", json::object{{"body", text}}}};
    json::object value{
        {"messaging_product", "whatsapp"},
        {"metadata", json::object{{"display_phone_number", "15550783881"}, {"phone_number_id", phone_a}}},
        {"messages", json::array{msg}}};
    if (!statuses.empty()) value["statuses"] = std::move(statuses);
    json::object root{{"object", "whatsapp_business_account"},
                      {"entry", json::array{json::object{
                                    {"id", waba_a},
                                    {"changes", json::array{json::object{{"value", value}, {"field", "messages"}}}}}}}};
    const std::string body = json::serialize(root);
    auto r = http_request("127.0.0.1", app.port(), "POST", "/webhooks/meta/" + instance_id,
                          {{"content-type", "application/json"},
                           {"x-hub-signature-256", "sha256=" + crypto::hmac_sha256_hex(app_secret, body)}},
                          body);
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body;
  }

  json::array deliveries(const std::string& endpoint_id) {
    auto r = call(alice, "GET", hooks_path() + "/" + endpoint_id + "/deliveries");
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body_of(r).at("data").as_array();
  }
  json::object endpoint(const std::string& endpoint_id) {
    auto r = call(alice, "GET", hooks_path() + "/" + endpoint_id);
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body_of(r);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(webhooks_out)

BOOST_AUTO_TEST_CASE(delivered_signed_and_retried_once_after_500) {
  receiver rx([](std::size_t n) { return reply{n == 0 ? 500u : 200u}; });
  fixture f;
  auto [id, secret] = f.add_endpoint(rx.url(), {{"event_types", json::array{"message.received"}}});
  f.inbound_text("first");
  BOOST_REQUIRE(wait_until([&] { return rx.count() >= 2; }));
  std::this_thread::sleep_for(milliseconds(600));  // no third request after the 200
  auto got = rx.got();
  BOOST_REQUIRE_EQUAL(got.size(), 2u);
  for (const auto& r : got) {
    BOOST_TEST(r.headers.at("webhook-signature") == expected_signature(secret, r));
    const auto ts = std::stoll(r.headers.at("webhook-timestamp"));
    BOOST_TEST(std::abs(ts - std::time(nullptr)) < 60);
    BOOST_TEST(r.headers.at("content-type") == "application/json");
  }
  BOOST_TEST(got[0].headers.at("webhook-id") == got[1].headers.at("webhook-id"));
  auto ev = json::parse(got[1].body).as_object();
  BOOST_TEST(ev.at("type").as_string() == "message.received");
  BOOST_TEST(ev.at("instance_id").as_string() == f.instance_id);
  BOOST_TEST(ev.at("data").as_object().at("message").as_object().at("text").as_object().at("body").as_string() ==
             "first");
  // The log shows one delivery, delivered on the second attempt, after a 500.
  BOOST_REQUIRE(wait_until([&] {
    auto d = f.deliveries(id);
    return d.size() == 1 && d[0].as_object().at("state").as_string() == "delivered";
  }));
  auto d = f.deliveries(id)[0].as_object();
  BOOST_TEST(d.at("attempts").as_int64() == 2);
  BOOST_TEST(d.at("last_status").as_int64() == 200);
  BOOST_TEST(d.at("id").as_string() == got[0].headers.at("webhook-id"));
  // A tampered body does not verify (the check above could fail).
  auto forged = got[1];
  forged.body += " ";
  BOOST_TEST(got[1].headers.at("webhook-signature") != expected_signature(secret, forged));
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured) {
  receiver rx([](std::size_t n) {
    reply r{n == 0 ? 503u : 200u};
    if (n == 0) r.headers.emplace_back("Retry-After", "2");
    return r;
  });
  fixture f;  // without Retry-After the retry would come after ~100 ms
  f.add_endpoint(rx.url());
  f.inbound_text();
  BOOST_REQUIRE(wait_until([&] { return rx.count() >= 2; }));
  auto got = rx.got();
  const auto gap = std::chrono::duration_cast<milliseconds>(got[1].at - got[0].at);
  BOOST_TEST(gap.count() >= 1800);
  BOOST_TEST(gap.count() < 5000);
}

BOOST_AUTO_TEST_CASE(a_slow_endpoint_does_not_delay_another) {
  receiver slow([](std::size_t) { return reply{200, milliseconds(3000)}; });
  receiver fast;
  fixture f([](config::settings& s) { s.customer_webhooks.max_in_flight = 1; });
  f.add_endpoint(slow.url());
  f.add_endpoint(fast.url());
  const auto start = steady::now();
  for (int i = 0; i < 3; ++i) f.inbound_text("m" + std::to_string(i));
  BOOST_REQUIRE(wait_until([&] { return fast.count() >= 3; }, milliseconds(2500)));
  BOOST_TEST(std::chrono::duration_cast<milliseconds>(steady::now() - start).count() < 2500);
  BOOST_TEST(slow.count() == 1u);  // one at a time for the slow one (max_in_flight = 1), still busy
}

BOOST_AUTO_TEST_CASE(a_failing_endpoint_pauses_and_resumes) {
  std::atomic<bool> healthy{false};
  receiver rx([&](std::size_t) { return reply{healthy ? 200u : 500u}; });
  fixture f([](config::settings& s) {
    s.customer_webhooks.pause_after_failures = 3;
    s.customer_webhooks.pause_after = milliseconds(1);
  });
  auto [id, secret] = f.add_endpoint(rx.url());
  f.inbound_text();
  BOOST_REQUIRE(wait_until([&] { return f.endpoint(id).at("state").as_string() == "paused"; }));
  auto ep = f.endpoint(id);
  BOOST_TEST(ep.at("paused_reason").is_string());
  BOOST_TEST(std::string(ep.at("paused_reason").as_string()).find("HTTP 500") != std::string::npos);
  const auto while_paused = rx.count();
  BOOST_TEST(while_paused == 3u);
  // A real wait: nothing may be sent while paused (a negative, over wall time).
  std::this_thread::sleep_for(milliseconds(500));
  BOOST_TEST(rx.count() == while_paused);  // nothing sent while paused
  healthy = true;
  auto r = f.call(f.alice, "PATCH", f.hooks_path() + "/" + id, R"({"state":"active"})");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(body_of(r).at("paused_reason").is_null());
  BOOST_REQUIRE(wait_until([&] {
    auto d = f.deliveries(id);
    return !d.empty() && d[0].as_object().at("state").as_string() == "delivered";
  }));
}

BOOST_AUTO_TEST_CASE(redelivery_keeps_the_webhook_id) {
  receiver rx;
  fixture f;
  auto [id, secret] = f.add_endpoint(rx.url());
  f.inbound_text();
  BOOST_REQUIRE(wait_until([&] {
    auto d = f.deliveries(id);
    return d.size() == 1 && d[0].as_object().at("state").as_string() == "delivered";
  }));
  const std::string did(f.deliveries(id)[0].as_object().at("id").as_string());
  auto r = f.call(f.alice, "POST", f.hooks_path() + "/" + id + "/deliveries/" + did + "/redeliver");
  BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
  BOOST_REQUIRE(wait_until([&] { return rx.count() >= 2; }));
  auto got = rx.got();
  BOOST_TEST(got[0].headers.at("webhook-id") == did);
  BOOST_TEST(got[1].headers.at("webhook-id") == did);
  BOOST_TEST(got[1].body == got[0].body);
  BOOST_TEST(got[1].headers.at("webhook-signature") == expected_signature(secret, got[1]));
  // An unknown delivery id is a 404.
  r = f.call(f.alice, "POST", f.hooks_path() + "/" + id + "/deliveries/whd_nope/redeliver");
  BOOST_TEST(r.status == 404u);
}

BOOST_AUTO_TEST_CASE(meta_format_passes_the_original_payload_through) {
  receiver rx;
  fixture f;
  auto [id, secret] = f.add_endpoint(rx.url(), {{"format", "meta"}});
  const std::string sent = f.inbound_text("passthrough");
  BOOST_REQUIRE(wait_until([&] { return rx.count() >= 1; }));
  auto got = rx.got()[0];
  BOOST_TEST(got.body == sent);  // byte for byte
  BOOST_TEST(got.headers.at("x-hub-signature-256") == "sha256=" + crypto::hmac_sha256_hex(secret, got.body));
  BOOST_TEST(got.headers.at("x-hub-signature-256") != "sha256=" + crypto::hmac_sha256_hex(app_secret, got.body));
  // A real wait: no second delivery may follow (a negative, over wall time).
  std::this_thread::sleep_for(milliseconds(300));
  BOOST_TEST(rx.count() == 1u);  // one payload, one delivery
}

// Enfinito's own biz_opaque_callback_data tag (meta/graph.hpp) never reaches a customer: the
// hooks engine takes it out of Meta's bytes when it sends a delivery of format meta. The
// customer's own value, and everything else, stays.
BOOST_AUTO_TEST_CASE(meta_format_forwards_statuses_without_enfinitos_tag) {
  receiver rx;
  fixture f;
  auto [id, secret] = f.add_endpoint(rx.url(), {{"format", "meta"}});
  auto status = [](const char* wamid, const char* callback_data) {
    return json::object{{"id", wamid},
                        {"status", "delivered"},
                        {"timestamp", "1700000001"},
                        {"recipient_id", "16505550000"},
                        {"biz_opaque_callback_data", callback_data}};
  };
  const std::string sent = f.inbound_text(
      "with statuses", json::array{status("wamid.OURS", "enfinito:msg_0193abc"), status("wamid.THEIRS", "order-7")});
  BOOST_REQUIRE(wait_until([&] { return rx.count() >= 1; }));
  auto got = rx.got()[0];
  BOOST_TEST(got.body.find("enfinito:") == std::string::npos);
  BOOST_TEST(got.headers.at("x-hub-signature-256") == "sha256=" + crypto::hmac_sha256_hex(secret, got.body));
  auto expected = json::parse(sent);
  auto& statuses = expected.at("entry").at(0).at("changes").at(0).at("value").at("statuses").as_array();
  statuses[0].as_object().erase("biz_opaque_callback_data");
  BOOST_TEST(json::parse(got.body) == expected);  // the customer's order-7 and the message kept
}

BOOST_AUTO_TEST_CASE(private_addresses_are_refused_at_registration) {
  receiver rx;
  fixture f({}, /*allow_loopback=*/false);
  for (const std::string& url :
       {rx.url(), std::string("http://localhost:") + std::to_string(rx.port()) + "/hook", std::string("http://[::1]/x"),
        std::string("http://[::ffff:127.0.0.1]/x"), std::string("http://169.254.169.254/latest/meta-data"),
        std::string("http://10.0.0.1/x"), std::string("http://192.168.1.10/x"), std::string("http://[fe80::1]/x"),
        std::string("http://100.64.0.1/x"), std::string("http://0.0.0.0/x"), std::string("http://[fd00::1]/x")}) {
    auto r = f.call(f.alice, "POST", f.hooks_path(), json::serialize(json::object{{"url", url}}));
    BOOST_TEST_CONTEXT(url) {
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(r.body.find("\"url\"") != std::string::npos);
    }
  }
  for (const std::string& url :
       {std::string("ftp://example.com/x"), std::string("http://user:pw@93.184.216.34/x"), std::string("not a url")}) {
    auto r = f.call(f.alice, "POST", f.hooks_path(), json::serialize(json::object{{"url", url}}));
    BOOST_TEST_CONTEXT(url) { BOOST_TEST(r.status == 400u); }
  }
  BOOST_TEST(rx.count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_name_resolving_to_a_refused_address_is_refused_at_connect_time) {
  receiver rx;
  fixture f({}, /*allow_loopback=*/false);
  // Registered with a public literal, then the row's URL becomes a name that resolves to
  // loopback: what DNS rebinding does between registration and delivery.
  auto [id, secret] = f.add_endpoint("http://93.184.216.34/hook");
  auto ec = f.app.get().database().write_sync([&](store::connection& c) -> core::error_code {
    store::hooks::endpoint e;
    if (auto e2 = store::hooks::get_any(c, id, e)) return e2;
    e.url = "http://localhost:" + std::to_string(rx.port()) + "/hook";
    return store::hooks::update(c, e, 1);
  });
  BOOST_REQUIRE(!ec);
  f.inbound_text();
  BOOST_REQUIRE(wait_until([&] {
    auto d = f.deliveries(id);
    return !d.empty() && d[0].as_object().at("attempts").as_int64() >= 1;
  }));
  auto d = f.deliveries(id)[0].as_object();
  BOOST_TEST(std::string(d.at("last_error").as_string()).find("non-public") != std::string::npos);
  BOOST_TEST(rx.count() == 0u);
}

BOOST_AUTO_TEST_CASE(other_tenants_get_404_and_the_secret_is_shown_once) {
  receiver rx;
  // Logs of this test go to a file, which must never contain the secret.
  temp_dir dir;
  const auto log_path = dir.path() / "stderr.log";
  const int saved = ::dup(2);
  const int fd = ::open(log_path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  BOOST_REQUIRE(fd >= 0);
  ::dup2(fd, 2);
  std::string secret, rotated, id;
  {
    fixture f([](config::settings& s) { s.log_level = "debug"; });  // everything that is logged
    std::tie(id, secret) = f.add_endpoint(rx.url());
    auto bob = make_tenant(f.app.get().database(), "bob@example.com");
    auto scoped = make_tenant(f.app.get().database(), "carol@example.com", {"ins_other"});
    for (const auto& path : {f.hooks_path(), f.hooks_path() + "/" + id, f.hooks_path() + "/" + id + "/deliveries"})
      BOOST_TEST(f.call(bob, "GET", path).status == 404u);
    BOOST_TEST(f.call(bob, "DELETE", f.hooks_path() + "/" + id).status == 404u);
    BOOST_TEST(f.call(bob, "POST", f.hooks_path() + "/" + id + "/rotate-secret").status == 404u);
    BOOST_TEST(f.call(bob, "POST", f.hooks_path(), json::serialize(json::object{{"url", rx.url()}})).status == 404u);
    BOOST_TEST(f.call(scoped, "GET", f.hooks_path()).status == 404u);
    // Validation names the field.
    auto bad = f.call(f.alice, "POST", f.hooks_path(), R"({"url":"https://93.184.216.34/","format":"xml"})");
    BOOST_TEST(bad.status == 400u);
    BOOST_TEST(body_of(bad).at("field").as_string() == "format");
    bad = f.call(f.alice, "POST", f.hooks_path(), R"({"url":"https://93.184.216.34/","event_types":["Bad Type"]})");
    BOOST_TEST(body_of(bad).at("field").as_string() == "event_types");
    // Rotation gives a new secret; deliveries are then signed with it.
    auto r = f.call(f.alice, "POST", f.hooks_path() + "/" + id + "/rotate-secret");
    BOOST_REQUIRE(r.status == 200u);
    rotated = std::string(body_of(r).at("secret").as_string());
    BOOST_TEST(rotated != secret);
    f.inbound_text();
    BOOST_REQUIRE(wait_until([&] { return rx.count() >= 1; }));
    BOOST_TEST(rx.got()[0].headers.at("webhook-signature") == expected_signature(rotated, rx.got()[0]));
    for (const auto& path : {f.hooks_path(), f.hooks_path() + "/" + id, f.hooks_path() + "/" + id + "/deliveries"}) {
      auto g = f.call(f.alice, "GET", path);
      BOOST_TEST(g.status == 200u);
      BOOST_TEST(g.body.find(secret.substr(6)) == std::string::npos);
      BOOST_TEST(g.body.find(rotated.substr(6)) == std::string::npos);
      BOOST_TEST(g.body.find("\"secret\"") == std::string::npos);
    }
    BOOST_TEST(f.call(f.alice, "DELETE", f.hooks_path() + "/" + id).status == 204u);
    BOOST_TEST(f.call(f.alice, "GET", f.hooks_path() + "/" + id).status == 404u);
  }
  ::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in(log_path);
  std::stringstream all;
  all << in.rdbuf();
  BOOST_TEST(all.str().find("event=hooks.endpoint_created") != std::string::npos);  // the capture worked
  BOOST_TEST(all.str().find(secret.substr(6)) == std::string::npos);
  BOOST_TEST(all.str().find(rotated.substr(6)) == std::string::npos);
}

// Deleting the instance removes its endpoints, their deliveries and kept Meta payloads (P4).
BOOST_AUTO_TEST_CASE(deleting_the_instance_removes_its_webhooks) {
  receiver rx;
  fixture f;
  auto [id, secret] = f.add_endpoint(rx.url(), {{"format", "meta"}});
  f.inbound_text();
  BOOST_REQUIRE(wait_until([&] { return rx.count() >= 1; }));
  BOOST_REQUIRE(f.call(f.alice, "DELETE", "/v1/instances/" + f.instance_id).status == 204u);
  auto& db = f.app.get().database();
  const auto endpoints = db_scalar(db, "SELECT COUNT(*) FROM webhook_endpoints");
  const auto deliveries = db_scalar(db, "SELECT COUNT(*) FROM webhook_deliveries");
  const auto payloads = db_scalar(db, "SELECT COUNT(*) FROM meta_payloads");
  BOOST_TEST(endpoints == 0);
  BOOST_TEST(deliveries == 0);
  BOOST_TEST(payloads == 0);
}

// The hook added to upstream::client for this: every resolved address goes through the filter
// before any connection; a refusal is `address_refused` with no connection made. Extra
// headers are sent, and Retry-After comes back.
BOOST_AUTO_TEST_CASE(upstream_client_address_filter_headers_and_retry_after) {
  receiver rx([](std::size_t) {
    reply r{429};
    r.headers.emplace_back("Retry-After", "7");
    return r;
  });
  auto call = [&](bool allow) {
    upstream::options o;
    o.address_filter = [allow](const boost::asio::ip::address& a) { return allow || !a.is_loopback(); };
    auto c = upstream::client::make({false, "localhost", std::to_string(rx.port())}, o, *crypto::make_client_context());
    boost::asio::io_context ioc(1);
    std::optional<core::result<upstream::response>> out;
    const std::pair<std::string_view, std::string_view> extra[] = {{"webhook-id", "whd_x"}};
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          upstream::request r;
          r.method = "POST";
          r.body = "{}";
          r.headers = extra;
          auto got = co_await c->call(r);
          out.emplace(std::move(got));
        },
        boost::asio::detached);
    ioc.run();
    auto opened = c->stats().connections_opened;
    c->close_idle();
    return std::make_pair(std::move(*out), opened);
  };
  auto [refused, opened] = call(false);
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error() == upstream::make_error_code(upstream::error::address_refused)));
  BOOST_TEST(opened == 0u);
  BOOST_TEST(rx.count() == 0u);
  auto [ok, opened2] = call(true);
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->status == 429u);
  BOOST_TEST(ok->retry_after == "7");
  BOOST_TEST(opened2 == 1u);
  BOOST_REQUIRE(rx.count() == 1u);
  BOOST_TEST(rx.got()[0].headers.at("webhook-id") == "whd_x");
  // A header value with a line break is refused before anything is sent.
  upstream::options o;
  auto c = upstream::client::make({false, "127.0.0.1", std::to_string(rx.port())}, o, *crypto::make_client_context());
  boost::asio::io_context ioc(1);
  std::optional<core::result<upstream::response>> out;
  const std::pair<std::string_view, std::string_view> bad[] = {{"webhook-id", "x\r\nInjected: 1"}};
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        upstream::request r;
        r.headers = bad;
        auto got = co_await c->call(r);
        out.emplace(std::move(got));
      },
      boost::asio::detached);
  ioc.run();
  BOOST_TEST(!*out);
  BOOST_TEST(rx.count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// Degraded dependencies (issue 7): customer endpoints that take the connection and never answer,
// many of them, next to one healthy endpoint. Deliveries to the healthy one keep arriving
// promptly and the send path keeps its latency; both compared with a baseline measured first.
BOOST_AUTO_TEST_SUITE(degraded_webhooks)

BOOST_AUTO_TEST_CASE(many_hanging_endpoints_do_not_delay_a_healthy_one_or_the_send_path) {
  constexpr int hanging_endpoints = 40, sends = 150, probes = 6;
  blackhole hang;
  receiver healthy;
  fixture f([](config::settings& s) {
    s.customer_webhooks.max_endpoints_per_instance = 64;
    s.customer_webhooks.timeout = milliseconds(5000);  // each hanging delivery holds its slot this long
  });
  f.add_endpoint(healthy.url(), {{"event_types", json::array{"message.received"}}});
  int sent = 0, probe = 0;
  const auto measure = [&](latency& send_ms, latency& delivery_ms) {
    for (int i = 0; i < sends; ++i)
      send_ms.time([&] {
        json::object m{{"to", "1555800" + std::to_string(1000 + sent++ % 500)},
                       {"type", "text"},
                       {"text", json::object{{"body", "hooks"}}}};
        auto r = f.call(f.alice, "POST", "/v1/instances/" + f.instance_id + "/messages", json::serialize(m));
        BOOST_TEST(r.status == 202u, r.body);
        return 0;
      });
    for (int i = 0; i < probes; ++i) {
      const std::string text = "probe-" + std::to_string(probe++);
      const auto t0 = steady::now();
      f.inbound_text(text);
      const bool arrived = wait_until(
          [&] {
            for (const auto& g : healthy.got())
              if (g.body.find(text) != std::string::npos) return true;
            return false;
          },
          milliseconds(10'000));
      BOOST_TEST(arrived, text);
      delivery_ms.add(steady::now() - t0);
    }
  };
  latency base_send, base_delivery, send_ms, delivery_ms;
  measure(base_send, base_delivery);
  // Every event type goes to the hanging endpoints too: the sends' own events pile up there.
  for (int i = 0; i < hanging_endpoints; ++i)
    f.add_endpoint("http://127.0.0.1:" + std::to_string(hang.port()) + "/hang" + std::to_string(i));
  measure(send_ms, delivery_ms);
  const auto stuck =
      db_scalar(f.app.get().database(), "SELECT COUNT(*) FROM webhook_deliveries WHERE delivered_at IS NULL");
  BOOST_TEST_MESSAGE("hanging customer endpoints: "
                     << hanging_endpoints << " hanging + 1 healthy; healthy deliveries "
                     << "before " << base_delivery.summary() << ", with the hanging ones " << delivery_ms.summary()
                     << "; sends before " << base_send.summary() << ", during " << send_ms.summary()
                     << "; deliveries not delivered at the end " << stuck);
#if ENFTEST_TIMING_BOUNDS
  BOOST_TEST(within_twice(delivery_ms.max(), base_delivery.max(), 250.0), delivery_ms.summary()
                                                                              << " vs " << base_delivery.summary());
  BOOST_TEST(within_twice(send_ms.pct(50), base_send.pct(50), 2.0), send_ms.summary() << " vs " << base_send.summary());
#endif
  // The tail does grow: every event becomes 41 delivery rows, and each hanging attempt's
  // result is a write, all through the one store writer, so a send's commit may wait behind
  // a large group (+20-40 ms at p99 here; p50 unchanged). Bounded, not hidden.
#if ENFTEST_TIMING_BOUNDS
  BOOST_TEST(within_twice(send_ms.pct(99), base_send.pct(99), 50.0), send_ms.summary()
                                                                         << " vs " << base_send.summary());
#endif
  BOOST_TEST(stuck > 0);  // the hanging endpoints really held deliveries
}

BOOST_AUTO_TEST_SUITE_END()
