// outbound::timeline: assembles a message's timeline from what the store holds about it
// (store/timeline.hpp), and pages the messages part of the personal-data export
// (outbound/timeline.hpp), and shows the timeline as the API does (timeline_json).
#include <enfinito/outbound/timeline.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/timeline.hpp>

#include <algorithm>
#include <optional>

namespace enfinito::outbound {
namespace {

json::value parsed_or_null(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

std::string error_words(const json::object& data) {
  const auto* e = data.if_contains("error");
  if (!e || !e->is_object()) return {};
  std::string out;
  if (const auto* t = e->as_object().if_contains("title"); t && t->is_string()) out = std::string(t->as_string());
  if (const auto* c = e->as_object().if_contains("code"); c && c->is_int64())
    out += " (" + std::to_string(c->as_int64()) + ")";
  return out;
}

// An event about the message as a timeline entry; nullopt for the first `message.accepted`
// (the api_request entry says it). Events carrying Meta's object (`meta`, `message`) came
// from a webhook; sent/failed/dead without one are the queue's answer from Meta.
std::optional<timeline_entry> event_entry(const store::events::event& e, bool& seen_accept) {
  auto v = parsed_or_null(e.data);
  json::object data = v.is_object() ? std::move(v.as_object()) : json::object{};
  const std::string status = e.type.starts_with("message.") ? e.type.substr(8) : e.type;
  timeline_entry out;
  out.at = e.created_at;
  if (e.type == "message.accepted") {
    if (!seen_accept) {
      seen_accept = true;
      return std::nullopt;
    }
    out.kind = "api_request";
    out.summary = "Queued again (POST /v1/messages/{id}/retry)";
    out.detail = std::move(data);
    return out;
  }
  if (const auto* raw = data.if_contains("meta"); raw && raw->is_object()) {
    out.kind = "status_webhook";
    out.summary = "Meta reported " + status;
    if (auto words = error_words(data); !words.empty()) out.summary += ": " + words;
    out.detail = raw->as_object();
    return out;
  }
  if (e.type == "message.received") {
    out.kind = "status_webhook";
    out.summary = "Meta delivered this message from the customer";
    out.detail = std::move(data);
    return out;
  }
  out.kind = "attempt";
  if (e.type == "message.sent") {
    const auto* w = data.if_contains("wamid");
    out.summary = "Meta accepted it" + (w && w->is_string() ? ": " + std::string(w->as_string()) : std::string());
  } else if (e.type == "message.failed" || e.type == "message.dead") {
    out.summary = std::string(e.type == "message.dead" ? "Given up" : "Meta refused it");
    if (auto words = error_words(data); !words.empty()) out.summary += ": " + words;
  } else {
    out.kind = "status_webhook";
    out.summary = "Status " + status;
  }
  out.detail = std::move(data);
  return out;
}

timeline_entry attempt_entry(const store::timeline::attempt& a) {
  timeline_entry out;
  out.at = a.created_at;
  out.kind = "attempt";
  const std::string what = a.error_title.empty() ? std::string("no answer from Meta") : a.error_title;
  const std::string code = a.error_code ? " (" + std::to_string(*a.error_code) + ")" : std::string();
  if (a.outcome == "retry")
    out.summary = "Attempt " + std::to_string(a.attempt) + " will be retried: " + what + code;
  else if (a.outcome == "failed")
    out.summary = "Attempt " + std::to_string(a.attempt) + " failed: " + what + code;
  else
    out.summary = "Attempt " + std::to_string(a.attempt) + " was the last: " + what + code;
  out.detail["attempt"] = a.attempt;
  out.detail["outcome"] = a.outcome;
  if (a.error_code)
    out.detail["error_code"] = *a.error_code;
  else
    out.detail["error_code"] = nullptr;
  out.detail["error_title"] = a.error_title;
  if (a.next_attempt_at) out.detail["next_attempt_at"] = *a.next_attempt_at;
  return out;
}

timeline_entry delivery_entry(const store::timeline::delivery& d) {
  timeline_entry out;
  out.at = d.created_at;
  out.kind = "hook_delivery";
  if (d.delivered_at)
    out.summary = "Delivered to the webhook " + d.endpoint_id;
  else if (d.next_attempt_at)
    out.summary = "Being delivered to the webhook " + d.endpoint_id;
  else
    out.summary = "Not delivered to the webhook " + d.endpoint_id;
  if (d.last_status)
    out.summary += " (HTTP " + std::to_string(*d.last_status) + ")";
  else if (!d.last_error.empty())
    out.summary += " (" + d.last_error + ")";
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); };
  out.detail = json::object{{"delivery_id", d.id},
                            {"webhook_id", d.endpoint_id},
                            {"url", d.url},
                            {"event_id", d.event_id},
                            {"event_type", d.event_type},
                            {"attempts", d.attempts},
                            {"last_status", opt(d.last_status)},
                            {"last_error", d.last_error.empty() ? json::value(nullptr) : json::value(d.last_error)},
                            {"last_attempt_at", opt(d.last_attempt_at)},
                            {"delivered_at", opt(d.delivered_at)},
                            {"next_attempt_at", opt(d.next_attempt_at)}};
  return out;
}

timeline_entry request_entry(const store::messages::message& m) {
  timeline_entry out;
  out.at = m.created_at;
  out.kind = "api_request";
  out.summary = std::string("Accepted by POST /v1/instances/{id}/messages") +
                (m.api_key_id ? " with API key " + *m.api_key_id : std::string(" from a signed-in session"));
  out.detail = json::object{{"api_key_id", m.api_key_id ? json::value(*m.api_key_id) : json::value(nullptr)},
                            {"to", m.peer},
                            {"type", m.type},
                            {"body", parsed_or_null(m.body)}};
  return out;
}

}  // namespace

