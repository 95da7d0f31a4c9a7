// templates::checks: a template send against the template's components as Meta (and the fake
// Graph API) judge it, the verdicts for unknown and unapproved templates, the 24-hour window on
// a manual clock and the window policy; templates::updates: Meta's template webhooks read into
// changes of the copy.
#include "support/manual_clock.hpp"

#include <enfinito/config/settings.hpp>
#include <enfinito/templates/checks.hpp>
#include <enfinito/templates/updates.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace enfinito;
namespace json = boost::json;
using templates::check_params;
using templates::check_template;
using templates::definition;

namespace {

definition make(std::string_view components, std::string status = "APPROVED", std::string format = "POSITIONAL") {
  definition d;
  d.name = "t";
  d.language = "en_US";
  d.status = std::move(status);
  d.parameter_format = std::move(format);
  d.components = json::parse(components).as_array();
  return d;
}

json::object sent(std::string_view components) {
  return json::object{
      {"name", "t"}, {"language", json::object{{"code", "en_US"}}}, {"components", json::parse(components)}};
}

// Shaped like the fake Graph API's seeded order_shipped: document header, two body
// placeholders, a URL button with a placeholder and a quick reply.
constexpr std::string_view shipped = R"([
  {"type":"HEADER","format":"DOCUMENT"},
  {"type":"BODY","text":"Hi {{1}}, order {{2}} has shipped."},
  {"type":"BUTTONS","buttons":[{"type":"URL","text":"Track","url":"https://example.com/track/{{1}}"},
                               {"type":"QUICK_REPLY","text":"Stop updates"}]}])";

