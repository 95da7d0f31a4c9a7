// Opt-outs end to end (issue 21): a customer writes STOP through the fake Graph API's signed
// webhook and is listed; with the instance's rule on, a template send to them is refused
// before anything is queued (REST 409 naming `to`, Graph Meta's 131050); START lists them no
// more. The list and its settings through the API: paging, validation, tenancy, audit, events.
// The real daemon in-process, a real database file, the tenants planted in it.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

constexpr const char* token = "EAAGoptoutTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8";
constexpr const char* app_secret = "optoutSECRET4d9c2b7e1f0a3b8c";
constexpr const char* ada = "4915112345678";

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::value& v, std::string_view k) { return std::string(v.as_object().at(k).as_string()); }

std::string template_to(const std::string& to) {
  return json::serialize(json::object{
      {"to", to}, {"type", "template"}, {"template", {{"name", "spring_offer"}, {"language", {{"code", "en_US"}}}}}});
}

struct optout_fixture : connected_shop {
  optout_fixture()
      : connected_shop(fake_graph_config({{phone_a, waba_a}}, {token}), {phone_a, waba_a, token, app_secret},
                       [](config::settings& s) {
                         s.meta.timeout = 5000ms;
                         s.graph.sync_wait = 0ms;
                       }) {}

  std::string base() const { return "/v1/instances/" + instance_id; }

  // The customer `from` sends `type` with its object (the fake posts Meta's signed webhook);
  // waits until it is stored.
  void customer_sends(const std::string& from, const std::string& type, json::object inner) {
    deliver_inbound(meta, app.get().database(),
                    {{"from", from}, {"name", "Ada"}, {"type", type}, {type, std::move(inner)}});
  }
  void customer_writes(const std::string& from, const std::string& text) {
    customer_sends(from, "text", {{"body", text}});
  }
  json::array listed() {
    auto r = call(alice, "GET", base() + "/optouts");
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body_of(r).at("data").as_array();
  }
  json::array events() {
    auto r = call(alice, "GET", "/v1/events?type=optout.added,optout.removed");
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body_of(r).at("data").as_array();
  }
  http_result put_settings(const json::object& o) {
    return call(alice, "PUT", base() + "/optout-settings", json::serialize(o));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(optouts)

BOOST_FIXTURE_TEST_CASE(opt_out_by_keyword_then_refused_then_opt_in_again, optout_fixture) {
  customer_writes(ada, "hello");
  BOOST_TEST(listed().empty());
  customer_writes(ada, " Stop! ");
  auto list = listed();
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  BOOST_TEST(str(list[0], "wa_id") == ada);
  BOOST_TEST(str(list[0], "source") == "keyword");
  BOOST_TEST(str(list[0], "keyword") == "STOP");
  BOOST_TEST(str(list[0], "message_id").rfind("msg_", 0) == 0u);
  auto ev = events();
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(str(ev[0], "type") == "optout.added");
  BOOST_TEST(str(ev[0].at("data"), "wa_id") == ada);

  // The rule is off by default: the send goes out.
  BOOST_TEST(call(alice, "POST", base() + "/messages", template_to("+" + std::string(ada))).status == 202u);
  auto r = put_settings({{"enforce_on_single_sends", "all_templates"}});
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(str(body_of(r), "enforce_on_single_sends") == "all_templates");

  // On: refused, nothing stored or queued; a text (inside the customer's window) still goes.
  const auto outbound = count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'");
  r = call(alice, "POST", base() + "/messages", template_to("+49 151 12345678"));
  BOOST_TEST(r.status == 409u, r.body);
  BOOST_TEST(str(body_of(r), "code") == "recipient_opted_out");
  BOOST_TEST(str(body_of(r), "field") == "to");
  BOOST_TEST(r.header("content-type") == "application/problem+json");
  BOOST_TEST(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'") == outbound);
  BOOST_TEST(call(alice, "POST", base() + "/messages", template_to("4915100000000")).status == 202u);
  r = call(alice, "POST", base() + "/messages",
           json::serialize(json::object{{"to", ada}, {"type", "text"}, {"text", {{"body", "noted"}}}}));
  BOOST_TEST(r.status == 202u);

  // The Graph-compatible route: Meta's own code for it, at once.
  r = call(alice, "POST", std::string("/graph/v23.0/") + phone_a + "/messages",
           R"({"messaging_product":"whatsapp","to":")" + std::string(ada) +
               R"(","type":"template","template":{"name":"spring_offer","language":{"code":"en_US"}}})");
  BOOST_TEST(r.status == 400u, r.body);
  BOOST_TEST(body_of(r).at("error").at("code").to_number<std::int64_t>() == 131050);
  BOOST_TEST(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'") == outbound + 2);

  // START (a quick-reply button here) lists her no more; templates go again.
  customer_sends(ada, "button", {{"payload", "START"}, {"text", "Start again"}});
  BOOST_TEST(listed().empty());
  ev = events();
  BOOST_REQUIRE_EQUAL(ev.size(), 2u);
  BOOST_TEST(str(ev[1], "type") == "optout.removed");
  BOOST_TEST(call(alice, "POST", base() + "/messages", template_to(ada)).status == 202u);
  // Every change is audited for the owner.
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE subject_id = '" + alice.user_id +
                   "' AND action IN ('optout.added', 'optout.removed', 'optout.settings_updated')") == 3);
}

