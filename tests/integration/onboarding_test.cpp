// Onboarding and owner mails end to end (issue 19): the real daemon in-process, a real
// database file, the fake Graph API as Meta (subscribed_apps with the override and its
// handshake, debug_token), and a real SMTP server on loopback for the owner mails.
#include "fake_graph/server.hpp"
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

constexpr const char* token = "EAAGonboardTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3";
constexpr const char* secret = "onboardSECRET4d9c2b7e1f0a3b8c";
constexpr const char* app_id = "1234567890123";

// The fake: one number whose WABA the app is not subscribed to yet, no callback of its own
// (the only way its webhooks reach Enfinito is the override), and `token`.
std::string fake_config(bool subscribed = false, std::string callback = {}) {
  json::object number{{"app_secret", secret}};
  if (!callback.empty()) number["callback_url"] = callback;
  auto cfg = json::parse(fake_graph_config({{phone_a, waba_a, number}}, {token},
                                           {{"knobs", json::object{{"window_mode", "off"}}}}))
                 .as_object();
  cfg["wabas"].as_array()[0].as_object()["subscribed"] = subscribed;
  return json::serialize(cfg);
}

struct api {
  std::uint16_t port;
  http_result call(const tenant& t, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
    return api_call(port, t, method, target, body);
  }
};

// The body of POST /v1/instances for the fake's number.
std::string creds() { return meta_credentials{phone_a, waba_a, token, secret, app_id}.body(); }

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }

// The daemon on a port chosen up front, so that public_url is its real address.
void tweak(config::settings& s, const fake_meta& meta, unsigned short port) {
  s.server.port = port;
  s.server.public_url = "http://127.0.0.1:" + std::to_string(port);
  s.meta.base_url = meta.base_url();
  s.meta.timeout = 5000ms;
  s.onboarding.callback_override = "always";  // the test's URL is loopback: "auto" would not override
  s.onboarding.watch_interval = 100ms;
}

// One test's world: the fake (its WABA already subscribed or not), the daemon on `port` tweaked
// as above (and by `more`), a client, and the owner's tenant `t`.
struct owner_world {
  fake_meta meta;
  const unsigned short port = free_port();
  running_app app;
  api client{app.port()};
  tenant t = make_tenant(app.get().database(), "owner@example.com");

  explicit owner_world(bool subscribed, const std::function<void(config::settings&)>& more = {})
      : meta(fake_config(subscribed)), app([this, more](config::settings& s) {
          tweak(s, meta, port);
          if (more) more(s);
        }) {}
  /** The data of the owner's instance.messaging_limit events, oldest first. */
  std::vector<json::object> limit_events() {
    auto v = client.call(t, "GET", "/v1/events?limit=100");
    std::vector<json::object> out;
    if (v.status != 200u) return out;
    const auto body = body_of(v);  // named: see event_types
    for (const auto& e : body.at("data").as_array())
      if (e.at("type").as_string() == "instance.messaging_limit") out.push_back(e.at("data").as_object());
    return out;
  }
  /** POST /v1/instances with creds(). */
  http_result connect() { return client.call(t, "POST", "/v1/instances", creds()); }
};

struct unsubscribed : owner_world {
  unsubscribed() : owner_world(false) {}
};

// Subscribed, and the daemon's public URL where nobody answers: the handshake fails.
struct handshake_unanswered : owner_world {
  handshake_unanswered()
      : owner_world(true, [](config::settings& s) {
          s.server.public_url = "http://127.0.0.1:" + std::to_string(free_port());  // nobody answers there
        }) {}
};

json::object instance_view(api& client, const tenant& t, const std::string& id) {
  auto r = client.call(t, "GET", "/v1/instances/" + id);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  return body_of(r).at("onboarding").as_object();
}

