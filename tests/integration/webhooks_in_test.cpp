// Meta's webhooks in, end to end: the real daemon in-process, a real database file, the fake
// Graph API in-process as Meta (it signs and POSTs real webhooks to the instance's callback
// URL), and hand-built signed payloads for what the fake does not send. The instance is
// created through the public API; users, API keys and outbound message rows (the send queue
// is another component) are planted in the database.
#include "fake_graph/server.hpp"
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

#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <enfinito/core/log.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace {

namespace json = boost::json;
namespace acc = enfinito::store::accounts;
using namespace enfinito;
using namespace enfinito::test;

constexpr const char* token = "EAAGwebhookTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8";
constexpr const char* secret = "hookSECRET4d9c2b7e1f0a3b8c";
constexpr const char* secret_b = "otherSECRET9f8e7d6c5b4a3b2c";

std::string fake_config() {
  return fake_graph_config(
      {{phone_a, waba_a},
       {phone_b, waba_b, {{"display_phone_number", "15550001111"}, {"verified_name", "Other Shop"}}}},
      {token});
}

// The fake Graph API with this file's numbers and tokens (support/fake_graph_server.hpp).
struct fake_shop : test::fake_meta {
  fake_shop() : test::fake_meta(fake_config()) {}
};

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }

std::string signature(std::string_view body, std::string_view key = secret) {
  return "sha256=" + crypto::hmac_sha256_hex(key, body);
}

// A `messages` field envelope (REFERENCE §3.3) for one phone number.
std::string envelope(const std::string& phone, const std::string& key, json::array items, json::array contacts = {}) {
  json::object value{{"messaging_product", "whatsapp"},
                     {"metadata", json::object{{"display_phone_number", "15550783881"}, {"phone_number_id", phone}}}};
  if (!contacts.empty()) value["contacts"] = std::move(contacts);
  value[key] = std::move(items);
  json::object root{
      {"object", "whatsapp_business_account"},
      {"entry", json::array{json::object{
                    {"id", waba_a},
                    {"changes", json::array{json::object{{"value", std::move(value)}, {"field", "messages"}}}}}}}};
  return json::serialize(root);
}

json::object status_item(const std::string& wamid, const std::string& st, int ts = 1700000000) {
  json::object o{{"id", wamid}, {"status", st}, {"timestamp", std::to_string(ts)}, {"recipient_id", "16505551234"}};
  if (st == "failed")
    o["errors"] =
        json::array{json::object{{"code", 131049},
                                 {"title", "This message was not delivered to maintain healthy ecosystem engagement."},
                                 {"message", "x"},
                                 {"error_data", json::object{{"details", "y"}}}}};
  return o;
}

json::object text_message(const std::string& wamid, const std::string& text = "hi") {
  return {{"from", "16505551234"},
          {"id", wamid},
          {"timestamp", "1700000000"},
          {"type", "text"},
          {"text", json::object{{"body", text}}}};
}

// A daemon, the fake as Meta, a tenant with an instance whose callback is this daemon.
struct hooks_fixture {
  fake_shop meta;
  running_app app;
  tenant alice;
  std::string instance_id;
  std::string verify_token;

  explicit hooks_fixture(std::function<void(config::settings&)> tweak = {})
      : app([this, tweak](config::settings& s) {
          s.meta.base_url = meta.base_url();
          s.meta.timeout = std::chrono::milliseconds(5000);
          if (tweak) tweak(s);
        }) {
    alice = make_tenant(app.get().database(), "alice@example.com");
    const meta_credentials c{phone_a, waba_a, token, secret};
    const auto o = connect_instance(app.port(), alice.key, c);
    instance_id = std::string(o.at("id").as_string());
    verify_token = std::string(o.at("webhook").as_object().at("verify_token").as_string());
    route_webhooks(meta, app.port(), o, c);
  }

