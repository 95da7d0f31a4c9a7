// The Graph-compatible routes: a client written for Meta's Cloud API talks to Enfinito with an
// Enfinito API key and gets Meta's shapes back: the send answer with the real wamid, Meta's
// error envelope and codes, mark-as-read and media relayed, and no way to reach another
// tenant's number.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/app/app.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <fake_graph/core.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace enfinito;
using namespace enfinito::test;
namespace json = boost::json;
namespace acc = store::accounts;

namespace {

constexpr const char* meta_token = "EAAGgraphCompatTOKEN0123456789abcdef";

// One number, one WABA, one token that reaches them (tools/fake_graph/README.md).
std::string fake_config() { return fake_graph::one_number_config(phone_a, waba_a, meta_token); }
// The number as the tenant connects it.
const meta_credentials creds{phone_a, waba_a, meta_token, "graphcompatsecret0123456789"};

std::string plant_key(store::store& db, const std::string& email) { return make_tenant(db, email).key; }

struct graph_fixture {
  fake_meta meta{fake_config()};
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.queue.backoff_base = std::chrono::milliseconds(50);
  }};
  tenant owner = make_tenant(app.get().database(), "sdk@example.com");
  std::string key = owner.key;
  std::string instance_id;

  graph_fixture() { instance_id = std::string(connect_instance(app.port(), key, creds).at("id").as_string()); }

  http_result call(const std::string& method, const std::string& target, const std::string& body = {},
                   std::string bearer = {}, std::string content_type = "application/json", header_list extra = {}) {
    header_list h{{"Authorization", "Bearer " + (bearer.empty() ? key : bearer)}};
    for (auto& x : extra) h.push_back(std::move(x));
    if (!body.empty()) h.emplace_back("Content-Type", content_type);
    return http_request("127.0.0.1", app.port(), method, target, h, body);
  }
};

json::object error_of(const http_result& r) {
  auto v = json::parse(r.body);
  BOOST_REQUIRE(v.is_object() && v.as_object().contains("error"));
  return v.as_object().at("error").as_object();
}

std::int64_t code_of(const http_result& r) { return error_of(r).at("code").to_number<std::int64_t>(); }

const std::string send_path = std::string("/graph/v23.0/") + phone_a + "/messages";
const std::string text_body =
    R"({"messaging_product":"whatsapp","recipient_type":"individual","to":"+1 (650) 555-1234","type":"text","text":{"preview_url":false,"body":"Hello from an SDK"}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(graph_compat)

BOOST_FIXTURE_TEST_CASE(a_cloud_api_send_gets_metas_answer_with_the_real_wamid, graph_fixture) {
  auto r = call("POST", send_path, text_body);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  auto o = json::parse(r.body).as_object();
  BOOST_TEST(o.at("messaging_product").as_string() == "whatsapp");
  const auto& contact = o.at("contacts").as_array().at(0).as_object();
  BOOST_TEST(contact.at("input").as_string() == "+1 (650) 555-1234");
  BOOST_TEST(contact.at("wa_id").as_string() == "16505551234");
  const std::string wamid(o.at("messages").as_array().at(0).at("id").as_string());
  BOOST_TEST(wamid.rfind("wamid.", 0) == 0u, wamid);
  // The same wamid is what the fake Meta handed out, and what Enfinito's log shows.
  auto at_fake = meta.admin_get("messages").at("messages").as_array();
  BOOST_REQUIRE_EQUAL(at_fake.size(), 1u);
  BOOST_TEST(at_fake[0].at("wamid").as_string() == wamid);
  const auto id = r.header("X-Enfinito-Message-Id");
  BOOST_TEST(id.rfind("msg_", 0) == 0u);
  auto logged = call("GET", "/v1/messages/" + id);
  BOOST_REQUIRE(logged.status == 200u);
  BOOST_TEST(json::parse(logged.body).at("wamid").as_string() == wamid);
}

