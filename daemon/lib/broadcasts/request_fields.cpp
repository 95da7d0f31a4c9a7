// broadcasts::read_csv_query, read_json_fields and finish_fields: a create request's fields
// checked (broadcasts/request_fields.hpp).
#include <enfinito/broadcasts/request_fields.hpp>

#include <enfinito/outbound/schedule_rules.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::broadcasts {
namespace {

namespace json = boost::json;

// A time member: unix milliseconds.
std::optional<core::field_refusal> read_time(const json::value* v, const char* field, std::int64_t& out) {
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_int64() || v->as_int64() <= 0) return core::field_refusal{field, "unix time in milliseconds"};
  out = v->as_int64();
  return std::nullopt;
}

// A time query parameter: unix milliseconds, 1 to 15 digits.
std::optional<core::field_refusal> read_time_param(const std::optional<std::string>& q, const char* field,
                                                   std::int64_t& out) {
  if (!q) return std::nullopt;
  if (q->empty() || q->size() > 15 ||
      !std::all_of(q->begin(), q->end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return core::field_refusal{field, "unix time in milliseconds"};
  out = std::stoll(*q);
  return std::nullopt;
}

std::optional<core::field_refusal> check_text(std::string_view v, const char* field, std::size_t max, bool required) {
  if (required && v.empty()) return core::field_refusal{field, "required", "missing_field"};
  if (v.size() > max) return core::field_refusal{field, "at most " + std::to_string(max) + " bytes"};
  for (unsigned char ch : v)
    if (ch < 0x20) return core::field_refusal{field, "no control characters"};
  return std::nullopt;
}

}  // namespace

std::optional<core::field_refusal> read_csv_query(const query_fn& query, create_request& rq, given_times& t) {
  rq.tpl.name = query("template").value_or("");
  rq.tpl.language = query("language").value_or("");
  rq.name = query("name").value_or("");
  if (auto r = read_time_param(query("send_at"), "send_at", t.send_at)) return r;
  if (auto r = read_time_param(query("expires_at"), "expires_at", t.expires_at)) return r;
  const auto skip = query("skip_invalid").value_or("false");
  if (skip != "true" && skip != "false") return core::field_refusal{"skip_invalid", "true or false"};
  rq.skip_invalid = skip == "true";
  return std::nullopt;
}

std::optional<core::field_refusal> read_json_fields(json::object& o, bool recipients_split, create_request& rq,
                                                    given_times& t) {
  for (const auto& [k, v] : o)
    if (k != "template" && k != "recipients" && k != "name" && k != "send_at" && k != "expires_at" &&
        k != "skip_invalid")
      return core::field_refusal{std::string(k), "unknown field"};
  const auto* tpl = o.if_contains("template");
  if (!tpl || !tpl->is_object()) return core::field_refusal{"template", "{name, language}", "missing_field"};
  const auto* tn = tpl->as_object().if_contains("name");
  const auto* tl = tpl->as_object().if_contains("language");
  if (!tn || !tn->is_string()) return core::field_refusal{"template.name", "a string", "missing_field"};
  if (!tl || !tl->is_string()) return core::field_refusal{"template.language", "a string, e.g. en_US", "missing_field"};
  rq.tpl.name = std::string(tn->as_string());
  rq.tpl.language = std::string(tl->as_string());
  if (const auto* n = o.if_contains("name")) {
    if (!n->is_string()) return core::field_refusal{"name", "a string"};
    rq.name = std::string(n->as_string());
  }
  if (auto r = read_time(o.if_contains("send_at"), "send_at", t.send_at)) return r;
  if (auto r = read_time(o.if_contains("expires_at"), "expires_at", t.expires_at)) return r;
  if (const auto* sk = o.if_contains("skip_invalid")) {
    if (!sk->is_bool()) return core::field_refusal{"skip_invalid", "true or false"};
    rq.skip_invalid = sk->as_bool();
  }
  auto* r = o.if_contains("recipients");
  if (!r) return core::field_refusal{"recipients", "an array of {to, parameters}", "missing_field"};
  if (!recipients_split) rq.json_recipients = std::move(*r);
  return std::nullopt;
}

std::optional<core::field_refusal> finish_fields(create_request& rq, const given_times& t, std::int64_t now) {
  if (auto r = check_text(rq.tpl.name, "template.name", max_template_name_bytes, true)) return r;
  if (auto r = check_text(rq.tpl.language, "template.language", max_language_bytes, true)) return r;
  if (auto r = check_text(rq.name, "name", max_name_bytes, false)) return r;
  if (auto bad = outbound::check_schedule(now, t.send_at, t.expires_at))
    return core::field_refusal{bad->field, bad->detail};
  if (t.send_at > 0) rq.send_at = t.send_at;
  if (t.expires_at > 0) rq.expires_at = t.expires_at;
  return std::nullopt;
}

}  // namespace enfinito::broadcasts