constexpr std::string_view shipped_ok = R"([
  {"type":"header","parameters":[{"type":"document","document":{"link":"https://x.test/a.pdf"}}]},
  {"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},
  {"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"abc"}]}])";

}  // namespace

BOOST_AUTO_TEST_SUITE(templates_checks)

BOOST_AUTO_TEST_CASE(placeholders_are_distinct_and_in_order) {
  using v = std::vector<std::string>;
  BOOST_TEST(templates::placeholders("Hi {{1}}, {{2}} and {{1}} again") == (v{"1", "2"}));
  BOOST_TEST(templates::placeholders("Thanks {{ customer_name }}, {{order_number}}") ==
             (v{"customer_name", "order_number"}));
  BOOST_TEST(templates::placeholders("no params, {{ unclosed").empty());
}

BOOST_AUTO_TEST_CASE(matching_parameters_pass) {
  BOOST_TEST(!check_params(make(shipped), sent(shipped_ok)));
  // hello_world: a TEXT header without placeholders and a plain body take nothing.
  const auto hello =
      make(R"([{"type":"HEADER","format":"TEXT","text":"Hello World"},{"type":"BODY","text":"Welcome"}])");
  BOOST_TEST(!check_params(hello, json::object{{"name", "t"}}));
}

BOOST_AUTO_TEST_CASE(counts_that_differ_are_132000_naming_the_component) {
  struct row {
    const char* what;
    const char* components;
    const char* field;
  } rows[] = {
      {"body short",
       R"([{"type":"header","parameters":[{"type":"document","document":{"id":"1"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"a"}]}])",
       "template.components[1].parameters"},
      {"header missing",
       R"([{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"a"}]}])",
       "template.components"},
      {"url button missing",
       R"([{"type":"header","parameters":[{"type":"document","document":{"id":"1"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]}])",
       "template.components"},
      {"button index beyond",
       R"([{"type":"header","parameters":[{"type":"document","document":{"id":"1"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"a"}]},{"type":"button","sub_type":"quick_reply","index":"5","parameters":[]}])",
       "template.components[3].index"},
      {"button of another type",
       R"([{"type":"header","parameters":[{"type":"document","document":{"id":"1"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},{"type":"button","sub_type":"quick_reply","index":"0","parameters":[]}])",
       "template.components[2].sub_type"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.what) {
      auto p = check_params(make(shipped), sent(r.components));
      BOOST_REQUIRE(p.has_value());
      BOOST_TEST(p->meta_code == 132000);
      BOOST_TEST(p->code == "template_params_mismatch");
      BOOST_TEST(p->field == r.field);
    }
  }
  // A quick reply takes at most one payload: none passes, two do not.
  BOOST_TEST(!check_params(
      make(shipped),
      sent(
          R"([{"type":"header","parameters":[{"type":"document","document":{"id":"1"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"a"}]},{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"x"}]}])")));
}

BOOST_AUTO_TEST_CASE(a_header_parameter_of_another_kind_is_132012_naming_its_type) {
  // order_shipped's header is a DOCUMENT: an image (or a text) in its place is Meta's 132012.
  auto image = check_params(
      make(shipped),
      sent(
          R"([{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.test/a.png"}}]},{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"a"}]}])"));
  BOOST_REQUIRE(image.has_value());
  BOOST_TEST(image->meta_code == 132012);
  BOOST_TEST(image->code == "template_param_format");
  BOOST_TEST(image->field == "template.components[0].parameters[0].type");
  BOOST_TEST(image->detail.find("document") != std::string::npos);
  // The header found second in the sent components is named by its own index.
  auto text = check_params(
      make(shipped),
      sent(
          R"([{"type":"body","parameters":[{"type":"text","text":"Pat"},{"type":"text","text":"#1"}]},{"type":"header","parameters":[{"type":"text","text":"x"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"a"}]}])"));
  BOOST_REQUIRE(text.has_value());
  BOOST_TEST(text->meta_code == 132012);
  BOOST_TEST(text->field == "template.components[1].parameters[0].type");

  // A TEXT header with a placeholder refuses a media kind, takes a text one.
  const auto greeting =
      make(R"([{"type":"HEADER","format":"TEXT","text":"Hi {{1}}"},{"type":"BODY","text":"Welcome"}])");
  BOOST_TEST(!check_params(greeting, sent(R"([{"type":"header","parameters":[{"type":"text","text":"Pat"}]}])")));
  auto video =
      check_params(greeting, sent(R"([{"type":"header","parameters":[{"type":"video","video":{"id":"1"}}]}])"));
  BOOST_REQUIRE(video.has_value());
  BOOST_TEST(video->meta_code == 132012);

  // The rule itself, as broadcasts call it with their own field name; case-insensitive like Meta's formats.
  using templates::check_header_kind;
  BOOST_TEST(!check_header_kind(make(shipped), "DOCUMENT", "header.type"));
  auto b = check_header_kind(make(shipped), "image", "header.type");
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->field == "header.type");
  BOOST_TEST(b->meta_code == 132012);
  const auto located = make(R"([{"type":"HEADER","format":"LOCATION"},{"type":"BODY","text":"Here"}])");
  BOOST_TEST(!check_header_kind(located, "location", "f"));
  BOOST_TEST(check_header_kind(located, "text", "f").has_value());
  // No header, or components not known yet: nothing to hold the kind against.
  BOOST_TEST(!check_header_kind(make(R"([{"type":"BODY","text":"Welcome"}])"), "image", "f"));
  definition unknown;
  BOOST_TEST(!check_header_kind(unknown, "image", "f"));
}