  std::string callback() const { return meta_callback(app.port(), instance_id); }
  http_result call(const tenant& t, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
    return api_call(app.port(), t, method, target, body);
  }
  http_result post(const std::string& body, std::optional<std::string> sig = std::nullopt, const std::string& id = {}) {
    header_list h{{"content-type", "application/json"}};
    if (!sig) sig = signature(body);
    if (!sig->empty()) h.emplace_back("X-Hub-Signature-256", *sig);
    return http_request("127.0.0.1", app.port(), "POST", "/webhooks/meta/" + (id.empty() ? instance_id : id), h, body);
  }
  std::int64_t count(const std::string& sql) { return db_scalar(app.get().database(), sql); }
  std::string text(const std::string& sql) { return db_text(app.get().database(), sql); }
  std::int64_t inbound_rows() { return count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"); }
  std::int64_t event_rows() { return count("SELECT COUNT(*) FROM events"); }
  // An outbound message the send queue would have written, with Meta's wamid recorded.
  std::string plant_outbound(const std::string& wamid, const std::string& st = "sent") {
    const std::string id = "msg_" + crypto::random_token(12);
    auto ec = app.get().database().write_sync([&](store::connection& c) {
      return c.exec(
          "INSERT INTO messages(id, instance_id, direction, peer, type, body, status, wamid, created_at, "
          "updated_at) VALUES('" +
          id + "', '" + instance_id +
          "', 'outbound', '16505551234', 'text', "
          "'{}', '" +
          st + "', '" + wamid + "', 1, 1)");
    });
    BOOST_REQUIRE(!ec);
    return id;
  }
  std::string status_of(const std::string& wamid) {
    return text("SELECT status FROM messages WHERE wamid = '" + wamid + "'");
  }
  // Every event of `t` through the API, paging `limit` at a time.
  std::vector<json::object> all_events(const tenant& t, const std::string& filter = {}, int limit = 100) {
    std::vector<json::object> out;
    std::int64_t after = 0;
    for (int page = 0; page < 10000; ++page) {
      auto r = call(t, "GET", "/v1/events?after=" + std::to_string(after) + "&limit=" + std::to_string(limit) + filter);
      BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
      auto o = body_of(r);
      for (auto& e : o.at("data").as_array()) out.push_back(e.as_object());
      after = o.at("next_after").as_int64();
      if (!o.at("has_more").as_bool()) break;
    }
    return out;
  }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(webhooks_in)

BOOST_FIXTURE_TEST_CASE(verification_handshake_right_and_wrong_token, hooks_fixture) {
  // Meta's own handshake, performed by the fake against our callback URL.
  auto ok = meta.admin("verify", {{"phone_number_id", phone_a}});
  BOOST_TEST(ok.at("ok").as_bool());
  BOOST_TEST(ok.at("status").as_int64() == 200);
  auto wrong = meta.admin("verify", {{"phone_number_id", phone_a}, {"verify_token", "not-the-token"}});
  BOOST_TEST(!wrong.at("ok").as_bool());
  BOOST_TEST(wrong.at("status").as_int64() == 403);

  // Direct: the challenge comes back verbatim as text; an unknown instance looks like a wrong token.
  auto get = [&](const std::string& id, const std::string& tok) {
    return http_request(
        "127.0.0.1", app.port(), "GET",
        "/webhooks/meta/" + id + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + tok);
  };
  auto r = get(instance_id, verify_token);
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == "1158201444");
  BOOST_TEST(r.header("content-type").rfind("text/plain", 0) == 0u);
  auto bad = get(instance_id, verify_token + "x");
  auto unknown = get("ins_doesnotexist0000", verify_token);
  BOOST_TEST(bad.status == 403u);
  BOOST_TEST(unknown.status == 403u);
  BOOST_TEST(bad.body == unknown.body);
  BOOST_TEST(bad.body.find(verify_token) == std::string::npos);
  // Not a subscribe request.
  auto other = http_request(
      "127.0.0.1", app.port(), "GET",
      "/webhooks/meta/" + instance_id + "?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=" + verify_token);
  BOOST_TEST(other.status == 400u);
}

BOOST_FIXTURE_TEST_CASE(every_inbound_type_from_the_fake_is_stored_once, hooks_fixture) {
  const std::vector<std::string> types = {"text",     "image",    "audio",    "video",       "document",
                                          "sticker",  "location", "contacts", "interactive", "button",
                                          "reaction", "order",    "system",   "unsupported"};
  std::map<std::string, std::string> wamid_of;
  for (const auto& t : types) wamid_of[t] = std::string(meta.admin("inbound", {{"type", t}}).at("id").as_string());
  // A reply with context, a click-to-WhatsApp referral, and a type Meta may add one day.
  wamid_of["context"] =
      std::string(meta.admin("inbound", {{"type", "text"},
                                         {"context", json::object{{"from", "15550783881"}, {"id", "wamid.quoted"}}}})
                      .at("id")
                      .as_string());
  wamid_of["referral"] = std::string(meta.admin("inbound", {{"type", "text"},
                                                            {"referral", json::object{{"source_url", "https://fb.me/x"},
                                                                                      {"source_type", "ad"},
                                                                                      {"ctwa_clid", "clid1"}}}})
                                         .at("id")
                                         .as_string());
  wamid_of["future"] = std::string(
      meta.admin("inbound", {{"type", "hologram"}, {"hologram", json::object{{"id", "holo-1"}, {"depth", 3}}}})
          .at("id")
          .as_string());
  const auto n = static_cast<std::int64_t>(wamid_of.size());
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return inbound_rows() >= n; }), "only " << inbound_rows() << " stored");

  auto events = all_events(alice, "&type=message.received");
  BOOST_TEST(static_cast<std::int64_t>(events.size()) == n);
  std::map<std::string, json::object> by_wamid;
  for (auto& e : events) {
    auto d = e.at("data").as_object();
    BOOST_TEST(std::string(e.at("instance_id").as_string()) == instance_id);
    by_wamid[std::string(d.at("wamid").as_string())] = d;
  }
  for (const auto& [what, wamid] : wamid_of) {
    BOOST_TEST_CONTEXT(what) {
      BOOST_REQUIRE(by_wamid.count(wamid));
      const auto& d = by_wamid[wamid];
      BOOST_TEST(std::string(d.at("from").as_string()) == "16505551234");
      BOOST_TEST(d.at("contact").as_object().at("profile").as_object().at("name").as_string() == "Sheena Nelson");
      const auto& m = d.at("message").as_object();
      BOOST_TEST(m.at("id").as_string() == wamid);
      // The stored row is Meta's object as received.
      auto body = json::parse(text("SELECT body FROM messages WHERE wamid = '" + wamid + "'")).as_object();
      BOOST_TEST(body == m);
      BOOST_TEST(text("SELECT status FROM messages WHERE wamid = '" + wamid + "'") == "received");
      BOOST_TEST(text("SELECT peer FROM messages WHERE wamid = '" + wamid + "'") == "16505551234");
    }
  }
  auto msg = [&](const std::string& what) { return by_wamid[wamid_of[what]].at("message").as_object(); };
  BOOST_TEST(!msg("image").at("image").as_object().at("id").as_string().empty());  // the media id
  BOOST_TEST(msg("image").at("image").as_object().at("mime_type").as_string() == "image/jpeg");
  BOOST_TEST(msg("audio").at("audio").as_object().at("voice").as_bool());
  BOOST_TEST(msg("location").at("location").as_object().contains("latitude"));
  BOOST_TEST(msg("contacts").at("contacts").as_array().size() == 1u);
  BOOST_TEST(msg("interactive").at("interactive").as_object().at("type").as_string() == "button_reply");
  BOOST_TEST(msg("button").at("button").as_object().at("payload").as_string() == "STOP_UPDATES");
  BOOST_TEST(msg("reaction").at("reaction").as_object().contains("emoji"));
  BOOST_TEST(msg("order").at("order").as_object().at("product_items").as_array().size() == 1u);
  BOOST_TEST(msg("system").at("system").as_object().at("type").as_string() == "user_changed_number");
  BOOST_TEST(msg("unsupported").at("errors").as_array()[0].as_object().at("code").as_int64() == 131051);
  BOOST_TEST(msg("context").at("context").as_object().at("id").as_string() == "wamid.quoted");
  BOOST_TEST(msg("referral").at("referral").as_object().at("ctwa_clid").as_string() == "clid1");
  BOOST_TEST(msg("future").at("hologram").as_object().at("depth").as_int64() == 3);
  BOOST_TEST(by_wamid[wamid_of["future"]].at("type").as_string() == "hologram");
  BOOST_TEST(text("SELECT type FROM messages WHERE wamid = '" + wamid_of["future"] + "'") == "hologram");

  // Meta redelivers: nothing new.
  const auto before = event_rows();
  for (const auto& [what, wamid] : wamid_of) {
    auto r = post(envelope(phone_a, "messages", json::array{text_message(wamid)}));
    BOOST_TEST(r.status == 200u);
  }
  BOOST_TEST(inbound_rows() == n);
  BOOST_TEST(event_rows() == before);
}