BOOST_FIXTURE_TEST_CASE(keywords_follow_the_instance_settings, optout_fixture) {
  auto r = call(alice, "GET", base() + "/optout-settings");
  BOOST_REQUIRE(r.status == 200u);
  auto s = body_of(r);
  BOOST_TEST(s.at("enabled").as_bool());
  BOOST_TEST(s.at("stop_keywords_default").as_bool());
  BOOST_TEST(str(s, "enforce_on_single_sends") == "off");
  BOOST_TEST(s.at("updated_at").is_null());
  BOOST_TEST(s.at("stop_keywords").as_array().size() > 10u);

  r = put_settings({{"stop_keywords", json::array{"Basta!", "basta"}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  s = body_of(r);
  BOOST_TEST(s.at("stop_keywords") == (json::array{"BASTA"}));
  BOOST_TEST(!s.at("stop_keywords_default").as_bool());
  BOOST_TEST(s.at("start_keywords_default").as_bool());  // omitted: kept
  customer_writes(ada, "stop");
  BOOST_TEST(listed().empty());
  customer_writes(ada, "BASTA");
  BOOST_TEST(listed().size() == 1u);

  BOOST_TEST(put_settings({{"enabled", false}, {"stop_keywords", nullptr}}).status == 200u);
  customer_writes("4915100000001", "stop");
  BOOST_TEST(listed().size() == 1u);
  r = call(alice, "GET", base() + "/optout-settings");
  BOOST_TEST(!body_of(r).at("enabled").as_bool());
  BOOST_TEST(body_of(r).at("stop_keywords_default").as_bool());

  // Refusals name the field; nothing changes.
  const std::vector<std::pair<json::object, std::string>> bad{
      {{{"enforce_on_single_sends", "always"}}, "enforce_on_single_sends"},
      {{{"enabled", "yes"}}, "enabled"},
      {{{"stop_keywords", json::array{"!!"}}}, "stop_keywords"},
      {{{"start_keywords", "START"}}, "start_keywords"},
      {{{"colour", "red"}}, "colour"},
      {{{"start_keywords", json::array{"stop"}}, {"stop_keywords", nullptr}}, "start_keywords"},
  };
  for (const auto& [body, field] : bad) {
    BOOST_TEST_CONTEXT(json::serialize(body)) {
      r = put_settings(body);
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(str(body_of(r), "field") == field);
    }
  }
  BOOST_TEST(!body_of(call(alice, "GET", base() + "/optout-settings")).at("enabled").as_bool());
}

BOOST_FIXTURE_TEST_CASE(the_list_through_the_api_is_the_tenants_own, optout_fixture) {
  auto r = call(alice, "POST", base() + "/optouts", R"({"wa_id":"+49 151 12345678"})");
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  BOOST_TEST(str(body_of(r), "wa_id") == ada);
  BOOST_TEST(str(body_of(r), "source") == "api");
  BOOST_TEST(body_of(r).at("keyword").is_null());
  BOOST_TEST(r.header("location") == base() + "/optouts/" + ada);
  r = call(alice, "POST", base() + "/optouts", R"({"wa_id":"4915112345678"})");
  BOOST_TEST(r.status == 200u);  // already listed: unchanged
  BOOST_TEST(events().size() == 1u);
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE action = 'optout.added' AND actor_id = '" + alice.user_id +
                   "'") == 1);

  for (const auto* body :
       {R"({})", R"({"wa_id":""})", R"({"wa_id":"49/151"})", R"({"wa_id":12})", R"({"wa_id":"1","note":"x"})", R"([])"})
    BOOST_TEST_CONTEXT(body) { BOOST_TEST(call(alice, "POST", base() + "/optouts", body).status == 400u); }

  // Someone else's instance does not exist for them, whatever they do.
  BOOST_TEST(call(bob, "GET", base() + "/optouts").status == 404u);
  BOOST_TEST(call(bob, "GET", base() + "/optouts/" + ada).status == 404u);
  BOOST_TEST(call(bob, "DELETE", base() + "/optouts/" + ada).status == 404u);
  BOOST_TEST(call(bob, "POST", base() + "/optouts", R"({"wa_id":"1234567"})").status == 404u);
  BOOST_TEST(call(bob, "GET", base() + "/optout-settings").status == 404u);
  BOOST_TEST(call(bob, "PUT", base() + "/optout-settings", R"({"enabled":false})").status == 404u);
  BOOST_TEST(listed().size() == 1u);
  // A read-only key reads but does not write.
  auto reader = make_tenant(app.get().database(), "alice@example.com", tenant_options{{}, true, "user", alice.user_id});
  BOOST_TEST(call(reader, "GET", base() + "/optouts").status == 200u);
  BOOST_TEST(call(reader, "DELETE", base() + "/optouts/" + ada).status == 403u);

  // Pages by wa_id.
  for (const auto* n : {"4915100000003", "4915100000001", "4915100000002", "4915100000004"})
    BOOST_TEST(call(alice, "POST", base() + "/optouts", std::string(R"({"wa_id":")") + n + "\"}").status == 201u);
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 5; ++page) {
    r = call(alice, "GET", base() + "/optouts?limit=2" + (after.empty() ? "" : "&after=" + after));
    BOOST_REQUIRE(r.status == 200u);
    auto o = body_of(r);
    for (const auto& e : o.at("data").as_array()) seen.push_back(str(e, "wa_id"));
    if (!o.at("has_more").as_bool()) {
      BOOST_TEST(o.at("next_after").is_null());
      break;
    }
    after = str(o, "next_after");
  }
  BOOST_TEST(seen ==
             (std::vector<std::string>{"4915100000001", "4915100000002", "4915100000003", "4915100000004", ada}));
  BOOST_TEST(call(alice, "GET", base() + "/optouts?limit=0").status == 400u);
  BOOST_TEST(call(alice, "GET", base() + "/optouts?limit=201").status == 400u);

  // The account export holds the list (P8), across pages of the export's own size.
  auto exported = call(alice, "GET", "/v1/me/export");
  BOOST_REQUIRE_EQUAL(exported.status, 200u);
  const auto in_export = json::parse(exported.body).at("optouts").as_array();
  BOOST_REQUIRE_EQUAL(in_export.size(), 5u);
  BOOST_TEST(str(in_export[0], "wa_id") == "4915100000001");
  BOOST_TEST(str(in_export[0], "instance_id") == instance_id);
  BOOST_TEST(json::parse(call(bob, "GET", "/v1/me/export").body).at("optouts").as_array().empty());

  r = call(alice, "GET", base() + "/optouts/%2B" + ada);
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(call(alice, "DELETE", base() + "/optouts/" + ada).status == 204u);
  BOOST_TEST(call(alice, "DELETE", base() + "/optouts/" + ada).status == 404u);
  BOOST_TEST(call(alice, "GET", base() + "/optouts/" + ada).status == 404u);
  auto ev = events();
  BOOST_TEST(str(ev.back(), "type") == "optout.removed");
  BOOST_TEST(str(ev.back().at("data"), "source") == "api");
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE action = 'optout.removed'") == 1);

  // Deleting the instance takes its list and settings with it.
  BOOST_TEST(put_settings({{"enabled", false}}).status == 200u);
  BOOST_TEST(call(alice, "DELETE", base()).status == 204u);
  BOOST_TEST(count("SELECT COUNT(*) FROM optouts") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM optout_settings") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