BOOST_AUTO_TEST_CASE(named_parameters_must_name_the_templates_placeholders) {
  const auto named =
      make(R"([{"type":"BODY","text":"Thanks {{customer_name}}, order {{order_number}} is confirmed."}])", "APPROVED",
           "NAMED");
  BOOST_TEST(!check_params(
      named,
      sent(
          R"([{"type":"body","parameters":[{"type":"text","parameter_name":"customer_name","text":"Pat"},{"type":"text","parameter_name":"order_number","text":"#1"}]}])")));
  auto wrong = check_params(
      named,
      sent(
          R"([{"type":"body","parameters":[{"type":"text","parameter_name":"customer","text":"Pat"},{"type":"text","parameter_name":"order_number","text":"#1"}]}])"));
  BOOST_REQUIRE(wrong.has_value());
  BOOST_TEST(wrong->meta_code == 132012);
  BOOST_TEST(wrong->field == "template.components[0].parameters[0].parameter_name");
  auto count = check_params(
      named, sent(R"([{"type":"body","parameters":[{"type":"text","parameter_name":"customer_name","text":"Pat"}]}])"));
  BOOST_REQUIRE(count.has_value());
  BOOST_TEST(count->meta_code == 132000);
}

BOOST_AUTO_TEST_CASE(unknown_and_unapproved_templates_are_132001_once_the_copy_was_synced) {
  const auto body = sent("[]");
  BOOST_TEST(!check_template(nullptr, false, body));  // never synced: the copy proves nothing
  auto unknown = check_template(nullptr, true, body);
  BOOST_REQUIRE(unknown.has_value());
  BOOST_TEST(unknown->meta_code == 132001);
  BOOST_TEST(unknown->code == "template_unknown");
  BOOST_TEST(unknown->field == "template.name");
  for (const char* status : {"PENDING", "REJECTED", "PAUSED", "DISABLED"}) {
    BOOST_TEST_CONTEXT(status) {
      const auto t = make(R"([{"type":"BODY","text":"Hi"}])", status);
      auto p = check_template(&t, true, body);
      BOOST_REQUIRE(p.has_value());
      BOOST_TEST(p->meta_code == 132001);
      BOOST_TEST(p->code == "template_not_approved");
    }
  }
  const auto approved = make(R"([{"type":"BODY","text":"Hi"}])");
  BOOST_TEST(!check_template(&approved, true, body));
  // Known from a webhook only (no components yet): Meta judges the parameters.
  definition bare;
  bare.status = "APPROVED";
  BOOST_TEST(!check_template(&bare, true, sent(R"([{"type":"body","parameters":[{"type":"text","text":"x"}]}])")));
}

BOOST_AUTO_TEST_CASE(the_window_opens_with_a_message_and_closes_24_hours_later) {
  test::manual_clock clock;
  BOOST_TEST(!templates::window_at(std::nullopt, clock.now()).open);  // never wrote
  const auto wrote = clock.now();
  auto w = templates::window_at(wrote, clock.now());
  BOOST_TEST(w.open);
  BOOST_TEST(*w.closes_at == wrote + templates::window_ms);
  clock.advance(std::chrono::hours(24) - std::chrono::milliseconds(1));
  BOOST_TEST(templates::window_at(wrote, clock.now()).open);
  clock.advance(std::chrono::milliseconds(1));
  BOOST_TEST(!templates::window_at(wrote, clock.now()).open);  // exactly 24 h: closed
  // A newer message opens it again.
  BOOST_TEST(templates::window_at(clock.now(), clock.now()).open);
}

BOOST_AUTO_TEST_CASE(policy_auto_warns_until_webhooks_arrived_for_a_day) {
  using templates::effective_policy;
  using templates::window_policy;
  test::manual_clock clock;
  const auto a = window_policy::automatic;
  BOOST_TEST((effective_policy(a, std::nullopt, clock.now()) == window_policy::warn));
  const auto since = clock.now();
  clock.advance(std::chrono::hours(23));
  BOOST_TEST((effective_policy(a, since, clock.now()) == window_policy::warn));
  clock.advance(std::chrono::hours(1));
  BOOST_TEST((effective_policy(a, since, clock.now()) == window_policy::reject));
  for (auto p : {window_policy::reject, window_policy::warn, window_policy::off})
    BOOST_TEST((effective_policy(p, std::nullopt, clock.now()) == p));
  BOOST_TEST((templates::parse_window_policy("auto") == window_policy::automatic));
  BOOST_TEST(!templates::parse_window_policy("sometimes"));
  BOOST_TEST(templates::window_closed().meta_code == 131047);
  BOOST_TEST(templates::window_closed().field == "to");
}

BOOST_AUTO_TEST_CASE(an_instance_policy_overrides_the_setting_and_its_auto_follows_it) {
  using templates::instance_policy;
  using templates::window_policy;
  test::manual_clock clock;
  const auto a = window_policy::automatic;
  // The instance's own reject, warn or off wins over any setting, webhooks or not.
  for (auto own : {window_policy::reject, window_policy::warn, window_policy::off})
    for (auto setting : {a, window_policy::reject, window_policy::warn, window_policy::off}) {
      BOOST_TEST((instance_policy(own, setting, std::nullopt, clock.now()) == own));
      BOOST_TEST((instance_policy(own, setting, clock.now() - 48ll * 3600 * 1000, clock.now()) == own));
    }
  // auto follows the setting when it names a policy...
  for (auto setting : {window_policy::reject, window_policy::warn, window_policy::off})
    BOOST_TEST((instance_policy(a, setting, std::nullopt, clock.now()) == setting));
  // ...and the setting's auto rule otherwise: warn until webhooks arrived for 24 h, then reject.
  BOOST_TEST((instance_policy(a, a, std::nullopt, clock.now()) == window_policy::warn));
  const auto since = clock.now();
  clock.advance(std::chrono::hours(24) - std::chrono::milliseconds(1));
  BOOST_TEST((instance_policy(a, a, since, clock.now()) == window_policy::warn));
  clock.advance(std::chrono::milliseconds(1));
  BOOST_TEST((instance_policy(a, a, since, clock.now()) == window_policy::reject));
  // Never `automatic`: the instance view's window_policy_effective is one of the three.
  BOOST_TEST(templates::to_string(instance_policy(a, a, since, clock.now())) == "reject");
}

BOOST_AUTO_TEST_CASE(the_settings_take_the_policies_and_a_bounded_sync_interval) {
  const auto s = config::parse("[templates]\nwindow_policy = \"reject\"\nsync_interval_ms = 600000\n");
  BOOST_TEST(s.templates.window_policy == "reject");
  BOOST_TEST(s.templates.sync_interval.count() == 600000);
  BOOST_TEST(config::parse("").templates.window_policy == "auto");
  BOOST_CHECK_THROW(config::parse("[templates]\nwindow_policy = \"sometimes\"\n"), config::config_error);
  BOOST_CHECK_THROW(config::parse("[templates]\nsync_interval_ms = 10\n"), config::config_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(templates_updates)

BOOST_AUTO_TEST_CASE(meta_template_webhooks_become_changes_of_the_copy) {
  // The value of Meta's example (fixtures/webhook-template-status-approved.json).
  auto status = templates::read_update(
      "message_template_status_update",
      R"({"event":"APPROVED","message_template_id":1689556908129832,"message_template_name":"order_confirmation","message_template_language":"en-US","reason":"NONE","message_template_category":"UTILITY"})");
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(status->template_id == "1689556908129832");
  BOOST_TEST(status->name == "order_confirmation");
  BOOST_TEST(status->language == "en-US");
  BOOST_TEST(status->status == "APPROVED");
  BOOST_TEST(status->category == "UTILITY");
  auto reinstated =
      templates::read_update("message_template_status_update", R"({"event":"REINSTATED","message_template_id":"7"})");
  BOOST_REQUIRE(reinstated.has_value());
  BOOST_TEST(reinstated->status == "APPROVED");
  auto quality = templates::read_update(
      "message_template_quality_update",
      R"({"previous_quality_score":"GREEN","new_quality_score":"YELLOW","message_template_id":7,"message_template_name":"t","message_template_language":"en_US"})");
  BOOST_REQUIRE(quality.has_value());
  BOOST_TEST(quality->quality == "YELLOW");
  BOOST_TEST(quality->status.empty());
  auto category = templates::read_update(
      "template_category_update",
      R"({"message_template_id":7,"message_template_name":"t","message_template_language":"en_US","previous_category":"UTILITY","new_category":"MARKETING"})");
  BOOST_REQUIRE(category.has_value());
  BOOST_TEST(category->category == "MARKETING");
  // Not a change of the copy: other fields, no id, unreadable values.
  BOOST_TEST(!templates::read_update("account_update", R"({"event":"APPROVED","message_template_id":7})"));
  BOOST_TEST(!templates::read_update("message_template_status_update", R"({"event":"APPROVED"})"));
  BOOST_TEST(!templates::read_update("message_template_status_update", "not json"));
}

BOOST_AUTO_TEST_SUITE_END()