std::vector<std::string> event_types(api& client, const tenant& t) {
  auto r = client.call(t, "GET", "/v1/events?limit=1000");
  std::vector<std::string> out;
  if (r.status != 200u) return out;
  // A named copy: iterating `body_of(r).at("data").as_array()` directly walks an array of a
  // temporary destroyed before the loop's first step (C++20 extends no lifetime there).
  const auto body = body_of(r);
  for (const auto& e : body.at("data").as_array()) out.emplace_back(e.at("type").as_string());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(onboarding)

BOOST_FIXTURE_TEST_CASE(connect_subscribes_with_the_override_and_the_fake_then_delivers_to_it, unsubscribed) {
  auto r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  const auto id = std::string(body_of(r).at("id").as_string());
  const auto callback = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/meta/" + id;
  auto ob = body_of(r).at("onboarding").as_object();
  const auto& sub = ob.at("subscription").as_object();
  BOOST_TEST(sub.at("state").as_string() == "overridden");
  BOOST_TEST(sub.at("callback_override").as_string() == callback);
  BOOST_TEST(ob.at("token").at("type").as_string() == "SYSTEM_USER");
  BOOST_TEST(ob.at("token").at("problems").as_array().empty());
  BOOST_TEST(ob.at("webhooks").at("last_received_at").is_null());

  // Meta's side: the app is subscribed to the WABA, with the override (and the handshake passed).
  auto subs = http_request("127.0.0.1", meta.port(), "GET", std::string("/v23.0/") + waba_a + "/subscribed_apps",
                           {{"authorization", std::string("Bearer ") + token}});
  BOOST_REQUIRE_MESSAGE(subs.status == 200u, subs.body);
  const auto data = body_of(subs).at("data").as_array();
  BOOST_REQUIRE(data.size() == 1u);
  BOOST_TEST(data[0].at("override_callback_uri").as_string() == callback);
  BOOST_TEST(meta.admin_get("stats").at("verify").at("ok").as_int64() >= 1);

  // A customer writes: the fake delivers to the override, and the instance view shows it.
  meta.admin("inbound", {{"phone_number_id", phone_a}, {"type", "text"}});
  BOOST_TEST(wait_until([&] { return !instance_view(client, t, id).at("webhooks").at("last_received_at").is_null(); }));
  // ...and the watch flushes it to the store (seen after the in-memory times are gone: a GET
  // of the row through the database).
  BOOST_TEST(wait_until([&] {
    return db_scalar(app.get().database(),
                     "SELECT COUNT(*) FROM instance_health WHERE instance_id = ?1 AND last_webhook_at IS NOT NULL",
                     {id}) == 1;
  }));
}

BOOST_FIXTURE_TEST_CASE(a_failed_handshake_is_reported_and_not_overridden, handshake_unanswered) {
  auto r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  const auto sub = body_of(r).at("onboarding").at("subscription").as_object();
  BOOST_TEST(sub.at("state").as_string() == "failed");
  BOOST_TEST(sub.at("meta_error_code").as_int64() == 2200);
  BOOST_TEST(sub.at("callback_override").is_null());
}

BOOST_FIXTURE_TEST_CASE(a_token_missing_a_scope_is_reported_by_name, unsubscribed) {
  // Messaging without management: connects, and the view names what is missing.
  meta.admin("tokens", {{"token", token}, {"scopes", json::array{"whatsapp_business_messaging"}}});
  auto r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  auto ob = body_of(r).at("onboarding").as_object();
  const auto& problems = ob.at("token").at("problems").as_array();
  BOOST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(problems[0].at("code").as_string() == "scope_missing");
  BOOST_TEST(problems[0].at("scope").as_string() == "whatsapp_business_management");
  BOOST_TEST(ob.at("subscription").at("state").as_string() == "failed");  // Meta's 200: no management
  BOOST_TEST(ob.at("subscription").at("meta_error_code").as_int64() == 200);
  const auto id = std::string(body_of(r).at("id").as_string());
  BOOST_TEST(client.call(t, "DELETE", "/v1/instances/" + id).status == 204u);

  // Without messaging, or over another WABA only, it cannot send: refused, the scope named.
  meta.admin("tokens", {{"token", token}, {"scopes", json::array{"whatsapp_business_management"}}});
  r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 422u, r.body);
  auto p = body_of(r);
  BOOST_TEST(p.at("code").as_string() == "meta_token_incomplete");
  BOOST_TEST(p.at("field").as_string() == "access_token");
  BOOST_TEST(p.at("problems").at(0).at("scope").as_string() == "whatsapp_business_messaging");
  BOOST_TEST(r.header("content-type") == "application/problem+json");

  meta.admin("tokens", {{"token", token},
                        {"scopes", json::array{"whatsapp_business_management", "whatsapp_business_messaging"}},
                        {"granular_scopes", json::array{json::object{{"scope", "whatsapp_business_messaging"},
                                                                     {"target_ids", json::array{"999999999"}}}}}});
  r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 422u, r.body);
  BOOST_TEST(body_of(r).at("problems").at(0).at("code").as_string() == "waba_not_granted");
  BOOST_TEST(r.body.find(token) == std::string::npos);
}

