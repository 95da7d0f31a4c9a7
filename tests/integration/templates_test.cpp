// Templates whole, against the fake Graph API: the local copy (sync, served without calling
// Meta, following status / quality / category webhooks), create-edit-delete round trips on the
// REST and the Graph-compatible routes, the pre-send checks refusing what the fake refuses with
// the same code (and letting through what it accepts), the 24-hour window policy, and the
// Graph surface an SDK reads (its phone number, the WABA's numbers), scoped to the caller.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/app/app.hpp>
#include <enfinito/store/store.hpp>

#include <fake_graph/core.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace enfinito::test;
namespace json = boost::json;

namespace {

constexpr const char* meta_token = "EAAGtemplatesTOKEN0123456789abcdef";
constexpr const char* app_secret = "templatessecret0123456789";
constexpr const char* customer = "16505551234";

// One number whose WABA holds the fake's seeded templates (hello_world, order_shipped, ...).
std::string fake_config() {
  return fake_graph::one_number_config(phone_a, waba_a, meta_token, {}, json::object{{"seed_templates", true}});
}

struct templates_fixture {
  fake_meta meta{fake_config()};
  std::string policy = "reject";
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.templates.window_policy = policy;
  }};
  tenant owner = make_tenant(app.get().database(), "owner@example.com");
  std::string instance_id;

  templates_fixture() {
    instance_id = connect_routed_instance(meta, app.port(), owner.key, {phone_a, waba_a, meta_token, app_secret});
    meta.admin("knobs", {{"window_mode", "sync"}});
  }

  http_result call(const std::string& method, const std::string& target, const std::string& body = {},
                   const std::string& key = {}) {
    header_list h{{"Authorization", "Bearer " + (key.empty() ? owner.key : key)}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return http_request("127.0.0.1", app.port(), method, target, h, body);
  }
  // The same send straight to the fake, as Meta would get it.
  http_result at_meta(const std::string& body) {
    header_list h{{"Authorization", std::string("Bearer ") + meta_token}, {"Content-Type", "application/json"}};
    return http_request("127.0.0.1", meta.port(), "POST", std::string("/v23.0/") + phone_a + "/messages", h, body);
  }
  std::string base() const { return "/v1/instances/" + instance_id; }
  void sync() {
    auto r = call("POST", base() + "/templates/sync");
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  }
  json::array listed(const std::string& query = "") {
    auto r = call("GET", base() + "/templates" + query);
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return json::parse(r.body).at("data").as_array();
  }
  std::string status_of(const std::string& name) {
    for (const auto& t : listed("?name=" + name))
      if (t.at("name").as_string() == name) return std::string(t.at("status").as_string());
    return "";
  }
};

json::object object_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::int64_t graph_code(const http_result& r) { return object_of(r).at("error").at("code").to_number<std::int64_t>(); }

std::string template_send(const std::string& name, const std::string& components = "[]") {
  return R"({"messaging_product":"whatsapp","to":")" + std::string(customer) +
         R"(","type":"template","template":{"name":")" + name + R"(","language":{"code":"en_US"},"components":)" +
         components + "}}";
}
const std::string text_send =
    R"({"messaging_product":"whatsapp","to":"+16505551234","type":"text","text":{"body":"Hello"}})";

const std::string shipped_ok =
    R"([{"type":"header","parameters":[{"type":"document","document":{"link":"https://example.com/i.pdf"}}]},)"
    R"({"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},)"
    R"({"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"abc"}]}])";

}  // namespace

BOOST_AUTO_TEST_SUITE(templates)

BOOST_FIXTURE_TEST_CASE(the_copy_is_synced_and_served_without_calling_meta, templates_fixture) {
  sync();
  const auto before = meta.requests();
  auto all = listed();
  BOOST_TEST(all.size() >= 7u);
  auto one = listed("?name=order_shipped");
  BOOST_REQUIRE_EQUAL(one.size(), 1u);
  BOOST_TEST(one[0].at("status").as_string() == "APPROVED");
  BOOST_TEST(one[0].at("components").as_array().size() == 3u);
  // Paging: two at a time, in (name, language) order, until no cursor.
  std::size_t seen = 0;
  std::string after;
  for (int guard = 0; guard < 10; ++guard) {
    auto r = call("GET", base() + "/templates?limit=2" + (after.empty() ? "" : "&after=" + after));
    BOOST_REQUIRE(r.status == 200u);
    auto o = object_of(r);
    seen += o.at("data").as_array().size();
    if (o.at("paging").at("after").is_null()) break;
    after = std::string(o.at("paging").at("after").as_string());
  }
  BOOST_TEST(seen == all.size());
  BOOST_TEST(meta.requests() == before + 1);  // only this stats call: not one call to Meta
}