BOOST_FIXTURE_TEST_CASE(forged_missing_and_reserialised_signatures_are_refused, hooks_fixture) {
  const std::string body = envelope(phone_a, "messages", json::array{text_message("wamid.sig1")});
  const auto refused = [&](const http_result& r) {
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(r.body.find(secret) == std::string::npos);
  };
  refused(post(body, ""));           // missing
  refused(post(body, "sha256=zz"));  // malformed
  refused(post(body, "sha1=" + crypto::hmac_sha256_hex(secret, body).substr(0, 40)));
  refused(post(body, signature(body, "anotherSECRET00000000")));  // forged
  refused(post(body, signature(body).substr(0, 20)));             // truncated
  std::string upper = signature(body);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  refused(post(body, upper));
  refused(post(body + " ", signature(body)));                    // one more byte
  refused(post(body, signature(body), "ins_doesnotexist0000"));  // unknown instance: same answer
  BOOST_TEST(inbound_rows() == 0);
  BOOST_TEST(event_rows() == 0);

  // Meta escapes non-ASCII as \uXXXX and signs those bytes. The genuine payload passes;
  // the same JSON re-serialised with real UTF-8 (as a careless proxy would) does not.
  const std::string escaped =
      R"({"object":"whatsapp_business_account","entry":[{"id":")" + std::string(waba_a) +
      R"(","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":")" +
      phone_a +
      R"("},"contacts":[{"profile":{"name":"Luc\u00eda G\u00f3mez"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.unicode1","timestamp":"1700000000","type":"text","text":{"body":"Ol\u00e1 \ud83d\udc4d"}}]},"field":"messages"}]}]})";
  const auto sig = signature(escaped);
  const std::string reserialised = json::serialize(json::parse(escaped));
  BOOST_REQUIRE(reserialised != escaped);
  refused(post(reserialised, sig));
  BOOST_TEST(inbound_rows() == 0);
  auto ok = post(escaped, sig);
  BOOST_TEST(ok.status == 200u);
  BOOST_TEST(inbound_rows() == 1);
  auto events = all_events(alice);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  const auto& d = events[0].at("data").as_object();
  BOOST_TEST(d.at("message").as_object().at("text").as_object().at("body").as_string() ==
             "Ol\xC3\xA1 \xF0\x9F\x91\x8D");
  BOOST_TEST(d.at("contact").as_object().at("profile").as_object().at("name").as_string() ==
             "Luc\xC3\xAD"
             "a G\xC3\xB3mez");
}

BOOST_FIXTURE_TEST_CASE(statuses_never_go_backwards_and_duplicates_change_nothing, hooks_fixture) {
  // As the send queue leaves them while Meta has not reported yet.
  plant_outbound("wamid.out1", "sending");
  plant_outbound("wamid.out2", "sending");
  plant_outbound("wamid.out3", "sending");
  auto send = [&](const std::string& wamid, const std::string& st) {
    auto r = post(envelope(phone_a, "statuses", json::array{status_item(wamid, st)}));
    BOOST_TEST(r.status == 200u);
  };
  // read arrives before delivered: it stays read.
  send("wamid.out1", "read");
  send("wamid.out1", "delivered");
  send("wamid.out1", "read");
  send("wamid.out1", "sent");
  BOOST_TEST(status_of("wamid.out1") == "read");
  // In order, each twice.
  for (auto st : {"sent", "sent", "delivered", "delivered"}) send("wamid.out2", st);
  BOOST_TEST(status_of("wamid.out2") == "delivered");
  // failed keeps Meta's code and title; a later delivered does not undo it.
  send("wamid.out3", "failed");
  send("wamid.out3", "failed");
  send("wamid.out3", "delivered");
  BOOST_TEST(status_of("wamid.out3") == "failed");
  BOOST_TEST(count("SELECT error_code FROM messages WHERE wamid = 'wamid.out3'") == 131049);
  BOOST_TEST(text("SELECT error_title FROM messages WHERE wamid = 'wamid.out3'").find("healthy ecosystem") !=
             std::string::npos);

  // One event per change, none for duplicates or regressions.
  std::vector<std::string> seen;
  for (const auto& e : all_events(alice)) {
    const auto& d = e.at("data").as_object();
    seen.push_back(std::string(d.at("wamid").as_string()) + ":" + std::string(e.at("type").as_string()));
  }
  const std::vector<std::string> expected = {"wamid.out1:message.read", "wamid.out2:message.sent",
                                             "wamid.out2:message.delivered", "wamid.out3:message.failed"};
  BOOST_TEST(seen == expected, boost::test_tools::per_element());
  auto failed = all_events(alice, "&type=message.failed");
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0].at("data").as_object().at("error").as_object().at("code").as_int64() == 131049);
  BOOST_TEST(failed[0].at("data").as_object().at("meta").as_object().at("id").as_string() == "wamid.out3");

  // Played (voice notes): a receipt, once, the row stays read.
  send("wamid.out1", "played");
  send("wamid.out1", "played");
  BOOST_TEST(status_of("wamid.out1") == "read");
  BOOST_TEST(all_events(alice, "&type=message.played").size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_status_before_its_message_is_applied_when_the_wamid_is_recorded, hooks_fixture) {
  // Meta answered the send and posted statuses before the queue committed the wamid.
  for (auto st : {"read", "sent", "delivered", "read"})
    BOOST_TEST(post(envelope(phone_a, "statuses", json::array{status_item("wamid.early", st)})).status == 200u);
  BOOST_TEST(count("SELECT COUNT(*) FROM pending_statuses WHERE state = 'pending'") == 3);
  BOOST_TEST(event_rows() == 0);

  // What the send queue does in the write that records the wamid.
  const std::string id = plant_outbound("wamid.early", "sent");
  BOOST_TEST(status_of("wamid.early") == "sent");
  std::size_t applied = 0;
  auto ec = app.get().database().write_sync([&](store::connection& c) {
    return store::inbound::apply_pending(c, instance_id, "wamid.early", "", meta::status_advances, 1, &applied);
  });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(applied == 2u);  // sent was already the row's status
  BOOST_TEST(status_of("wamid.early") == "read");
  BOOST_TEST(count("SELECT COUNT(*) FROM pending_statuses") == 0);
  std::vector<std::string> types;
  for (const auto& e : all_events(alice)) {
    types.push_back(std::string(e.at("type").as_string()));
    BOOST_TEST(e.at("data").as_object().at("message_id").as_string() == id);
  }
  BOOST_TEST(types == (std::vector<std::string>{"message.delivered", "message.read"}),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(statuses_from_the_fake_after_a_real_send_reach_the_row, hooks_fixture) {
  // Send through the fake directly (the send queue is another component), then record the
  // wamid as the queue would, whenever it happens to commit relative to the webhooks.
  meta.admin("templates", {{"waba_id", waba_a},
                           {"name", "hello_world"},
                           {"language", "en_US"},
                           {"status", "APPROVED"},
                           {"components", json::array{json::object{{"type", "BODY"}, {"text", "Hello World"}}}}});
  auto r = http_request(
      "127.0.0.1", meta.port(), "POST", std::string("/v23.0/") + phone_a + "/messages",
      {{"authorization", std::string("Bearer ") + token}, {"content-type", "application/json"}},
      R"({"messaging_product":"whatsapp","to":"16505551234","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}})");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  const std::string wamid(json::parse(r.body).at("messages").as_array()[0].at("id").as_string());
  BOOST_REQUIRE(wait_until([&] { return count("SELECT COUNT(*) FROM pending_statuses") >= 3; }));
  plant_outbound(wamid, "sent");
  auto ec = app.get().database().write_sync([&](store::connection& c) {
    return store::inbound::apply_pending(c, instance_id, wamid, "", meta::status_advances, 1);
  });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(status_of(wamid) == "read");
}

BOOST_FIXTURE_TEST_CASE(a_batch_with_many_entries_loses_nothing, hooks_fixture) {
  // 40 entries × 25 messages = 1000 updates (Meta's largest batch), plus statuses.
  json::array entries;
  for (int e = 0; e < 40; ++e) {
    json::array msgs;
    for (int m = 0; m < 25; ++m)
      msgs.push_back(text_message("wamid.batch." + std::to_string(e) + "." + std::to_string(m)));
    json::object value{{"messaging_product", "whatsapp"},
                       {"metadata", json::object{{"display_phone_number", "1"}, {"phone_number_id", phone_a}}},
                       {"messages", std::move(msgs)}};
    json::array changes{json::object{{"value", std::move(value)}, {"field", "messages"}}};
    if (e % 10 == 0)
      changes.push_back(json::object{
          {"field", "messages"},
          {"value",
           json::object{{"messaging_product", "whatsapp"},
                        {"metadata", json::object{{"phone_number_id", phone_a}}},
                        {"statuses", json::array{status_item("wamid.unknown." + std::to_string(e), "sent")}}}}});
    entries.push_back(json::object{{"id", waba_a}, {"changes", std::move(changes)}});
  }
  const std::string body = json::serialize(json::object{{"object", "whatsapp_business_account"}, {"entry", entries}});
  BOOST_TEST(post(body).status == 200u);
  BOOST_TEST(inbound_rows() == 1000);
  BOOST_TEST(count("SELECT COUNT(*) FROM pending_statuses") == 4);
  BOOST_TEST(all_events(alice, "", 333).size() == 1000u);

  // Fake-sent batches too: 30 inbound messages posted 7 per request.
  meta.admin("knobs", {{"batch_max", 7}});
  for (int i = 0; i < 30; ++i) meta.admin("inbound", {{"type", "text"}, {"delay_ms", 50}});
  BOOST_TEST(wait_until([&] { return inbound_rows() == 1030; }), inbound_rows());
}

BOOST_FIXTURE_TEST_CASE(payloads_up_to_meta_size_pass_and_larger_get_413, hooks_fixture) {
  // 1.5 MB: over the server's default body limit, under Meta's 3 MB.
  const std::string pad(1'500'000, 'a');
  const std::string big = envelope(phone_a, "messages", json::array{text_message("wamid.big", pad)});
  BOOST_TEST(post(big).status == 200u);
  BOOST_TEST(inbound_rows() == 1);
  const std::string huge =
      envelope(phone_a, "messages", json::array{text_message("wamid.huge", std::string(3'200'000, 'b'))});
  BOOST_TEST(post(huge).status == 413u);
  BOOST_TEST(inbound_rows() == 1);
  // Large events page in bounded responses (a few MiB each), none lost.
  for (int i = 0; i < 4; ++i)
    BOOST_REQUIRE(
        post(envelope(phone_a, "messages", json::array{text_message("wamid.big" + std::to_string(i), pad)})).status ==
        200u);
  auto r = call(alice, "GET", "/v1/events?limit=1000");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.size() < 6'000'000u);
  BOOST_TEST(body_of(r).at("has_more").as_bool());
  BOOST_TEST(all_events(alice, "", 1000).size() == 5u);
}

