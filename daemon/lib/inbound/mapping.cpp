// inbound::mapping: Meta's updates to the rows of one store write (see the header).
#include <enfinito/inbound/mapping.hpp>

#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/templates/updates.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <utility>

namespace enfinito::inbound {
namespace {

// The JSON object `head` with `key` appended holding `raw` (Meta's own bytes, not re-serialised).
std::string with_raw(const json::object& head, std::string_view key, std::string_view raw) {
  std::string s = json::serialize(head);
  s.pop_back();
  s += ",\"";
  s += key;
  s += "\":";
  s += raw.empty() ? std::string_view("null") : raw;
  s += '}';
  return s;
}

std::string other_field_data(const meta::update& u, std::string_view instance_id) {
  return with_raw(json::object{{"instance_id", instance_id}, {"waba_id", u.waba_id}, {"field", u.field}}, "value",
                  u.raw);
}

std::string error_data(const meta::update& u, std::string_view instance_id) {
  json::object d{{"instance_id", instance_id}, {"phone_number_id", u.phone_number_id}};
  if (u.error_code)
    d["code"] = *u.error_code;
  else
    d["code"] = nullptr;
  d["title"] = u.error_title;
  return with_raw(d, "error", u.raw);
}

std::string misrouted_data(std::string_view instance_id, std::size_t dropped) {
  return json::serialize(json::object{{"instance_id", instance_id},
                                      {"dropped_updates", dropped},
                                      {"reason", "phone number or WhatsApp Business Account is not this instance's"}});
}

// Route by the number for `messages` (and any field that names one), else by the WABA.
bool is_ours(const meta::update& u, const identity& who) {
  if (u.kind != meta::update_kind::other_field || !u.phone_number_id.empty())
    return u.phone_number_id == who.phone_number_id;
  return u.waba_id == who.waba_id;
}

store::inbound::message to_message(meta::update& u) {
  store::inbound::message m;
  m.id = "msg_" + crypto::time_ordered_token(16);  // index locality: see crypto/random.hpp
  m.wamid = std::move(u.id);
  m.peer = !u.from.empty() ? std::move(u.from) : u.user_id;
  m.type = std::move(u.type);
  m.timestamp = u.timestamp;
  m.body = std::move(u.raw);
  m.contact = std::move(u.contact);
  return m;
}

store::inbound::status to_status(meta::update& u) {
  store::inbound::status st;
  st.wamid = std::move(u.id);
  st.value = std::move(u.type);
  st.recipient = std::move(u.from);
  st.timestamp = u.timestamp;
  st.error_code = u.error_code;
  st.error_title = std::move(u.error_title);
  st.raw = std::move(u.raw);
  st.tagged_message = std::move(u.tagged_message);
  return st;
}

}  // namespace

std::string field_event_type(std::string_view field) {
  static constexpr std::pair<std::string_view, std::string_view> known[] = {
      {"message_template_status_update", "template.status"},
      {"message_template_quality_update", "template.quality"},
      {"message_template_components_update", "template.components"},
      {"template_category_update", "template.category"},
      {"account_update", "account.update"},
      {"account_alerts", "account.alert"},
      {"account_review_update", "account.review"},
      {"business_capability_update", "account.capability"},
      {"phone_number_quality_update", "phone_number.quality"},
      {"phone_number_name_update", "phone_number.name"},
  };
  for (const auto& [f, t] : known)
    if (f == field) return std::string(t);
  const bool plain_name = !field.empty() && field.size() <= 64 && std::all_of(field.begin(), field.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  return plain_name ? "meta." + std::string(field) : std::string("meta.unknown");
}

std::string update_digest(const meta::update& u) {
  if (u.entry_time == 0) return {};
  return crypto::sha256_hex(u.field + '\n' + std::to_string(u.entry_time) + '\n' + u.waba_id + '\n' + u.raw);
}

// Sent WABA-wide with event THROUGHPUT_UPGRADE, naming the number by its display number.
bool throughput_upgrade_for(const meta::update& u, const identity& who) {
  if (u.field != "phone_number_quality_update" || who.display_phone_number.empty()) return false;
  boost::system::error_code ec;
  auto v = json::parse(u.raw, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  const auto* event = o.if_contains("event");
  const auto* number = o.if_contains("display_phone_number");
  return event && event->is_string() && event->get_string() == "THROUGHPUT_UPGRADE" && number && number->is_string() &&
         meta::recipient_key(number->get_string()) == meta::recipient_key(who.display_phone_number);
}

limit_update messaging_limit_for(const meta::update& u, const identity& who) {
  limit_update out;
  if (u.field != "phone_number_quality_update" || who.display_phone_number.empty()) return out;
  boost::system::error_code ec;
  auto v = json::parse(u.raw, ec);
  if (ec || !v.is_object()) return out;
  const auto& o = v.get_object();
  const auto* number = o.if_contains("display_phone_number");
  const auto* limit = o.if_contains("current_limit");
  if (!number || !number->is_string() || !limit || !limit->is_string()) return out;
  if (meta::recipient_key(number->get_string()) != meta::recipient_key(who.display_phone_number)) return out;
  const std::string_view tier = limit->get_string();
  const bool tier_like = tier.size() > 5 && tier.size() <= 32 && tier.starts_with("TIER_") &&
                         std::all_of(tier.begin(), tier.end(), [](char ch) {
                           return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
                         });
  if (!tier_like) return out;
  out.tier = std::string(tier);
  const auto* event = o.if_contains("event");
  if (event && event->is_string() && event->get_string().size() <= 64) out.event = std::string(event->get_string());
  return out;
}

batch map_updates(meta::notification& n, const identity& who) {
  batch b;
  b.owner = {who.instance_id, who.user_id};
  for (auto& u : n.updates) {
    if (!is_ours(u, who)) {
      ++b.misrouted;
      continue;
    }
    switch (u.kind) {
      case meta::update_kind::message:
        b.messages.push_back(to_message(u));
        break;
      case meta::update_kind::status:
        b.statuses.push_back(to_status(u));
        break;
      case meta::update_kind::error:
        // No id and no time: two identical errors may well be two events. Not deduplicated.
        b.events.push_back({"meta.error", error_data(u, who.instance_id), {}});
        break;
      case meta::update_kind::other_field:
        if (throughput_upgrade_for(u, who)) b.throughput_level = "HIGH";
        if (auto limit = messaging_limit_for(u, who); !limit.tier.empty()) {
          b.messaging_limit_tier = std::move(limit.tier);
          b.messaging_limit_event = std::move(limit.event);
        }
        if (auto t = templates::read_update(u.field, u.raw)) b.template_updates.push_back(std::move(*t));
        b.events.push_back({field_event_type(u.field), other_field_data(u, who.instance_id), update_digest(u)});
        break;
    }
  }
  if (b.misrouted) b.events.push_back({"webhook.misrouted", misrouted_data(who.instance_id, b.misrouted), {}});
  return b;
}

}  // namespace enfinito::inbound
