// hooks::read_endpoint_change, endpoint_json, delivery_json: a webhook endpoint's fields as
// the API reads and shows them (hooks/endpoint_fields.hpp).
#include <enfinito/hooks/endpoint_fields.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::hooks {
namespace {

namespace json = boost::json;

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }
json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

}  // namespace

bool event_type_like(std::string_view t) {
  return !t.empty() && t.size() <= 64 && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

std::optional<field_refusal> read_endpoint_change(const json::value& body, bool create, endpoint_change& in) {
  if (!body.is_object()) return field_refusal{"", "the body must be a JSON object", "invalid_body"};
  for (const auto& [k, v] : body.as_object()) {
    if (k == "url") {
      if (!v.is_string()) return field_refusal{"url", "must be a string"};
      in.url = std::string(v.as_string());
    } else if (k == "event_types") {
      if (!v.is_array() || v.as_array().size() > max_event_types)
        return field_refusal{"event_types", "an array of up to 50 event types (empty: every type)"};
      json::array clean;
      for (const auto& t : v.as_array()) {
        if (!t.is_string() || !event_type_like(t.as_string()))
          return field_refusal{"event_types", "event types look like message.received (a-z, 0-9, _ and .)"};
        if (std::find(clean.begin(), clean.end(), t) == clean.end()) clean.push_back(t);
      }
      in.event_types = json::serialize(clean);
    } else if (k == "format") {
      if (!v.is_string() || (v.as_string() != "enfinito" && v.as_string() != "meta"))
        return field_refusal{"format", "enfinito (event JSON, Standard Webhooks) or meta (Meta's payload)"};
      in.format = std::string(v.as_string());
    } else if (k == "state") {
      if (create) return field_refusal{"state", "set by PATCH only"};
      if (!v.is_string() || (v.as_string() != "active" && v.as_string() != "paused"))
        return field_refusal{"state", "active or paused"};
      in.state = std::string(v.as_string());
    } else {
      return field_refusal{std::string(k), "unknown field", "unknown_field"};
    }
  }
  if (create && !in.url) return field_refusal{"url", "required"};
  return std::nullopt;
}

json::object endpoint_json(const store::hooks::endpoint& e) {
  json::object o;
  o["id"] = e.id;
  o["instance_id"] = e.instance_id;
  o["url"] = e.url;
  boost::system::error_code ec;
  auto types = json::parse(e.event_types, ec);
  o["event_types"] = ec ? json::value(json::array{}) : std::move(types);
  o["format"] = e.format;
  o["state"] = e.state;
  o["paused_reason"] = text_or_null(e.paused_reason);
  o["failure_count"] = e.failure_count;
  o["failing_since"] = opt(e.failing_since);
  o["created_at"] = e.created_at;
  o["updated_at"] = e.updated_at;
  return o;
}

json::object delivery_json(const store::hooks::delivery& d) {
  json::object o;
  o["id"] = d.id;
  o["event_id"] = d.event_id;
  o["event_type"] = d.event_type;
  o["attempts"] = d.attempts;
  o["state"] = d.delivered_at ? "delivered" : (d.next_attempt_at ? "pending" : "failed");
  o["next_attempt_at"] = d.delivered_at ? json::value(nullptr) : opt(d.next_attempt_at);
  o["last_status"] = opt(d.last_status);
  o["last_error"] = text_or_null(d.last_error);
  o["last_attempt_at"] = opt(d.last_attempt_at);
  o["delivered_at"] = opt(d.delivered_at);
  o["created_at"] = d.created_at;
  return o;
}

json::object delivery_page_json(std::vector<store::hooks::delivery>& rows, std::size_t limit) {
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  json::array data;
  for (const auto& d : rows) data.push_back(delivery_json(d));
  json::object out;
  out["data"] = std::move(data);
  out["has_more"] = more;
  out["next_before"] = more ? json::value(rows.back().seq) : json::value(nullptr);
  return out;
}

}  // namespace enfinito::hooks