BOOST_FIXTURE_TEST_CASE(another_phone_numbers_updates_are_never_stored_here, hooks_fixture) {
  // Signed with this instance's secret (one Meta app, two numbers) but for number B.
  auto r = post(envelope(phone_b, "messages", json::array{text_message("wamid.cross1")}));
  BOOST_TEST(r.status == 200u);
  // Template updates of a WABA that is not this instance's.
  const std::string tmpl = json::serialize(json::object{
      {"object", "whatsapp_business_account"},
      {"entry", json::array{json::object{
                    {"id", waba_b},
                    {"time", 1700000000},
                    {"changes", json::array{json::object{
                                    {"field", "message_template_status_update"},
                                    {"value", json::object{{"event", "APPROVED"}, {"message_template_id", 1}}}}}}}}}});
  BOOST_TEST(post(tmpl).status == 200u);
  BOOST_TEST(inbound_rows() == 0);
  auto events = all_events(alice);
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  for (const auto& e : events) BOOST_TEST(e.at("type").as_string() == "webhook.misrouted");

  // A second tenant's instance on number B: a payload for B signed with A's secret, posted to
  // B's URL, is refused outright (wrong secret), and B stores nothing.
  auto bob = make_tenant(app.get().database(), "bob@example.com");
  auto created = call(bob, "POST", "/v1/instances",
                      json::serialize(json::object{{"phone_number_id", phone_b},
                                                   {"waba_id", waba_b},
                                                   {"access_token", token},
                                                   {"app_secret", secret_b},
                                                   {"app_id", "1234567890124"}}));
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  const std::string bob_instance(body_of(created).at("id").as_string());
  BOOST_TEST(post(envelope(phone_b, "messages", json::array{text_message("wamid.cross2")}), std::nullopt, bob_instance)
                 .status == 401u);
  // Bob's own payload signed with his secret but for number A, posted to his URL: dropped.
  const auto for_a = envelope(phone_a, "messages", json::array{text_message("wamid.cross3")});
  BOOST_TEST(post(for_a, signature(for_a, secret_b), bob_instance).status == 200u);
  BOOST_TEST(inbound_rows() == 0);
  BOOST_TEST(all_events(bob).size() == 1u);
  // Template status for the instance's own WABA is an event.
  const std::string mine = json::serialize(json::object{
      {"object", "whatsapp_business_account"},
      {"entry", json::array{json::object{
                    {"id", waba_a},
                    {"time", 1700000000},
                    {"changes", json::array{json::object{{"field", "message_template_status_update"},
                                                         {"value", json::object{{"event", "REJECTED"},
                                                                                {"message_template_id", 7},
                                                                                {"reason", "INVALID_FORMAT"}}}}}}}}}});
  BOOST_TEST(post(mine).status == 200u);
  auto t = all_events(alice, "&type=template.status");
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_TEST(t[0].at("data").as_object().at("value").as_object().at("reason").as_string() == "INVALID_FORMAT");
}