BOOST_FIXTURE_TEST_CASE(create_edit_delete_round_trip_and_the_copy_follows_status_webhooks, templates_fixture) {
  sync();
  const std::string definition =
      R"({"name":"spring_sale","language":"en_US","category":"MARKETING","components":[{"type":"BODY","text":"Hi {{1}}","example":{"body_text":[["Pat"]]}}]})";
  auto created = call("POST", base() + "/templates", definition);
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  const std::string id(object_of(created).at("id").as_string());
  BOOST_TEST(status_of("spring_sale") == "PENDING");
  // Meta approves: the webhook moves the copy.
  meta.admin("templates", {{"waba_id", waba_a}, {"name", "spring_sale"}, {"status", "APPROVED"}});
  BOOST_TEST(wait_until([&] { return status_of("spring_sale") == "APPROVED"; }));
  // Quality and category webhooks too.
  meta.admin("template_quality", {{"waba_id", waba_a}, {"name", "spring_sale"}, {"quality", "YELLOW"}});
  BOOST_TEST(wait_until([&] {
    auto t = listed("?name=spring_sale");
    return !t.empty() && t[0].as_object().contains("quality_score") &&
           t[0].at("quality_score").at("score").as_string() == "YELLOW";
  }));
  meta.admin("template_category", {{"waba_id", waba_a}, {"name", "spring_sale"}, {"category", "UTILITY"}});
  BOOST_TEST(wait_until([&] { return listed("?name=spring_sale").at(0).at("category").as_string() == "UTILITY"; }));
  // Edit: Meta gets it, the copy follows.
  auto edited = call("PATCH", base() + "/templates/" + id,
                     R"({"components":[{"type":"BODY","text":"Hello {{1}}!","example":{"body_text":[["Pat"]]}}]})");
  BOOST_REQUIRE_MESSAGE(edited.status == 200u, edited.body);
  BOOST_TEST(listed("?name=spring_sale").at(0).at("components").at(0).at("text").as_string() == "Hello {{1}}!");
  auto refused = call("PATCH", base() + "/templates/" + id, R"({"name":"other"})");
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(object_of(refused).at("field").as_string() == "name");
  BOOST_TEST(call("PATCH", base() + "/templates/999999", R"({"category":"UTILITY"})").status == 404u);
  // Delete: gone at Meta and in the copy.
  auto deleted = call("DELETE", base() + "/templates?name=spring_sale");
  BOOST_REQUIRE_MESSAGE(deleted.status == 204u, deleted.body);
  BOOST_TEST(listed("?name=spring_sale").empty());
  sync();
  BOOST_TEST(listed("?name=spring_sale").empty());
  BOOST_TEST(call("DELETE", base() + "/templates").status == 400u);
}

