// store::timeline: the rows behind GET /v1/messages/{id}/timeline (see timeline.hpp): a
// message's failed attempts, the events that name it, and their webhook deliveries.
#include <enfinito/store/error.hpp>
#include <enfinito/store/timeline.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

#include <algorithm>

namespace enfinito::store::timeline {
namespace {

constexpr column_list attempt_cols{
    "attempt, outcome, error_code, COALESCE(error_title, '') AS title, next_attempt_at, created_at"};

attempt read_attempt(const statement& s) {
  attempt a;
  a.attempt = s.int64(attempt_cols["attempt"]);
  a.outcome = s.text(attempt_cols["outcome"]);
  if (!s.is_null(attempt_cols["error_code"])) a.error_code = s.int64(attempt_cols["error_code"]);
  a.error_title = s.text(attempt_cols["title"]);
  if (!s.is_null(attempt_cols["next_attempt_at"])) a.next_attempt_at = s.int64(attempt_cols["next_attempt_at"]);
  a.created_at = s.int64(attempt_cols["created_at"]);
  return a;
}

constexpr column_list event_cols{"id, type, data, created_at"};

constexpr column_list delivery_cols{
    "d.id, d.endpoint_id, ep.url, d.event_id, d.event_type, d.attempts, d.last_status, "
    "COALESCE(d.last_error, '') AS error, d.last_attempt_at, d.delivered_at, d.next_attempt_at, d.created_at"};

delivery read_delivery(const statement& s) {
  delivery d;
  d.id = s.text(delivery_cols["id"]);
  d.endpoint_id = s.text(delivery_cols["endpoint_id"]);
  d.url = s.text(delivery_cols["url"]);
  d.event_id = s.int64(delivery_cols["event_id"]);
  d.event_type = s.text(delivery_cols["event_type"]);
  d.attempts = s.int64(delivery_cols["attempts"]);
  if (!s.is_null(delivery_cols["last_status"])) d.last_status = s.int64(delivery_cols["last_status"]);
  d.last_error = s.text(delivery_cols["error"]);
  if (!s.is_null(delivery_cols["last_attempt_at"])) d.last_attempt_at = s.int64(delivery_cols["last_attempt_at"]);
  if (!s.is_null(delivery_cols["delivered_at"])) d.delivered_at = s.int64(delivery_cols["delivered_at"]);
  if (!s.is_null(delivery_cols["next_attempt_at"])) d.next_attempt_at = s.int64(delivery_cols["next_attempt_at"]);
  d.created_at = s.int64(delivery_cols["created_at"]);
  return d;
}

}  // namespace

core::error_code attempts(connection& c, std::int64_t message_seq, std::vector<attempt>& out) {
  ENF_PREPARE(
      s, std::string("SELECT ") + attempt_cols.sql() + " FROM message_attempts WHERE message_seq = ?1 ORDER BY id");
  s->bind(1, message_seq);
  return read_all(*s, read_attempt, out);
}

core::error_code message_events(connection& c, std::string_view user_id, std::string_view instance_id,
                                std::string_view message_id, std::int64_t since_ms, std::vector<events::event>& out) {
  // The first event at or after the message's creation (events_age), then at most
  // max_event_scan of the user's events from there (events_by_user): bounded work.
  std::int64_t first = 0;
  {
    ENF_PREPARE(s, "SELECT id FROM events WHERE created_at >= ?1 ORDER BY created_at LIMIT 1");
    s->bind(1, since_ms);
    std::optional<std::int64_t> found;
    if (auto ec = read_value(*s, found)) return ec;
    if (!found) return {};
    first = *found;
  }
  ENF_PREPARE(s, std::string("SELECT ") + event_cols.sql() +
                     " FROM (SELECT id, instance_id, type, data, created_at "
                     "FROM events WHERE user_id = ?1 AND id >= ?2 ORDER BY id LIMIT ?3) "
                     "WHERE instance_id = ?4 AND instr(data, ?5) > 0 ORDER BY id");
  const std::string quoted = "\"" + std::string(message_id) + "\"";
  s->bind(1, user_id).bind(2, first).bind(3, max_event_scan).bind(4, instance_id).bind(5, quoted);
  core::error_code ec;
  while (s->step(ec)) {
    events::event e;
    e.id = s->int64(event_cols["id"]);
    e.user_id = std::string(user_id);
    e.instance_id = std::string(instance_id);
    e.type = s->text(event_cols["type"]);
    e.data = s->text(event_cols["data"]);
    e.created_at = s->int64(event_cols["created_at"]);
    out.push_back(std::move(e));
  }
  s->reset();
  return ec;
}

core::error_code deliveries(connection& c, std::string_view user_id, std::string_view instance_id,
                            const std::vector<std::int64_t>& event_ids, std::vector<delivery>& out) {
  // An 'enfinito' endpoint gets a delivery per event; a 'meta' one per Meta payload, keyed by
  // the payload's first event id (migration 7), so the event is looked up in its payload.
  ENF_PREPARE(
      s, std::string("SELECT ") + delivery_cols.sql() +
             " FROM webhook_endpoints ep JOIN webhook_deliveries d ON d.endpoint_id = ep.id "
             "WHERE ep.instance_id = ?3 AND ep.user_id = ?2 AND d.event_id = CASE WHEN ep.format = 'meta' THEN "
             "(SELECT mp.first_event_id FROM meta_payloads mp WHERE mp.instance_id = ?3 AND mp.first_event_id <= ?1 "
             "AND mp.last_event_id >= ?1 ORDER BY mp.first_event_id DESC LIMIT 1) ELSE ?1 END");
  for (const auto id : event_ids) {
    s->bind(1, id).bind(2, user_id).bind(3, instance_id);
    core::error_code ec;
    while (s->step(ec)) {
      const auto delivery_id = s->text_view(delivery_cols["id"]);
      if (std::any_of(out.begin(), out.end(), [&](const delivery& x) { return x.id == delivery_id; })) continue;
      out.push_back(read_delivery(*s));
    }
    s->reset();
    if (ec) return ec;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const delivery& a, const delivery& b) { return a.created_at < b.created_at; });
  return {};
}

}  // namespace enfinito::store::timeline