BOOST_FIXTURE_TEST_CASE(without_a_prompt_answer_the_message_is_still_accepted_and_sent, graph_fixture) {
  // Meta answers after 1.5 s, past a 200 ms wait: Enfinito's id now, the wamid later.
  meta.admin("knobs", {{"latency_ms", 1500}});
  running_app quick([this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.graph.sync_wait = std::chrono::milliseconds(200);
  });
  const auto k = plant_key(quick.get().database(), "quick@example.com");
  header_list h{{"Authorization", "Bearer " + k}, {"Content-Type", "application/json"}};
  connect_instance(quick.port(), k, creds);
  auto r = http_request("127.0.0.1", quick.port(), "POST", send_path, h, text_body);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  auto first = json::parse(r.body).at("messages").as_array().at(0).as_object();
  BOOST_TEST(first.at("id").as_string() == r.header("X-Enfinito-Message-Id"));
  BOOST_TEST(first.at("message_status").as_string() == "accepted");
  // Durable and queued: it reaches Meta.
  std::string status;
  wait_until(
      [&] {
        auto m = http_request("127.0.0.1", quick.port(), "GET", "/v1/messages/" + r.header("X-Enfinito-Message-Id"),
                              {{"Authorization", "Bearer " + k}});
        status = std::string(json::parse(m.body).at("status").as_string());
        return status == "sent";
      },
      std::chrono::seconds(10), std::chrono::milliseconds(100));
  BOOST_TEST(status == "sent");
}

BOOST_FIXTURE_TEST_CASE(errors_come_in_metas_envelope_with_metas_codes, graph_fixture) {
  // No or a wrong token: 190, as Meta answers a bad access token.
  auto bad = call("POST", send_path, text_body, "enf_live_wrong");
  BOOST_TEST(bad.status == 401u);
  BOOST_TEST(code_of(bad) == 190);
  BOOST_TEST(error_of(bad).at("type").as_string() == "OAuthException");
  // A missing required parameter: 131008; an invalid one: 100, naming the field in details.
  auto missing = call("POST", send_path, R"({"messaging_product":"whatsapp","type":"text","text":{"body":"x"}})");
  BOOST_TEST(missing.status == 400u);
  BOOST_TEST(code_of(missing) == 131008);
  auto invalid = call("POST", send_path,
                      R"({"messaging_product":"whatsapp","to":"+16505551234","type":"text","text":{"body":7}})");
  BOOST_TEST(invalid.status == 400u);
  BOOST_TEST(code_of(invalid) == 100);
  BOOST_TEST(std::string(error_of(invalid).at("error_data").at("details").as_string()).find("text.body") !=
             std::string::npos);
  auto not_json = call("POST", send_path, "{nope");
  BOOST_TEST(code_of(not_json) == 100);
  auto version = call("POST", std::string("/graph/latest/") + phone_a + "/messages", text_body);
  BOOST_TEST(code_of(version) == 100);
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().empty());  // nothing reached Meta

  // Meta refuses the message (permanent 131026): its code comes back, the log says failed.
  meta.admin("inject", {{"code", 131026}, {"count", 1}, {"mode", "sync"}});
  auto refused = call("POST", send_path, text_body);
  BOOST_TEST(refused.status >= 400u);
  BOOST_TEST(code_of(refused) == 131026);
  auto logged = call("GET", "/v1/messages/" + refused.header("X-Enfinito-Message-Id"));
  BOOST_TEST(json::parse(logged.body).at("status").as_string() == "failed");
}