BOOST_FIXTURE_TEST_CASE(pre_send_checks_refuse_what_meta_refuses_with_its_code, templates_fixture) {
  sync();
  meta.admin("window", {{"phone_number_id", phone_a}, {"wa_id", customer}});  // templates only here
  struct row {
    const char* what;
    std::string body;
    std::int64_t meta_code;
    const char* problem;
    const char* field;
  } rows[] = {
      {"unknown", template_send("nope"), 132001, "template_unknown", "template.name"},
      {"wrong language",
       R"({"messaging_product":"whatsapp","to":"16505551234","type":"template","template":{"name":"hello_world","language":{"code":"de"}}})",
       132001, "template_unknown", "template.name"},
      {"body short",
       template_send("appointment_reminder", R"([{"type":"body","parameters":[{"type":"text","text":"x"}]}])"), 132000,
       "template_params_mismatch", "template.components[0].parameters"},
      {"url button missing",
       template_send(
           "order_shipped",
           R"([{"type":"header","parameters":[{"type":"document","document":{"link":"https://example.com/i.pdf"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]}])"),
       132000, "template_params_mismatch", "template.components"},
      // The header's kind against its format (order_shipped: DOCUMENT), also caught by the fake.
      {"header kind",
       template_send(
           "order_shipped",
           R"([{"type":"header","parameters":[{"type":"image","image":{"link":"https://example.com/i.png"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"abc"}]}])"),
       132012, "template_param_format", "template.components[0].parameters[0].type"},
      {"named wrong",
       template_send(
           "order_confirmation_named",
           R"([{"type":"body","parameters":[{"type":"text","parameter_name":"customer","text":"Pat"},{"type":"text","parameter_name":"order_number","text":"#1"}]}])"),
       132012, "template_param_format", "template.components[0].parameters[0].parameter_name"},
  };
  const auto sent_before = meta.admin_get("messages").at("messages").as_array().size();
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.what) {
      auto rest = call("POST", base() + "/messages", r.body);
      BOOST_TEST(rest.status == 422u, rest.body);
      auto p = object_of(rest);
      BOOST_TEST(p.at("code").as_string() == r.problem);
      BOOST_TEST(p.at("field").as_string() == r.field);
      BOOST_TEST(p.at("meta_code").to_number<std::int64_t>() == r.meta_code);
      auto graph = call("POST", std::string("/graph/v23.0/") + phone_a + "/messages", r.body);
      BOOST_TEST(graph.status == (r.meta_code == 132001 ? 404u : 400u), graph.body);
      BOOST_TEST(graph_code(graph) == r.meta_code);
      // The fake (as Meta) refuses the same body with the same code.
      auto fake = at_meta(r.body);
      BOOST_TEST(graph_code(fake) == r.meta_code, fake.body);
    }
  }
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().size() == sent_before);  // nothing queued
  // What Meta accepts passes: the message is queued and sent.
  for (const auto& ok : {template_send("order_shipped", shipped_ok), template_send("hello_world")}) {
    BOOST_TEST(at_meta(ok).status == 200u);
    auto r = call("POST", base() + "/messages", ok);
    BOOST_TEST(r.status == 202u, r.body);
  }
  // A template that is not APPROVED (yet) is refused as Meta would.
  auto created =
      call("POST", base() + "/templates",
           R"({"name":"later","language":"en_US","category":"UTILITY","components":[{"type":"BODY","text":"Soon"}]})");
  BOOST_REQUIRE(created.status == 201u);
  auto pending = call("POST", base() + "/messages", template_send("later"));
  BOOST_TEST(pending.status == 422u);
  BOOST_TEST(object_of(pending).at("code").as_string() == "template_not_approved");
  BOOST_TEST(graph_code(at_meta(template_send("later"))) == 132001);
}

BOOST_FIXTURE_TEST_CASE(free_form_outside_the_window_is_refused_until_the_customer_writes, templates_fixture) {
  // Policy reject: no message from the customer yet.
  auto rest = call("POST", base() + "/messages", text_send);
  BOOST_TEST(rest.status == 422u, rest.body);
  BOOST_TEST(object_of(rest).at("code").as_string() == "window_closed");
  BOOST_TEST(object_of(rest).at("field").as_string() == "to");
  auto graph = call("POST", std::string("/graph/v23.0/") + phone_a + "/messages", text_send);
  BOOST_TEST(graph.status == 400u);
  BOOST_TEST(graph_code(graph) == 131047);
  BOOST_TEST(graph_code(at_meta(text_send)) == 131047);  // the fake (sync window mode) agrees
  // The customer writes: the window opens at both ends.
  meta.admin("inbound", {{"phone_number_id", phone_a}, {"from", customer}, {"type", "text"}});
  BOOST_TEST(wait_until([&] { return call("POST", base() + "/messages", text_send).status == 202u; }));
  BOOST_TEST(at_meta(text_send).status == 200u);
  // The window per peer is in the conversation.
  auto conv = call("GET", base() + "/conversations/" + customer);
  BOOST_REQUIRE(conv.status == 200u);
  BOOST_TEST(object_of(conv).at("window").at("open").as_bool());
}