// Everything stored about the message, oldest first (see store/timeline.hpp).
json::object timeline_json(std::vector<timeline_entry> entries) {
  json::array data;
  for (auto& e : entries)
    data.push_back(
        json::object{{"at", e.at}, {"kind", e.kind}, {"summary", e.summary}, {"detail", std::move(e.detail)}});
  return json::object{{"data", std::move(data)}};
}

core::error_code build_timeline(store::connection& c, const std::string& user_id, const store::messages::message& m,
                                std::vector<timeline_entry>& out) {
  std::vector<store::timeline::attempt> tries;
  std::vector<store::events::event> evs;
  std::vector<store::timeline::delivery> hooks;
  if (auto ec = store::timeline::attempts(c, m.seq, tries)) return ec;
  if (auto ec = store::timeline::message_events(c, user_id, m.instance_id, m.id, m.created_at - 1000, evs)) return ec;
  std::vector<std::int64_t> ids;
  for (const auto& e : evs) ids.push_back(e.id);
  if (auto ec = store::timeline::deliveries(c, user_id, m.instance_id, ids, hooks)) return ec;
  if (m.direction == "outbound") out.push_back(request_entry(m));
  for (const auto& a : tries) out.push_back(attempt_entry(a));
  bool seen_accept = false;
  for (const auto& e : evs)
    if (auto x = event_entry(e, seen_accept)) out.push_back(std::move(*x));
  for (const auto& d : hooks) out.push_back(delivery_entry(d));
  std::stable_sort(out.begin(), out.end(),
                   [](const timeline_entry& a, const timeline_entry& b) { return a.at < b.at; });
  return {};
}

// The messages part of GET /v1/me/export (P8); see timeline.hpp.
core::error_code export_messages_page(store::connection& c, const std::string& user_id, std::string& cursor,
                                      std::size_t limit, json::array& page, const message_view& view) {
  std::string inst;
  std::int64_t before = 0;
  if (const auto bar = cursor.find('|'); bar != std::string::npos) {
    inst = cursor.substr(0, bar);
    before = std::stoll(cursor.substr(bar + 1));
  }
  std::vector<store::instances::instance> next;
  auto first_after = [&](const std::string& after) -> core::error_code {
    next.clear();
    if (auto ec = store::instances::list(c, user_id, after, 1, next)) return ec;
    inst = next.empty() ? std::string() : next[0].id;
    before = 0;
    return {};
  };
  if (inst.empty())
    if (auto ec = first_after("")) return ec;
  std::vector<store::messages::message> rows;
  while (!inst.empty() && page.size() < limit) {
    store::messages::list_filter f;
    f.user_id = user_id;
    f.instance_id = inst;
    f.before_seq = before;
    f.limit = limit - page.size();
    rows.clear();
    if (auto ec = store::messages::list(c, f, rows)) return ec;
    for (const auto& m : rows) page.push_back(view(m));
    if (rows.size() < f.limit) {
      if (auto ec = first_after(inst)) return ec;  // this instance is done: the next one
    } else {
      before = rows.back().seq;
    }
  }
  cursor = inst.empty() ? std::string() : inst + "|" + std::to_string(before);
  return {};
}

}  // namespace enfinito::outbound