BOOST_FIXTURE_TEST_CASE(an_idempotency_key_makes_a_retried_send_one_message, graph_fixture) {
  auto with_key = [this](const std::string& body, const std::string& k) {
    return call("POST", send_path, body, {}, "application/json", {{"Idempotency-Key", k}});
  };
  auto first = with_key(text_body, "sdk-order-1");
  BOOST_REQUIRE_MESSAGE(first.status == 200u, first.body);
  BOOST_TEST(first.header("Idempotent-Replayed").empty());
  // The same request again: the same answer (the real wamid), the same message, one send.
  auto again = with_key(text_body, "sdk-order-1");
  BOOST_REQUIRE_MESSAGE(again.status == 200u, again.body);
  BOOST_TEST(again.header("Idempotent-Replayed") == "true");
  BOOST_TEST(again.header("X-Enfinito-Message-Id") == first.header("X-Enfinito-Message-Id"));
  BOOST_TEST(json::parse(again.body) == json::parse(first.body));
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().size() == 1u);

  // A different body under the same key: REST's 422 idempotency_key_reused, in Meta's envelope.
  const std::string other =
      R"({"messaging_product":"whatsapp","to":"+16505551234","type":"text","text":{"body":"Something else"}})";
  auto reused = with_key(other, "sdk-order-1");
  BOOST_TEST(reused.status == 422u);
  BOOST_TEST(code_of(reused) == 100);
  BOOST_TEST(std::string(error_of(reused).at("message").as_string()).find("Idempotency-Key") != std::string::npos);
  // The same key scope as the REST route: the key used there, for its own path, is taken too.
  auto rest = call("POST", "/v1/instances/" + instance_id + "/messages",
                   R"({"to":"+16505551234","type":"text","text":{"body":"x"}})", {}, "application/json",
                   {{"Idempotency-Key", "sdk-order-1"}});
  BOOST_TEST(rest.status == 422u);
  BOOST_TEST(json::parse(rest.body).at("code").as_string() == "idempotency_key_reused");
  // A key that is not 1..255 visible ASCII characters: an invalid parameter, nothing queued.
  BOOST_TEST(code_of(with_key(text_body, "has space")) == 100);
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_token_meta_refuses_on_a_relayed_call_marks_the_instance_with_its_event, graph_fixture) {
  meta.admin("tokens", {{"token", meta_token}, {"state", "expired"}});
  auto read = call("POST", send_path, R"({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"})");
  BOOST_TEST(code_of(read) == 190);  // Meta's own answer, relayed
  auto events = json::parse(call("GET", "/v1/events?type=instance.status").body).at("data").as_array();
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].at("instance_id").as_string() == instance_id);
  BOOST_TEST(events[0].at("data").at("status").as_string() == "needs_reauth");
  // From now on a send is refused in Meta's words, and nothing is queued.
  auto refused = call("POST", send_path, text_body);
  BOOST_TEST(refused.status == 401u);
  BOOST_TEST(code_of(refused) == 190);
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().empty());
}

BOOST_FIXTURE_TEST_CASE(another_tenants_number_is_an_unknown_object, graph_fixture) {
  const auto other = plant_key(app.get().database(), "other@example.com");
  for (const auto& target : {send_path, std::string("/graph/v23.0/999999999999/messages")}) {
    BOOST_TEST_CONTEXT(target) {
      auto r = call("POST", target, text_body, other);
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(code_of(r) == 100);
      BOOST_TEST(error_of(r).at("error_subcode").to_number<std::int64_t>() == 33);
      BOOST_TEST(r.body.find(instance_id) == std::string::npos);
    }
  }
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().empty());
}