// Per-number health (issue 19): Meta's messaging limit tier from the phone-number read at
// connect, then from a phone_number_quality_update the fake sends as Meta documents, on the
// instance view and as an instance.messaging_limit event (once per change).
BOOST_FIXTURE_TEST_CASE(the_messaging_limit_tier_follows_metas_read_and_webhooks, unsubscribed) {
  auto r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  const auto id = std::string(body_of(r).at("id").as_string());
  BOOST_TEST(body_of(r).at("messaging_limit_tier").as_string() == "TIER_250");  // the fake's default, read
  BOOST_TEST(body_of(r).at("quality_rating").as_string() == "GREEN");
  BOOST_TEST(body_of(r).at("throughput").at("level").as_string() == "STANDARD");
  auto tier = [&] {
    auto v = client.call(t, "GET", "/v1/instances/" + id);
    auto o = body_of(v);
    return o.at("messaging_limit_tier").is_string() ? std::string(o.at("messaging_limit_tier").as_string()) : "";
  };

  meta.admin("numbers", {{"id", phone_a}, {"messaging_limit", "TIER_10K"}});
  BOOST_TEST(wait_until([&] { return tier() == "TIER_10K"; }));
  BOOST_TEST(wait_until([&] { return limit_events().size() == 1u; }));
  auto ev = limit_events();
  BOOST_REQUIRE(ev.size() == 1u);
  BOOST_TEST(ev[0].at("instance_id").as_string() == id);
  BOOST_TEST(ev[0].at("messaging_limit_tier").as_string() == "TIER_10K");
  BOOST_TEST(ev[0].at("meta_event").as_string() == "UPGRADE");

  meta.admin("numbers", {{"id", phone_a}, {"messaging_limit", "TIER_2K"}});
  BOOST_TEST(wait_until([&] { return tier() == "TIER_2K"; }));
  BOOST_TEST(wait_until([&] { return limit_events().size() == 2u; }));
  ev = limit_events();
  BOOST_REQUIRE(ev.size() == 2u);
  BOOST_TEST(ev[1].at("meta_event").as_string() == "DOWNGRADE");

  // Meta's phone-number read agrees (the fake keeps one limit per number).
  auto number = http_request("127.0.0.1", meta.port(), "GET",
                             std::string("/v23.0/") + phone_a + "?fields=whatsapp_business_manager_messaging_limit",
                             {{"authorization", std::string("Bearer ") + token}});
  BOOST_REQUIRE_MESSAGE(number.status == 200u, number.body);
  BOOST_TEST(body_of(number).at("whatsapp_business_manager_messaging_limit").as_string() == "TIER_2K");

  // Meta's throughput upgrade comes with the unlimited tier: HIGH and TIER_UNLIMITED together.
  meta.admin("numbers", {{"id", phone_a}, {"throughput_level", "HIGH"}});
  BOOST_TEST(wait_until([&] { return tier() == "TIER_UNLIMITED"; }));
  BOOST_TEST(body_of(client.call(t, "GET", "/v1/instances/" + id)).at("throughput").at("level").as_string() == "HIGH");
  BOOST_TEST(wait_until([&] { return limit_events().size() == 3u; }));
  // Another tenant sees none of it.
  auto other = make_tenant(app.get().database(), "other@example.com");
  auto theirs = client.call(other, "GET", "/v1/events?limit=100");
  BOOST_TEST(theirs.body.find("instance.messaging_limit") == std::string::npos);
}

