// inbound::mapping: Meta's updates to rows, without a store or a socket: what each kind
// becomes, routing by number or WABA, misrouted updates, digests and the throughput upgrade.
#include <enfinito/inbound/mapping.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

inbound::identity ours() {
  return {"ins_mapping1", "usr_owner1", "800000000000001", "900000000000001", "+1 555-000-1111"};
}

const std::string our_number = "800000000000001";
const std::string our_waba = "900000000000001";

std::string notification(const std::string& entries) {
  return R"({"object":"whatsapp_business_account","entry":[)" + entries + "]}";
}

// One entry of `waba` with `changes`; `time` 0: none (Meta sends none with `messages`).
std::string entry(const std::string& waba, const std::string& changes, std::int64_t time = 0) {
  const auto at = time ? R"(,"time":)" + std::to_string(time) : std::string();
  return R"({"id":")" + waba + '"' + at + R"(,"changes":[)" + changes + "]}";
}

// A `messages` change of phone number `number` holding `fields` (messages, statuses, errors, contacts).
std::string messages_change(const std::string& number, const std::string& fields) {
  return R"({"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":")" +
         number + R"("},)" + fields + "}}";
}

std::string field_change(const std::string& field, const std::string& value) {
  return R"({"field":")" + field + R"(","value":)" + value + "}";
}

// Two messages (a text and an unknown type), a failed status with a value-level error, and a
// template update with an entry time.
std::string every_kind() {
  const auto messages =
      messages_change(our_number, R"("contacts":[{"profile":{"name":"Zo\u00eb"},"wa_id":"4915112345678"}],
   "messages":[
    {"from":"4915112345678","id":"wamid.in-1","timestamp":"1760000000","type":"text","text":{"body":"hallo"}},
    {"from":"4915112345678","id":"wamid.in-2","timestamp":"1760000001","type":"hologram","hologram":{"depth":3}}])");
  const auto statuses = messages_change(our_number, R"("statuses":[{"id":"wamid.out-1","status":"failed",
   "timestamp":"1760000002","recipient_id":"4915112345678","errors":[{"code":131047,"title":"Re-engagement message"}]}],
   "errors":[{"code":130429,"title":"Rate limit hit"}])");
  const auto tpl =
      field_change("message_template_status_update", R"({"event":"APPROVED","message_template_name":"order_update"})");
  return notification(entry(our_waba, messages + "," + statuses) + "," + entry(our_waba, tpl, 1760000003));
}

meta::notification parse(const std::string& raw) {
  auto n = meta::parse_notification(raw);
  BOOST_REQUIRE(n);
  return std::move(*n);
}

// A text to phone number `number`.
std::string one_message(const std::string& number, const std::string& wamid) {
  return notification(entry(
      our_waba, messages_change(number, R"("messages":[{"from":"4915112345678","id":")" + wamid +
                                            R"(","timestamp":"1760000000","type":"text","text":{"body":"hi"}}])")));
}

// A WABA-wide field of `waba`.
std::string waba_field(const std::string& waba, const std::string& field, const std::string& value) {
  return notification(entry(waba, field_change(field, value), 1760000100));
}