BOOST_FIXTURE_TEST_CASE(mark_as_read_and_media_are_relayed_with_metas_answers, graph_fixture) {
  // A customer's message to mark read (the fake makes one up and returns its wamid).
  auto in = http_request("127.0.0.1", meta.port(), "POST", "/_admin/inbound", {{"Content-Type", "application/json"}},
                         R"({"type":"text","from":"16505551234"})");
  BOOST_REQUIRE_MESSAGE(in.status == 200u, in.body);
  const std::string inbound_wamid(json::parse(in.body).at("id").as_string());
  auto read = call("POST", send_path,
                   R"({"messaging_product":"whatsapp","status":"read","message_id":")" + inbound_wamid + R"("})");
  BOOST_TEST(read.status == 200u, read.body);
  BOOST_TEST(read.body.find("\"success\":true") != std::string::npos);

  // Upload as an SDK does (multipart), then read it back: the URL points at Enfinito's proxy.
  const std::string boundary = "sdkBoundary7MA4YWxk";
  std::string form = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n" + "--" +
                     boundary + "\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n" + "--" +
                     boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n" +
                     "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n0123456789\r\n--" + boundary + "--\r\n";
  auto up = call("POST", std::string("/graph/v23.0/") + phone_a + "/media", form, {},
                 "multipart/form-data; boundary=" + boundary);
  BOOST_REQUIRE_MESSAGE(up.status == 200u, up.body);
  const std::string media_id(json::parse(up.body).at("id").as_string());
  auto got = call("GET", "/graph/v23.0/" + media_id);
  BOOST_REQUIRE_MESSAGE(got.status == 200u, got.body);
  const std::string url(json::parse(got.body).at("url").as_string());
  BOOST_TEST(url ==
             app.settings.server.public_url + "/v1/instances/" + instance_id + "/media/" + media_id + "/content");
  auto content = call("GET", url.substr(app.settings.server.public_url.size()));
  BOOST_TEST(content.status == 200u);
  BOOST_TEST(content.body.find("0123456789") != std::string::npos);
  auto del = call("DELETE", "/graph/v23.0/" + media_id);
  BOOST_TEST(del.status == 200u, del.body);
}