// The owner's alert switches (GET/PATCH …/alerts): every cause on by default, one switched
// off by name, an unknown cause refused naming it, and another tenant sees no such instance.
BOOST_FIXTURE_TEST_CASE(owner_alerts_are_read_and_switched_per_cause, unsubscribed) {
  auto r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  const auto alerts = "/v1/instances/" + std::string(body_of(r).at("id").as_string()) + "/alerts";

  r = client.call(t, "GET", alerts);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  for (const auto* cause : {"needs_reauth", "token_expiring", "webhooks_silent", "endpoint_paused"})
    BOOST_TEST(body_of(r).at(cause).as_bool(), cause);
  r = client.call(t, "PATCH", alerts, R"({"webhooks_silent": false})");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(!body_of(r).at("webhooks_silent").as_bool());
  BOOST_TEST(body_of(r).at("needs_reauth").as_bool());
  r = client.call(t, "GET", alerts);
  BOOST_TEST(!body_of(r).at("webhooks_silent").as_bool());
  r = client.call(t, "PATCH", alerts, R"({"other": false})");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(body_of(r).at("field").as_string() == "other");
  auto other = make_tenant(app.get().database(), "other@example.com");
  BOOST_TEST(client.call(other, "GET", alerts).status == 404u);
}

// A tier Meta's webhook never brought (lost) is seen by the phone-number read of a verification:
// the same `instance.messaging_limit` event as from the webhook (instances::set_messaging_limit),
// once per change, meta_event null; an unchanged read emits nothing.
BOOST_FIXTURE_TEST_CASE(a_verification_read_that_moves_the_tier_emits_its_event_once, unsubscribed) {
  auto r = connect();
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  const auto id = std::string(body_of(r).at("id").as_string());
  BOOST_TEST(limit_events().empty());  // a new instance's first read is no change

  meta.admin("numbers", {{"id", phone_a}, {"messaging_limit", "TIER_1K"}, {"quiet", true}});
  auto v = client.call(t, "POST", "/v1/instances/" + id + "/verify");
  BOOST_REQUIRE_MESSAGE(v.status == 200u, v.body);
  auto got = client.call(t, "GET", "/v1/instances/" + id);
  BOOST_TEST(body_of(got).at("messaging_limit_tier").as_string() == "TIER_1K");
  auto ev = limit_events();
  BOOST_REQUIRE(ev.size() == 1u);
  BOOST_TEST(ev[0].at("instance_id").as_string() == id);
  BOOST_TEST(ev[0].at("messaging_limit_tier").as_string() == "TIER_1K");
  BOOST_TEST(ev[0].at("meta_event").is_null());

  // Verified again with the tier unchanged: no second event.
  v = client.call(t, "POST", "/v1/instances/" + id + "/verify");
  BOOST_REQUIRE_MESSAGE(v.status == 200u, v.body);
  BOOST_TEST(limit_events().size() == 1u);

  // The webhook path still announces its own moves, in the same shape.
  meta.admin("numbers", {{"id", phone_a}, {"messaging_limit", "TIER_10K"}});
  BOOST_TEST(wait_until([&] { return limit_events().size() == 2u; }));
  ev = limit_events();
  BOOST_REQUIRE(ev.size() == 2u);
  BOOST_TEST(ev[1].at("messaging_limit_tier").as_string() == "TIER_10K");
  BOOST_TEST(ev[1].at("meta_event").as_string() == "UPGRADE");
}