json::object data_of(const inbound::batch::event& e) { return json::parse(e.data).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(inbound_mapping)

BOOST_AUTO_TEST_CASE(every_kind_becomes_its_row) {
  auto n = parse(every_kind());
  const auto b = inbound::map_updates(n, ours());
  BOOST_TEST(b.owner.instance_id == "ins_mapping1");
  BOOST_TEST(b.owner.user_id == "usr_owner1");
  BOOST_TEST(b.misrouted == 0u);
  BOOST_TEST(b.throughput_level.empty());

  BOOST_REQUIRE(b.messages.size() == 2u);
  const auto& m = b.messages[0];
  BOOST_TEST(m.id.starts_with("msg_"));
  BOOST_TEST(m.id != b.messages[1].id);
  BOOST_TEST(m.wamid == "wamid.in-1");
  BOOST_TEST(m.peer == "4915112345678");
  BOOST_TEST(m.type == "text");
  BOOST_TEST(m.timestamp == 1760000000);
  BOOST_TEST(json::parse(m.body).at("text").at("body").as_string() == "hallo");
  BOOST_TEST(json::parse(m.contact).at("wa_id").as_string() == "4915112345678");
  BOOST_TEST(b.messages[1].type == "hologram");  // unknown types are kept, not dropped

  BOOST_REQUIRE(b.statuses.size() == 1u);
  const auto& st = b.statuses[0];
  BOOST_TEST(st.wamid == "wamid.out-1");
  BOOST_TEST(st.value == "failed");
  BOOST_TEST(st.recipient == "4915112345678");
  BOOST_TEST(st.timestamp == 1760000002);
  BOOST_TEST(st.error_code.value_or(0) == 131047);
  BOOST_TEST(st.error_title == "Re-engagement message");

  BOOST_REQUIRE(b.events.size() == 2u);
  const auto& error = b.events[0];
  BOOST_TEST(error.type == "meta.error");
  BOOST_TEST(error.digest.empty());  // two identical errors may be two events
  BOOST_TEST(data_of(error).at("instance_id").as_string() == "ins_mapping1");
  BOOST_TEST(data_of(error).at("code").as_int64() == 130429);
  BOOST_TEST(data_of(error).at("error").at("title").as_string() == "Rate limit hit");
  const auto& tpl = b.events[1];
  BOOST_TEST(tpl.type == "template.status");
  BOOST_TEST(!tpl.digest.empty());
  BOOST_TEST(data_of(tpl).at("waba_id").as_string() == "900000000000001");
  BOOST_TEST(data_of(tpl).at("field").as_string() == "message_template_status_update");
  BOOST_TEST(data_of(tpl).at("value").at("event").as_string() == "APPROVED");
}

BOOST_AUTO_TEST_CASE(another_numbers_updates_are_dropped_and_reported) {
  auto n = parse(one_message("800000000000002", "wamid.other"));
  const auto b = inbound::map_updates(n, ours());
  BOOST_TEST(b.messages.empty());
  BOOST_TEST(b.statuses.empty());
  BOOST_TEST(b.misrouted == 1u);
  BOOST_REQUIRE(b.events.size() == 1u);
  BOOST_TEST(b.events[0].type == "webhook.misrouted");
  BOOST_TEST(data_of(b.events[0]).at("dropped_updates").as_int64() == 1);
  BOOST_TEST(data_of(b.events[0]).at("instance_id").as_string() == "ins_mapping1");

  auto mine = parse(one_message("800000000000001", "wamid.mine"));
  const auto kept = inbound::map_updates(mine, ours());
  BOOST_TEST(kept.messages.size() == 1u);
  BOOST_TEST(kept.misrouted == 0u);
  BOOST_TEST(kept.events.empty());
}

BOOST_AUTO_TEST_CASE(waba_wide_fields_route_by_the_waba) {
  const auto value = R"({"event":"APPROVED","message_template_name":"x"})";
  auto mine = parse(waba_field("900000000000001", "message_template_status_update", value));
  const auto kept = inbound::map_updates(mine, ours());
  BOOST_REQUIRE(kept.events.size() == 1u);
  BOOST_TEST(kept.events[0].type == "template.status");

  auto other = parse(waba_field("900000000000002", "message_template_status_update", value));
  const auto dropped = inbound::map_updates(other, ours());
  BOOST_TEST(dropped.misrouted == 1u);
  BOOST_REQUIRE(dropped.events.size() == 1u);
  BOOST_TEST(dropped.events[0].type == "webhook.misrouted");
}

BOOST_AUTO_TEST_CASE(a_message_without_a_sender_number_keeps_the_user_id) {
  meta::notification n;
  meta::update u;
  u.kind = meta::update_kind::message;
  u.phone_number_id = "800000000000001";
  u.id = "wamid.bsuid";
  u.user_id = "US.42";
  u.type = "text";
  n.updates.push_back(u);
  const auto b = inbound::map_updates(n, ours());
  BOOST_REQUIRE(b.messages.size() == 1u);
  BOOST_TEST(b.messages[0].peer == "US.42");
}

BOOST_AUTO_TEST_CASE(field_event_types_are_stable_and_safe) {
  BOOST_TEST(inbound::field_event_type("message_template_status_update") == "template.status");
  BOOST_TEST(inbound::field_event_type("account_alerts") == "account.alert");
  BOOST_TEST(inbound::field_event_type("phone_number_name_update") == "phone_number.name");
  BOOST_TEST(inbound::field_event_type("flows_update") == "meta.flows_update");
  BOOST_TEST(inbound::field_event_type("Flows") == "meta.unknown");
  BOOST_TEST(inbound::field_event_type("a.b") == "meta.unknown");
  BOOST_TEST(inbound::field_event_type("") == "meta.unknown");
  BOOST_TEST(inbound::field_event_type(std::string(65, 'a')) == "meta.unknown");
  BOOST_TEST(inbound::field_event_type(std::string(64, 'a')) == "meta." + std::string(64, 'a'));
}

BOOST_AUTO_TEST_CASE(a_redelivery_has_the_same_digest_and_a_timeless_update_none) {
  meta::update u;
  u.field = "account_update";
  u.waba_id = "900000000000001";
  u.raw = R"({"event":"VERIFIED_ACCOUNT"})";
  BOOST_TEST(inbound::update_digest(u).empty());  // no entry time: cannot tell a redelivery
  u.entry_time = 1760000100;
  const auto first = inbound::update_digest(u);
  BOOST_TEST(first.size() == 64u);
  BOOST_TEST(inbound::update_digest(u) == first);
  auto later = u;
  later.entry_time += 1;
  BOOST_TEST(inbound::update_digest(later) != first);
  auto other = u;
  other.raw = R"({"event":"DISABLED_UPDATE"})";
  BOOST_TEST(inbound::update_digest(other) != first);
}

BOOST_AUTO_TEST_CASE(a_throughput_upgrade_of_this_number_raises_it) {
  const auto upgrade =
      R"({"display_phone_number":"15550001111","event":"THROUGHPUT_UPGRADE","current_limit":"TIER_UNLIMITED"})";
  auto n = parse(waba_field("900000000000001", "phone_number_quality_update", upgrade));
  const auto b = inbound::map_updates(n, ours());
  BOOST_TEST(b.throughput_level == "HIGH");
  BOOST_REQUIRE(b.events.size() == 1u);
  BOOST_TEST(b.events[0].type == "phone_number.quality");

  const auto elsewhere = R"({"display_phone_number":"15550002222","event":"THROUGHPUT_UPGRADE"})";
  auto other = parse(waba_field("900000000000001", "phone_number_quality_update", elsewhere));
  BOOST_TEST(inbound::map_updates(other, ours()).throughput_level.empty());

  const auto flagged = R"({"display_phone_number":"15550001111","event":"FLAGGED"})";
  auto quality = parse(waba_field("900000000000001", "phone_number_quality_update", flagged));
  BOOST_TEST(inbound::map_updates(quality, ours()).throughput_level.empty());

  auto unknown_number = ours();
  unknown_number.display_phone_number.clear();
  auto again = parse(waba_field("900000000000001", "phone_number_quality_update", upgrade));
  BOOST_TEST(inbound::map_updates(again, unknown_number).throughput_level.empty());
}

BOOST_AUTO_TEST_CASE(a_messaging_limit_change_of_this_number_sets_its_tier) {
  const auto up = R"({"display_phone_number":"15550001111","event":"UPGRADE","current_limit":"TIER_10K"})";
  auto n = parse(waba_field("900000000000001", "phone_number_quality_update", up));
  const auto b = inbound::map_updates(n, ours());
  BOOST_TEST(b.messaging_limit_tier == "TIER_10K");
  BOOST_TEST(b.messaging_limit_event == "UPGRADE");
  BOOST_TEST(b.throughput_level.empty());  // an UPGRADE of the limit is not one of throughput
  BOOST_REQUIRE(b.events.size() == 1u);
  BOOST_TEST(b.events[0].type == "phone_number.quality");

  // The throughput upgrade carries the limit too (it needs an unlimited one).
  const auto tp =
      R"({"display_phone_number":"15550001111","event":"THROUGHPUT_UPGRADE","current_limit":"TIER_UNLIMITED"})";
  auto t = parse(waba_field("900000000000001", "phone_number_quality_update", tp));
  BOOST_TEST(inbound::map_updates(t, ours()).messaging_limit_tier == "TIER_UNLIMITED");

  // Another number's, none, or not a tier name: nothing.
  for (const char* raw : {R"({"display_phone_number":"15550002222","event":"UPGRADE","current_limit":"TIER_10K"})",
                          R"({"display_phone_number":"15550001111","event":"FLAGGED"})",
                          R"({"display_phone_number":"15550001111","event":"UPGRADE","current_limit":"10K"})",
                          R"({"display_phone_number":"15550001111","event":"UPGRADE","current_limit":"TIER_1K<b>"})",
                          R"({"display_phone_number":"15550001111","event":"UPGRADE","current_limit":1000})"}) {
    auto o = parse(waba_field("900000000000001", "phone_number_quality_update", raw));
    BOOST_TEST(inbound::map_updates(o, ours()).messaging_limit_tier.empty(), raw);
  }
}

BOOST_AUTO_TEST_SUITE_END()