BOOST_FIXTURE_TEST_CASE(the_business_profile_is_read_and_updated_in_metas_shapes, graph_fixture) {
  const std::string at = std::string("/graph/v23.0/") + phone_a + "/whatsapp_business_profile";
  // Without fields: every documented field, in Meta's `{data:[profile]}`.
  auto got = call("GET", at);
  BOOST_REQUIRE_MESSAGE(got.status == 200u, got.body);
  auto profile = json::parse(got.body).at("data").as_array().at(0).as_object();
  BOOST_TEST(profile.at("messaging_product").as_string() == "whatsapp");
  for (const char* f : {"about", "address", "description", "email", "profile_picture_url", "websites", "vertical"})
    BOOST_TEST(profile.contains(f), f);
  // With fields: those only (and messaging_product), as Meta answers.
  auto some = call("GET", at + "?fields=about,vertical");
  BOOST_REQUIRE_MESSAGE(some.status == 200u, some.body);
  auto picked = json::parse(some.body).at("data").as_array().at(0).as_object();
  BOOST_TEST(picked.size() == 3u);
  BOOST_TEST(picked.contains("about"));
  BOOST_TEST(!picked.contains("address"));

  // An update as Meta takes it: Meta's {success:true}, and Meta has it.
  auto upd = call(
      "POST", at,
      R"({"messaging_product":"whatsapp","about":"Open 9 to 5","websites":["https://shop.example.com"],"vertical":"RETAIL"})");
  BOOST_REQUIRE_MESSAGE(upd.status == 200u, upd.body);
  BOOST_TEST(json::parse(upd.body).at("success").as_bool());
  auto again = json::parse(call("GET", at).body).at("data").as_array().at(0).as_object();
  BOOST_TEST(again.at("about").as_string() == "Open 9 to 5");
  BOOST_TEST(again.at("vertical").as_string() == "RETAIL");
  BOOST_TEST(again.at("websites").as_array().at(0).as_string() == "https://shop.example.com");

  // Refused before Meta is called, each naming its parameter in Meta's envelope (code 100).
  const auto before = meta.requests();
  const std::pair<const char*, const char*> refused[] = {
      {R"({"about":"no product"})", "messaging_product"},
      {R"({"messaging_product":"whatsapp","about":""})", "about"},
      {R"({"messaging_product":"whatsapp","websites":["a","b","c"]})", "websites"},
      {R"({"messaging_product":"whatsapp","vertical":"spaceships"})", "vertical"},
      {R"({"messaging_product":"whatsapp","colour":"red"})", "colour"},
      {R"([1,2])", "JSON object"},
  };
  for (const auto& [body, field] : refused) {
    BOOST_TEST_CONTEXT(body) {
      auto r = call("POST", at, body);
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(code_of(r) == 100);
      BOOST_TEST(std::string(error_of(r).at("error_data").at("details").as_string()).find(field) != std::string::npos);
    }
  }
  BOOST_TEST(code_of(call("GET", at + "?fields=about%3Bdrop")) == 100);
  BOOST_TEST(meta.requests() == before + 1);  // +1: the stats call itself
  auto unchanged = json::parse(call("GET", at).body).at("data").as_array().at(0).as_object();
  BOOST_TEST(unchanged.at("about").as_string() == "Open 9 to 5");
}

BOOST_FIXTURE_TEST_CASE(another_tenants_business_profile_is_an_unknown_object, graph_fixture) {
  const std::string at = std::string("/graph/v23.0/") + phone_a + "/whatsapp_business_profile";
  const auto other = plant_key(app.get().database(), "other@example.com");
  const auto before = meta.requests();
  for (const auto& target : {at, std::string("/graph/v23.0/999999999999/whatsapp_business_profile")}) {
    for (const char* method : {"GET", "POST"}) {
      BOOST_TEST_CONTEXT(method << " " << target) {
        const std::string body =
            std::string(method) == "POST" ? R"({"messaging_product":"whatsapp","about":"mine"})" : "";
        auto r = call(method, target, body, other);
        BOOST_TEST(r.status == 400u);
        BOOST_TEST(code_of(r) == 100);
        BOOST_TEST(error_of(r).at("error_subcode").to_number<std::int64_t>() == 33);
        BOOST_TEST(r.body.find(instance_id) == std::string::npos);
      }
    }
  }
  // The owner's read-only key may not change it: Meta's 200 "Permission denied".
  tenant_options read_only;
  read_only.read_only = true;
  read_only.existing_user_id = owner.user_id;
  const auto reader = make_tenant(app.get().database(), "sdk@example.com", read_only).key;
  auto denied = call("POST", at, R"({"messaging_product":"whatsapp","about":"x"})", reader);
  BOOST_TEST(denied.status == 403u);
  BOOST_TEST(code_of(denied) == 200);
  BOOST_TEST(meta.requests() == before + 1);  // nothing reached Meta (+1: the stats call)
}

BOOST_FIXTURE_TEST_CASE(the_first_template_list_syncs_a_never_synced_copy_once, graph_fixture) {
  // Right after the number was connected, an SDK listing templates sees Meta's, not an empty
  // copy: the first list reads them from Meta once, later lists are served from the copy.
  const std::string at = std::string("/graph/v23.0/") + waba_a + "/message_templates";
  meta.admin("templates", {{"waba_id", waba_a},
                           {"name", "welcome_back"},
                           {"language", "en_US"},
                           {"status", "APPROVED"},
                           {"components", json::array{json::object{{"type", "BODY"}, {"text", "Welcome back!"}}}}});
  auto first = call("GET", at + "?limit=100");
  BOOST_REQUIRE_MESSAGE(first.status == 200u, first.body);
  auto names = [](const http_result& r) {
    std::vector<std::string> out;
    const auto doc = json::parse(r.body);
    for (const auto& t : doc.at("data").as_array()) out.emplace_back(t.at("name").as_string());
    return out;
  };
  const auto listed = names(first);
  BOOST_TEST(std::count(listed.begin(), listed.end(), "welcome_back") == 1);
  const auto before = meta.requests();
  auto again = call("GET", at + "?limit=100");
  BOOST_REQUIRE(again.status == 200u);
  BOOST_TEST(names(again) == listed);
  BOOST_TEST(meta.requests() == before + 1);  // only this stats call: not one call to Meta
}

BOOST_AUTO_TEST_SUITE_END()