BOOST_FIXTURE_TEST_CASE(a_redelivered_template_update_is_one_event, hooks_fixture) {
  auto update = [](std::int64_t time, const char* event) {
    return json::serialize(json::object{
        {"object", "whatsapp_business_account"},
        {"entry", json::array{json::object{
                      {"id", waba_a},
                      {"time", time},
                      {"changes", json::array{json::object{
                                      {"field", "message_template_status_update"},
                                      {"value", json::object{{"event", event}, {"message_template_id", 9}}}}}}}}}});
  };
  // Our 200 was lost: Meta posts the same bytes again.
  BOOST_TEST(post(update(1700000000, "APPROVED")).status == 200u);
  BOOST_TEST(post(update(1700000000, "APPROVED")).status == 200u);
  BOOST_TEST(all_events(alice, "&type=template.status").size() == 1u);
  // Paused, then approved again later: new updates, new events.
  BOOST_TEST(post(update(1700000100, "PAUSED")).status == 200u);
  BOOST_TEST(post(update(1700000200, "APPROVED")).status == 200u);
  BOOST_TEST(all_events(alice, "&type=template.status").size() == 3u);
  // Account updates too (the shared fixtures' kind of field), and the field name maps.
  const auto account = json::serialize(json::object{
      {"object", "whatsapp_business_account"},
      {"entry", json::array{json::object{
                    {"id", waba_a},
                    {"time", 1700000300},
                    {"changes",
                     json::array{json::object{{"field", "account_update"},
                                              {"value", json::object{{"event", "ACCOUNT_VIOLATION"}}}},
                                 json::object{{"field", "some_future_field"}, {"value", json::object{{"x", 1}}}}}}}}}});
  BOOST_TEST(post(account).status == 200u);
  BOOST_TEST(post(account).status == 200u);
  BOOST_TEST(all_events(alice, "&type=account.update").size() == 1u);
  BOOST_TEST(all_events(alice, "&type=meta.some_future_field").size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_new_app_secret_is_used_at_once, hooks_fixture) {
  const std::string body = envelope(phone_a, "messages", json::array{text_message("wamid.rot1")});
  BOOST_TEST(post(body).status == 200u);  // the cache now holds the old secret
  const std::string fresh = "rotatedSECRET1a2b3c4d5e6f";
  auto r = call(alice, "PATCH", "/v1/instances/" + instance_id, json::serialize(json::object{{"app_secret", fresh}}));
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  const std::string next = envelope(phone_a, "messages", json::array{text_message("wamid.rot2")});
  BOOST_TEST(post(next).status == 401u);
  BOOST_TEST(post(next, signature(next, fresh)).status == 200u);
  // Deleted: refused at once.
  BOOST_TEST(call(alice, "DELETE", "/v1/instances/" + instance_id).status == 204u);
  BOOST_TEST(post(next, signature(next, fresh)).status == 401u);
}

BOOST_FIXTURE_TEST_CASE(events_page_without_gap_or_repeat_and_stay_the_callers, hooks_fixture) {
  for (int i = 0; i < 53; ++i)
    BOOST_REQUIRE(
        post(envelope(phone_a, "messages", json::array{text_message("wamid.page." + std::to_string(i))})).status ==
        200u);
  auto pages = all_events(alice, "", 7);
  BOOST_REQUIRE_EQUAL(pages.size(), 53u);
  std::set<std::int64_t> ids;
  std::int64_t last = 0;
  for (const auto& e : pages) {
    const auto id = e.at("id").as_int64();
    BOOST_TEST(id > last);
    last = id;
    ids.insert(id);
  }
  BOOST_TEST(ids.size() == 53u);
  // Filters.
  BOOST_TEST(all_events(alice, "&type=message.sent").empty());
  BOOST_TEST(all_events(alice, "&instance=" + instance_id + "&type=message.received,message.sent").size() == 53u);
  // Another user sees nothing, and naming this instance is a 404 for them.
  auto bob = make_tenant(app.get().database(), "bob@example.com");
  BOOST_TEST(all_events(bob).empty());
  BOOST_TEST(call(bob, "GET", "/v1/events?instance=" + instance_id).status == 404u);
  // A key limited to another instance sees none of these.
  auto scoped = make_tenant(app.get().database(), "carol@example.com", {"ins_other"});
  BOOST_TEST(all_events(scoped).empty());
  BOOST_TEST(call(scoped, "GET", "/v1/events?instance=" + instance_id).status == 404u);
  // Bad parameters.
  for (auto q : {"after=-1", "after=abc", "limit=0", "limit=1001", "type=Bad%20Type", "instance=a%20b"})
    BOOST_TEST_CONTEXT(q) { BOOST_TEST(call(alice, "GET", std::string("/v1/events?") + q).status == 400u); }
  BOOST_TEST(http_request("127.0.0.1", app.port(), "GET", "/v1/events").status == 401u);
}

BOOST_FIXTURE_TEST_CASE(every_shared_inbound_fixture_is_stored, hooks_fixture) {
  const std::filesystem::path dir = std::filesystem::path(ENFINITO_SHARED_DIR) / "meta" / "fixtures";
  if (!std::filesystem::exists(dir)) {
    BOOST_TEST_MESSAGE("no shared fixtures at " << dir << ": skipped");
    return;
  }
  std::size_t files = 0;
  std::set<std::string> wamids;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const auto name = f.path().filename().string();
    if (name.rfind("webhook-", 0) != 0 || name.find("signature") != std::string::npos ||
        name.find("handshake") != std::string::npos)
      continue;
    const std::string raw = slurp(f.path());
    BOOST_TEST_CONTEXT(name) {
      auto parsed = meta::parse_notification(raw);
      BOOST_REQUIRE(parsed.has_value());
      for (const auto& u : parsed->updates)
        if (u.kind == meta::update_kind::message) wamids.insert(u.id);
      auto r = post(raw);
      BOOST_TEST(r.status == 200u, r.body);
    }
    ++files;
  }
  BOOST_TEST(files >= 30u);
  BOOST_TEST(inbound_rows() == static_cast<std::int64_t>(wamids.size()));
  for (const auto& w : wamids)
    BOOST_TEST(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND wamid = '" + w + "'") == 1, w);
  // Template and account updates became events; statuses wait for their messages.
  BOOST_TEST(all_events(alice, "&type=template.status").size() == 2u);
  BOOST_TEST(all_events(alice, "&type=account.update").size() == 2u);
  BOOST_TEST(all_events(alice, "&type=meta.error").size() >= 1u);
  BOOST_TEST(count("SELECT COUNT(*) FROM pending_statuses WHERE state = 'pending'") == 9);
}

BOOST_AUTO_TEST_CASE(retention_purges_old_messages_and_events) {
  // The rows must all be stored and counted before the first of them is old enough to purge:
  // 300 ms, or 3 s under the sanitizers, where the 12 posts alone once took longer than 300 ms
  // (ASan beside a TSan run: 7 of the 10 rows left when counted).
  const auto keep = std::chrono::milliseconds(ENFTEST_TIMING_BOUNDS ? 300 : 3000);
  hooks_fixture f([keep](config::settings& s) {
    s.retention.messages = keep;
    s.retention.events = keep;
    s.retention.pending_statuses = keep;
    s.retention.interval = std::chrono::milliseconds(100);
    s.retention.batch_rows = 3;  // several batches
  });
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(
        f.post(envelope(phone_a, "messages", json::array{text_message("wamid.old." + std::to_string(i))})).status ==
        200u);
  BOOST_REQUIRE(f.post(envelope(phone_a, "statuses", json::array{status_item("wamid.never", "sent")})).status == 200u);
  BOOST_REQUIRE(
      f.post(json::serialize(json::object{
                 {"object", "whatsapp_business_account"},
                 {"entry", json::array{json::object{
                               {"id", waba_a},
                               {"time", 1700000000},
                               {"changes", json::array{json::object{{"field", "account_update"},
                                                                    {"value", json::object{{"event", "X"}}}}}}}}}}))
          .status == 200u);
  // A queued outbound message is not history yet. The message (created in 1970) and its job go
  // in one write: a sweep between two writes would purge the message before it had a job.
  auto ec = f.app.get().database().write_sync([&](store::connection& c) {
    return c.exec(
        "INSERT INTO messages(id, instance_id, direction, peer, type, body, status, wamid, created_at, "
        "updated_at) VALUES('msg_queued', '" +
        f.instance_id +
        "', 'outbound', '16505551234', 'text', "
        "'{}', 'accepted', 'wamid.queued', 1, 1); "
        "INSERT INTO send_jobs(message_seq, instance_id, peer, state, next_attempt_at) "
        "SELECT seq, instance_id, peer, 'queued', 0 FROM messages WHERE wamid = 'wamid.queued'");
  });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(f.inbound_rows() == 10);
  // One sweep purges the tables in turn (separate writes): wait for all of them.
  BOOST_REQUIRE(wait_until(
      [&] {
        return f.inbound_rows() == 0 && f.event_rows() == 0 && f.count("SELECT COUNT(*) FROM pending_statuses") == 0 &&
               f.count("SELECT COUNT(*) FROM update_receipts") == 0;
      },
      std::chrono::seconds(5) + keep));
  BOOST_TEST(f.count("SELECT COUNT(*) FROM messages WHERE wamid = 'wamid.queued'") == 1);
}

BOOST_FIXTURE_TEST_CASE(a_failed_commit_stores_nothing_and_metas_retry_lands_once, hooks_fixture) {
  // Make the store fail on one message of a batch (a trigger on the writer's database).
  auto& db = app.get().database();
  BOOST_REQUIRE(!db.write_sync([](store::connection& c) {
    return c.exec(
        "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.data LIKE '%wamid.poison%' "
        "BEGIN SELECT RAISE(ABORT, 'test failure'); END");
  }));
  const auto batch =
      envelope(phone_a, "messages",
               json::array{text_message("wamid.fine1"), text_message("wamid.fine2"), text_message("wamid.poison")});
  auto r = post(batch);
  BOOST_TEST(r.status >= 500u);
  BOOST_TEST(inbound_rows() == 0);  // all or nothing
  BOOST_TEST(event_rows() == 0);

  // Meta (the fake) retries a failed POST: once the store works again it lands, once.
  meta.admin("knobs", {{"retry_initial_ms", 100}, {"retry_factor", 1}, {"retry_max_attempts", 50}});
  meta.admin("inbound", {{"type", "text"}, {"id", "wamid.poison.fake"}});
  BOOST_REQUIRE(wait_until([&] {
    return meta.admin_get("stats").at("webhooks").as_object().at("failures").to_number<std::int64_t>() >= 2;
  }));
  BOOST_TEST(inbound_rows() == 0);
  BOOST_REQUIRE(!db.write_sync([](store::connection& c) { return c.exec("DROP TRIGGER poison"); }));
  BOOST_REQUIRE(wait_until([&] { return inbound_rows() == 1; }));
  BOOST_TEST(post(batch).status == 200u);
  BOOST_TEST(inbound_rows() == 4);
  BOOST_TEST(all_events(alice).size() == 4u);
}

BOOST_AUTO_TEST_CASE(no_secret_reaches_the_log) {
  temp_dir logs;
  const int fd = ::open((logs / "daemon.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  BOOST_REQUIRE(fd >= 0);
  core::log::set_fd(fd);
  std::string verify;
  {
    hooks_fixture f([](config::settings& s) { s.log_level = "debug"; });
    verify = f.verify_token;
    f.meta.admin("verify", {{"phone_number_id", phone_a}});
    f.meta.admin("verify", {{"phone_number_id", phone_a}, {"verify_token", "wrong-token"}});
    f.meta.admin("inbound", {{"type", "text"}});
    BOOST_REQUIRE(wait_until([&] { return f.inbound_rows() == 1; }));
    const auto body = envelope(phone_a, "messages", json::array{text_message("wamid.log1")});
    f.post(body);
    f.post(body, signature(body, "wrongSECRETwrongSECRET"));
    http_request("127.0.0.1", f.app.port(), "GET",
                 "/webhooks/meta/" + f.instance_id + "?hub.mode=subscribe&hub.challenge=5&hub.verify_token=" + verify);
  }
  core::log::set_fd(2);
  ::close(fd);
  const std::string log = slurp(logs / "daemon.log");
  BOOST_TEST(log.find("event=inbound.webhook_stored") != std::string::npos);  // the log was captured
  BOOST_TEST(log.find(secret) == std::string::npos);
  BOOST_TEST(log.find(verify) == std::string::npos);
  BOOST_TEST(log.find(token) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