// Silent webhooks and owner mails end to end: the flag with its event, then one mail per cause
// (webhooks_silent, needs_reauth) however many watch passes follow, and the per-instance switch.
BOOST_AUTO_TEST_CASE(silent_webhooks_are_flagged_and_each_cause_mails_once) {
  temp_dir smtp_dir;
  smtp_server smtp(smtp_dir.path());
  BOOST_REQUIRE(smtp.start());
  // The number's webhooks go nowhere: subscribed, no callback, no override.
  fake_meta meta(fake_config(true));
  const auto port = free_port();
  running_app app([&](config::settings& s) {
    tweak(s, meta, port);
    s.onboarding.callback_override = "never";
    s.inbound.silent_after = 300ms;
    use_test_smtp(s, smtp.port());
  });
  api client{app.port()};
  auto t = make_tenant(app.get().database(), "owner@example.com");
  auto r = client.call(t, "POST", "/v1/instances", creds());
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  const auto id = std::string(body_of(r).at("id").as_string());
  BOOST_TEST(body_of(r).at("onboarding").at("subscription").at("state").as_string() == "subscribed");

  auto sent =
      client.call(t, "POST", "/v1/instances/" + id + "/messages",
                  json::serialize(json::object{{"to", "16505551234"}, {"type", "text"}, {"text", {{"body", "hi"}}}}));
  BOOST_REQUIRE_MESSAGE(sent.status == 202u, sent.body);
  BOOST_TEST(wait_until([&] { return instance_view(client, t, id).at("webhooks").at("silent").as_bool(); }));
  auto types = event_types(client, t);
  BOOST_TEST(std::count(types.begin(), types.end(), "instance.webhooks_silent") == 1);

  // The token goes bad: the next send makes the instance needs_reauth.
  meta.admin("tokens", {{"token", token}, {"state", "expired"}});
  sent = client.call(
      t, "POST", "/v1/instances/" + id + "/messages",
      json::serialize(json::object{{"to", "16505551234"}, {"type", "text"}, {"text", {{"body", "again"}}}}));
  BOOST_REQUIRE_MESSAGE(sent.status == 202u, sent.body);
  auto mails = smtp.wait_for(2);
  BOOST_REQUIRE(mails.size() >= 2u);
  std::this_thread::sleep_for(1500ms);  // many watch passes later: still one mail per cause
  mails = smtp.messages();
  auto count = [&](std::string_view words) {
    return std::count_if(mails.begin(), mails.end(),
                         [&](const std::string& m) { return m.find(words) != std::string::npos; });
  };
  BOOST_TEST(count("no webhooks from Meta") == 1);
  BOOST_TEST(count("needs a new access token") == 1);
  BOOST_TEST(mails.size() == 2u);
  for (const auto& m : mails) {
    BOOST_TEST(m.find("To: owner@example.com") != std::string::npos);
    BOOST_TEST(m.find("/instances/" + id) != std::string::npos);
    BOOST_TEST(m.find(token) == std::string::npos);
  }

  // Turned off per instance: the answer says so, and an unknown cause is refused by name.
  r = client.call(t, "PATCH", "/v1/instances/" + id + "/alerts", R"({"webhooks_silent": false})");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(!body_of(r).at("webhooks_silent").as_bool());
  BOOST_TEST(body_of(r).at("needs_reauth").as_bool());
  r = client.call(t, "PATCH", "/v1/instances/" + id + "/alerts", R"({"other": false})");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(body_of(r).at("field").as_string() == "other");
  auto other = make_tenant(app.get().database(), "other@example.com");
  BOOST_TEST(client.call(other, "GET", "/v1/instances/" + id + "/alerts").status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