BOOST_AUTO_TEST_CASE(policy_warn_accepts_with_a_warning) {
  fake_meta meta{fake_config()};
  running_app app{[&](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.templates.window_policy = "warn";
  }};
  auto owner = make_tenant(app.get().database(), "warn@example.com");
  header_list h{{"Authorization", "Bearer " + owner.key}, {"Content-Type", "application/json"}};
  const std::string id(
      connect_instance(app.port(), owner.key, {phone_a, waba_a, meta_token, app_secret}).at("id").as_string());
  auto r = http_request("127.0.0.1", app.port(), "POST", "/v1/instances/" + id + "/messages", h, text_send);
  BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
  auto w = json::parse(r.body).at("warnings").as_array();
  BOOST_REQUIRE_EQUAL(w.size(), 1u);
  BOOST_TEST(w[0].at("code").as_string() == "window_closed");
  BOOST_TEST(w[0].at("meta_code").to_number<std::int64_t>() == 131047);
}

// Issue 19's per-instance window_policy over the setting (here warn): PATCHed, validated,
// audited, and applied by the send path from the cached row at once.
BOOST_AUTO_TEST_CASE(the_instance_window_policy_overrides_the_setting) {
  fake_meta meta{fake_config()};
  running_app app{[&](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.templates.window_policy = "warn";
  }};
  auto owner = make_tenant(app.get().database(), "policy@example.com");
  auto call = [&](const std::string& method, const std::string& target, const std::string& body = {}) {
    header_list h{{"Authorization", "Bearer " + owner.key}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return http_request("127.0.0.1", app.port(), method, target, h, body);
  };
  const auto made = connect_instance(app.port(), owner.key, {phone_a, waba_a, meta_token, app_secret});
  const auto base = "/v1/instances/" + std::string(made.at("id").as_string());
  BOOST_TEST(made.at("window_policy").as_string() == "auto");
  BOOST_TEST(made.at("window_policy_effective").as_string() == "warn");  // the setting's
  auto set = [&](const std::string& policy) {
    auto r = call("PATCH", base, R"({"window_policy":")" + policy + R"("})");
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return object_of(r);
  };
  auto warned = [&](const http_result& r) {
    const auto o = object_of(r);  // named: a pointer into a temporary would dangle
    const auto* w = o.if_contains("warnings");
    return w && w->as_array().size() == 1u && w->as_array()[0].at("code").as_string() == "window_closed";
  };

  // auto follows the setting: accepted with the warning.
  auto sent = call("POST", base + "/messages", text_send);
  BOOST_REQUIRE_MESSAGE(sent.status == 202u, sent.body);
  BOOST_TEST(warned(sent));

  // reject: 422 window_closed, and Meta's 131047 on the Graph route; nothing queued.
  auto o = set("reject");
  BOOST_TEST(o.at("window_policy").as_string() == "reject");
  BOOST_TEST(o.at("window_policy_effective").as_string() == "reject");
  auto refused = call("POST", base + "/messages", text_send);
  BOOST_TEST(refused.status == 422u, refused.body);
  BOOST_TEST(object_of(refused).at("code").as_string() == "window_closed");
  BOOST_TEST(object_of(refused).at("field").as_string() == "to");
  BOOST_TEST(object_of(refused).at("meta_code").to_number<std::int64_t>() == 131047);
  auto graph = call("POST", std::string("/graph/v23.0/") + phone_a + "/messages", text_send);
  BOOST_TEST(graph.status == 400u, graph.body);
  BOOST_TEST(graph_code(graph) == 131047);
  BOOST_TEST(call("GET", base).body.find(R"("window_policy":"reject")") != std::string::npos);

  // off: accepted, no warning.
  o = set("off");
  BOOST_TEST(o.at("window_policy_effective").as_string() == "off");
  sent = call("POST", base + "/messages", text_send);
  BOOST_REQUIRE_MESSAGE(sent.status == 202u, sent.body);
  BOOST_TEST(!object_of(sent).contains("warnings"));

  // Back to auto: the setting's warn again.
  o = set("auto");
  BOOST_TEST(o.at("window_policy").as_string() == "auto");
  BOOST_TEST(o.at("window_policy_effective").as_string() == "warn");
  sent = call("POST", base + "/messages", text_send);
  BOOST_REQUIRE_MESSAGE(sent.status == 202u, sent.body);
  BOOST_TEST(warned(sent));

  // Anything else is refused naming the field, and changes nothing.
  for (const char* bad : {R"({"window_policy":"sometimes"})", R"({"window_policy":"REJECT"})", R"({"window_policy":1})",
                          R"({"window_policy":null})"}) {
    auto r = call("PATCH", base, bad);
    BOOST_TEST(r.status == 422u, bad);
    BOOST_TEST(r.header("content-type") == "application/problem+json");
    BOOST_TEST(object_of(r).at("field").as_string() == "window_policy", bad);
  }
  BOOST_TEST(object_of(call("GET", base)).at("window_policy").as_string() == "auto");

  // Audited like the instance's other changes: the field named.
  const auto audited = db_scalar(app.get().database(),
                                 "SELECT COUNT(*) FROM audit_log WHERE action = 'instance_updated' "
                                 "AND detail LIKE '%fields=window_policy%'");
  BOOST_TEST(audited == 3);  // reject, off, auto; the refused ones changed nothing
}

BOOST_FIXTURE_TEST_CASE(the_graph_surface_an_sdk_reads_in_metas_shapes, templates_fixture) {
  const std::string g = "/graph/v23.0/";
  // Its phone number, with fields.
  auto number = call("GET", g + phone_a + "?fields=id,display_phone_number,verified_name,quality_rating,throughput");
  BOOST_REQUIRE_MESSAGE(number.status == 200u, number.body);
  BOOST_TEST(object_of(number).at("id").as_string() == phone_a);
  BOOST_TEST(object_of(number).at("verified_name").as_string() == "Lucky Shrub");
  // The WABA's numbers.
  auto numbers = call("GET", g + waba_a + "/phone_numbers");
  BOOST_REQUIRE_MESSAGE(numbers.status == 200u, numbers.body);
  auto data = object_of(numbers).at("data").as_array();
  BOOST_REQUIRE_EQUAL(data.size(), 1u);
  BOOST_TEST(data[0].at("id").as_string() == phone_a);
  // Templates: list (from the copy), create, read, edit, delete.
  sync();
  auto list = call("GET", g + waba_a + "/message_templates?limit=3");
  BOOST_REQUIRE_MESSAGE(list.status == 200u, list.body);
  auto lo = object_of(list);
  BOOST_TEST(lo.at("data").as_array().size() == 3u);
  BOOST_TEST(lo.at("paging").at("cursors").at("after").is_string());
  auto created = call(
      "POST", g + waba_a + "/message_templates",
      R"({"name":"sdk_made","language":"en_US","category":"UTILITY","components":[{"type":"BODY","text":"Made by an SDK"}]})");
  BOOST_REQUIRE_MESSAGE(created.status == 200u, created.body);
  const std::string id(object_of(created).at("id").as_string());
  BOOST_TEST(object_of(created).at("status").as_string() == "PENDING");
  auto read = call("GET", g + id);
  BOOST_REQUIRE_MESSAGE(read.status == 200u, read.body);
  BOOST_TEST(object_of(read).at("name").as_string() == "sdk_made");
  auto edited = call("POST", g + id, R"({"components":[{"type":"BODY","text":"Edited by an SDK"}]})");
  BOOST_REQUIRE_MESSAGE(edited.status == 200u, edited.body);
  BOOST_TEST(object_of(edited).at("success").as_bool());
  auto dup = call(
      "POST", g + waba_a + "/message_templates",
      R"({"name":"sdk_made","language":"en_US","category":"UTILITY","components":[{"type":"BODY","text":"Again"}]})");
  BOOST_TEST(dup.status == 400u);
  BOOST_TEST(graph_code(dup) == 100);  // Meta's own error, passed through
  auto deleted = call("DELETE", g + waba_a + "/message_templates?name=sdk_made");
  BOOST_REQUIRE_MESSAGE(deleted.status == 200u, deleted.body);
  BOOST_TEST(call("GET", g + id).status == 400u);  // gone: "does not exist"
  // Another tenant sees none of it: Meta's "object does not exist".
  auto stranger = make_tenant(app.get().database(), "stranger@example.com");
  for (const auto& target : {g + waba_a + "/phone_numbers", g + waba_a + "/message_templates"}) {
    BOOST_TEST_CONTEXT(target) {
      auto r = call("GET", target, {}, stranger.key);
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(graph_code(r) == 100);
      BOOST_TEST(object_of(r).at("error").at("error_subcode").to_number<std::int64_t>() == 33);
    }
  }
  auto foreign_number = call("GET", g + phone_a, {}, stranger.key);
  BOOST_TEST(foreign_number.status == 400u);
  BOOST_TEST(graph_code(foreign_number) == 100);
  BOOST_TEST(foreign_number.body.find("Lucky Shrub") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
