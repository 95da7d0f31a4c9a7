// store::hooks: the SQL of customer webhooks out (endpoints, deliveries, Meta payloads).
#include <enfinito/store/hooks.hpp>

#include <enfinito/core/net.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include "store/columns.hpp"
#include "store/rows.hpp"

#include <boost/json.hpp>

namespace enfinito::store::hooks {
namespace {

constexpr column_list endpoint_columns{
    "id, instance_id, user_id, url, event_types, format, signing_secret, state, COALESCE(paused_reason, ''), "
    "failing_since, failure_count, created_at, updated_at"};

endpoint read_endpoint(const statement& s) {
  endpoint e;
  e.id = s.text(endpoint_columns["id"]);
  e.instance_id = s.text(endpoint_columns["instance_id"]);
  e.user_id = s.text(endpoint_columns["user_id"]);
  e.url = s.text(endpoint_columns["url"]);
  e.event_types = s.text(endpoint_columns["event_types"]);
  e.format = s.text(endpoint_columns["format"]);
  e.secret_blob = s.blob(endpoint_columns["signing_secret"]);
  e.state = s.text(endpoint_columns["state"]);
  e.paused_reason = s.text(endpoint_columns["COALESCE(paused_reason, '')"]);
  if (!s.is_null(endpoint_columns["failing_since"])) e.failing_since = s.int64(endpoint_columns["failing_since"]);
  e.failure_count = s.int64(endpoint_columns["failure_count"]);
  e.created_at = s.int64(endpoint_columns["created_at"]);
  e.updated_at = s.int64(endpoint_columns["updated_at"]);
  return e;
}

constexpr column_list delivery_columns{
    "id, endpoint_id, event_id, event_type, attempts, next_attempt_at, last_status, COALESCE(last_error, ''), "
    "last_attempt_at, delivered_at, created_at, rowid"};

delivery read_delivery(const statement& s) {
  delivery d;
  d.id = s.text(delivery_columns["id"]);
  d.endpoint_id = s.text(delivery_columns["endpoint_id"]);
  d.event_id = s.int64(delivery_columns["event_id"]);
  d.event_type = s.text(delivery_columns["event_type"]);
  d.attempts = s.int64(delivery_columns["attempts"]);
  if (!s.is_null(delivery_columns["next_attempt_at"])) d.next_attempt_at = s.int64(delivery_columns["next_attempt_at"]);
  if (!s.is_null(delivery_columns["last_status"])) d.last_status = s.int64(delivery_columns["last_status"]);
  d.last_error = s.text(delivery_columns["COALESCE(last_error, '')"]);
  if (!s.is_null(delivery_columns["last_attempt_at"])) d.last_attempt_at = s.int64(delivery_columns["last_attempt_at"]);
  if (!s.is_null(delivery_columns["delivered_at"])) d.delivered_at = s.int64(delivery_columns["delivered_at"]);
  d.created_at = s.int64(delivery_columns["created_at"]);
  d.seq = s.int64(delivery_columns["rowid"]);
  return d;
}

core::error_code misuse(const core::error_code& ec) { return ec ? ec : make_error_code(error::misuse); }

}  // namespace

core::error_code insert(connection& c, const endpoint& e) {
  mark(c, change::hook_endpoints);
  core::error_code ec;
  auto* s = c.prepare(
      "INSERT INTO webhook_endpoints(id, instance_id, user_id, url, event_types, format, "
      "signing_secret, state, paused_reason, failure_count, cursor, created_at, updated_at) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULLIF(?9, ''), 0, "
      "(SELECT COALESCE(MAX(id), 0) FROM events), ?10, ?10)",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, e.id).bind(2, e.instance_id).bind(3, e.user_id).bind(4, e.url).bind(5, e.event_types);
  s->bind(6, e.format).bind_blob(7, e.secret_blob).bind(8, e.state).bind(9, e.paused_reason).bind(10, e.created_at);
  return s->run();
}

core::error_code count_for_instance(connection& c, std::string_view instance_id, std::int64_t& out) {
  core::error_code ec;
  auto* s = c.prepare("SELECT COUNT(*) FROM webhook_endpoints WHERE instance_id = ?1", ec);
  if (!s) return misuse(ec);
  s->bind(1, instance_id);
  out = 0;
  return read_value(*s, out);
}

core::error_code get(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view id,
                     endpoint& out) {
  core::error_code ec;
  auto* s = c.prepare(std::string("SELECT ") + endpoint_columns.sql() +
                          " FROM webhook_endpoints WHERE id = ?1 AND user_id = ?2 AND instance_id = ?3",
                      ec);
  if (!s) return misuse(ec);
  s->bind(1, id).bind(2, user_id).bind(3, instance_id);
  return read_one(*s, read_endpoint, out);
}

core::error_code get_any(connection& c, std::string_view id, endpoint& out) {
  core::error_code ec;
  auto* s = c.prepare(std::string("SELECT ") + endpoint_columns.sql() + " FROM webhook_endpoints WHERE id = ?1", ec);
  if (!s) return misuse(ec);
  s->bind(1, id);
  return read_one(*s, read_endpoint, out);
}

core::error_code list(connection& c, std::string_view user_id, std::string_view instance_id,
                      std::vector<endpoint>& out) {
  core::error_code ec;
  auto* s = c.prepare(std::string("SELECT ") + endpoint_columns.sql() +
                          " FROM webhook_endpoints WHERE user_id = ?1 AND instance_id = ?2 ORDER BY created_at, id",
                      ec);
  if (!s) return misuse(ec);
  s->bind(1, user_id).bind(2, instance_id);
  return read_all(*s, read_endpoint, out);
}

core::error_code update(connection& c, const endpoint& e, std::int64_t now_ms) {
  mark(c, change::hook_endpoints);  // its state too: a resumed endpoint delivers now
  core::error_code ec;
  // Becoming active (a resume) starts a new failure run.
  auto* s = c.prepare(
      "UPDATE webhook_endpoints SET url = ?4, event_types = ?5, format = ?6, "
      "failure_count = CASE WHEN ?7 = 'active' AND state <> 'active' THEN 0 ELSE failure_count END, "
      "failing_since = CASE WHEN ?7 = 'active' AND state <> 'active' THEN NULL ELSE failing_since END, "
      "state = ?7, paused_reason = NULLIF(?8, ''), updated_at = ?9 "
      "WHERE id = ?1 AND user_id = ?2 AND instance_id = ?3",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, e.id).bind(2, e.user_id).bind(3, e.instance_id).bind(4, e.url).bind(5, e.event_types);
  s->bind(6, e.format).bind(7, e.state).bind(8, e.paused_reason).bind(9, now_ms);
  if (auto rc = s->run()) return rc;
  return c.changes() ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code set_secret(connection& c, std::string_view id, std::string_view blob, std::int64_t now_ms) {
  core::error_code ec;
  auto* s = c.prepare("UPDATE webhook_endpoints SET signing_secret = ?2, updated_at = ?3 WHERE id = ?1", ec);
  if (!s) return misuse(ec);
  s->bind(1, id).bind_blob(2, blob).bind(3, now_ms);
  if (auto rc = s->run()) return rc;
  return c.changes() ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code scan_secrets(connection& c, std::string_view after, std::size_t limit,
                              std::vector<sealed_secret>& out) {
  core::error_code ec;
  static constexpr column_list secret_cols{"id, signing_secret"};
  auto* s = c.prepare(
      std::string("SELECT ") + secret_cols.sql() + " FROM webhook_endpoints WHERE id > ?1 ORDER BY id LIMIT ?2", ec);
  if (!s) return misuse(ec);
  s->bind(1, after).bind(2, static_cast<std::int64_t>(limit));
  while (s->step(ec)) out.push_back({s->text(secret_cols["id"]), s->blob(secret_cols["signing_secret"])});
  s->reset();
  return ec;
}

core::error_code replace_secret(connection& c, std::string_view id, std::string_view old_blob,
                                std::string_view new_blob, bool& swapped) {
  core::error_code ec;
  auto* s = c.prepare("UPDATE webhook_endpoints SET signing_secret = ?3 WHERE id = ?1 AND signing_secret = ?2", ec);
  if (!s) return misuse(ec);
  s->bind(1, id).bind_blob(2, old_blob).bind_blob(3, new_blob);
  if (auto rc = s->run()) return rc;
  swapped = c.changes() > 0;
  return {};
}

core::error_code remove(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view id) {
  mark(c, change::hook_endpoints);
  core::error_code ec;
  auto* s = c.prepare("DELETE FROM webhook_endpoints WHERE id = ?1 AND user_id = ?2 AND instance_id = ?3", ec);
  if (!s) return misuse(ec);
  s->bind(1, id).bind(2, user_id).bind(3, instance_id);
  if (auto rc = s->run()) return rc;
  return c.changes() ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code list_deliveries(connection& c, std::string_view endpoint_id, std::int64_t before, std::size_t limit,
                                 std::vector<delivery>& out) {
  core::error_code ec;
  auto* s = c.prepare(std::string("SELECT ") + delivery_columns.sql() +
                          " FROM webhook_deliveries WHERE endpoint_id = ?1 AND (?2 = 0 OR rowid < ?2) "
                          "ORDER BY rowid DESC LIMIT ?3",
                      ec);
  if (!s) return misuse(ec);
  s->bind(1, endpoint_id).bind(2, before).bind(3, static_cast<std::int64_t>(limit));
  return read_all(*s, read_delivery, out);
}

core::error_code get_delivery(connection& c, std::string_view endpoint_id, std::string_view id, delivery& out) {
  core::error_code ec;
  auto* s = c.prepare(
      std::string("SELECT ") + delivery_columns.sql() + " FROM webhook_deliveries WHERE id = ?1 AND endpoint_id = ?2",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, id).bind(2, endpoint_id);
  return read_one(*s, read_delivery, out);
}

core::error_code redeliver(connection& c, std::string_view endpoint_id, std::string_view id, std::int64_t now_ms) {
  mark(c, change::hook_deliveries);
  core::error_code ec;
  auto* s = c.prepare(
      "UPDATE webhook_deliveries SET next_attempt_at = ?3, attempts = 0, delivered_at = NULL "
      "WHERE id = ?1 AND endpoint_id = ?2",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, id).bind(2, endpoint_id).bind(3, now_ms);
  if (auto rc = s->run()) return rc;
  return c.changes() ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code insert_test_delivery(connection& c, const endpoint& e, std::string_view delivery_id,
                                      std::string_view meta_body, std::int64_t now_ms) {
  mark(c, change::hook_deliveries);
  events::event ev;
  ev.user_id = e.user_id;
  ev.instance_id = e.instance_id;
  ev.type = std::string(test_event_type);
  json::object d;
  d["webhook_id"] = e.id;
  d["instance_id"] = e.instance_id;
  d["message"] = "A test event from Enfinito: this endpoint receives and verifies deliveries.";
  ev.data = json::serialize(d);
  ev.created_at = now_ms;
  if (auto ec = events::append(c, ev)) return ec;
  core::error_code ec;
  if (e.format == "meta") {
    if (auto rc = store_meta_payload(c, e.instance_id, ev.id, ev.id, meta_body, now_ms)) return rc;
  }
  auto* s = c.prepare(
      "INSERT INTO webhook_deliveries(id, endpoint_id, event_id, event_type, next_attempt_at, created_at) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?5)",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, delivery_id).bind(2, e.id).bind(3, ev.id);
  s->bind(4, e.format == "meta" ? std::string_view("meta.payload") : test_event_type).bind(5, now_ms);
  return s->run();
}

core::error_code enqueue_new(connection& c, std::int64_t now_ms, std::int64_t window, std::size_t& created) {
  created = 0;
  core::error_code ec;
  // Where this pass stops: the newest event, but at most `window` ids past the oldest cursor,
  // so a long backlog becomes several short writes.
  auto* top = c.prepare(
      "SELECT MIN((SELECT COALESCE(MAX(id), 0) FROM events), "
      "(SELECT COALESCE(MIN(cursor), 0) FROM webhook_endpoints) + ?1)",
      ec);
  if (!top) return misuse(ec);
  top->bind(1, window);
  std::int64_t upto = 0;
  if (auto rc = read_value(*top, upto)) return rc;
  // Paused endpoints collect deliveries too: they go out once the endpoint is resumed.
  auto* own = c.prepare(
      "INSERT OR IGNORE INTO webhook_deliveries(id, endpoint_id, event_id, event_type, next_attempt_at, created_at) "
      "SELECT 'whd_' || lower(hex(randomblob(12))), ep.id, e.id, e.type, ?2, ?2 "
      "FROM webhook_endpoints ep JOIN events e ON e.user_id = ep.user_id AND e.id > ep.cursor AND e.id <= ?1 "
      "AND e.instance_id = ep.instance_id "
      "WHERE ep.format = 'enfinito' AND ep.cursor < ?1 AND e.type <> 'webhook.test' AND (ep.event_types = '[]' OR "
      "e.type IN "
      "(SELECT value FROM json_each(ep.event_types))) ORDER BY e.id",
      ec);
  if (!own) return misuse(ec);
  own->bind(1, upto).bind(2, now_ms);
  if (auto rc = own->run()) return rc;
  created += static_cast<std::size_t>(c.changes());
  auto* meta = c.prepare(
      "INSERT OR IGNORE INTO webhook_deliveries(id, endpoint_id, event_id, event_type, next_attempt_at, created_at) "
      "SELECT 'whd_' || lower(hex(randomblob(12))), ep.id, mp.first_event_id, 'meta.payload', ?2, ?2 "
      "FROM webhook_endpoints ep JOIN meta_payloads mp ON mp.instance_id = ep.instance_id "
      "AND mp.first_event_id > ep.cursor AND mp.first_event_id <= ?1 "
      "WHERE ep.format = 'meta' AND ep.cursor < ?1 "
      "AND NOT EXISTS (SELECT 1 FROM events t WHERE t.id = mp.first_event_id AND t.type = 'webhook.test') "
      "AND (ep.event_types = '[]' OR EXISTS (SELECT 1 FROM events e "
      "WHERE e.user_id = ep.user_id AND e.id BETWEEN mp.first_event_id AND mp.last_event_id "
      "AND e.type IN (SELECT value FROM json_each(ep.event_types)))) ORDER BY mp.first_event_id",
      ec);
  if (!meta) return misuse(ec);
  meta->bind(1, upto).bind(2, now_ms);
  if (auto rc = meta->run()) return rc;
  created += static_cast<std::size_t>(c.changes());
  auto* move = c.prepare("UPDATE webhook_endpoints SET cursor = ?1 WHERE cursor < ?1", ec);
  if (!move) return misuse(ec);
  move->bind(1, upto);
  return move->run();
}

core::error_code claim_due(connection& c, std::int64_t now_ms, std::int64_t lease_until, std::size_t per_endpoint,
                           std::size_t limit, const std::string& capacity, std::vector<delivery>& out) {
  core::error_code ec;
  auto* s = c.prepare(
      "SELECT id, endpoint_id, event_id, event_type, attempts, next_attempt_at, last_status, COALESCE(last_error, ''), "
      "last_attempt_at, delivered_at, created_at, rid FROM ("
      "SELECT d.*, d.rowid AS rid, ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, "
      "d.event_id) "
      "AS n FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id "
      "WHERE d.next_attempt_at <= ?1 AND ep.state = 'active') "
      "WHERE n <= COALESCE(json_extract(?4, '$.\"' || endpoint_id || '\"'), ?2) ORDER BY next_attempt_at LIMIT ?3",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, now_ms).bind(2, static_cast<std::int64_t>(per_endpoint)).bind(3, static_cast<std::int64_t>(limit));
  s->bind(4, capacity);
  std::vector<delivery> picked;
  while (s->step(ec)) picked.push_back(read_delivery(*s));
  s->reset();
  if (ec) return ec;
  auto* lease = c.prepare("UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1", ec);
  if (!lease) return misuse(ec);
  for (auto& d : picked) {
    lease->bind(1, d.id).bind(2, lease_until);
    if (auto rc = lease->run()) return rc;
    out.push_back(std::move(d));
  }
  return {};
}

core::error_code record_attempt(connection& c, const delivery& d, const attempt_outcome& o, std::int64_t now_ms) {
  core::error_code ec;
  auto* s = c.prepare(
      "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?2, "
      "last_error = NULLIF(?3, ''), last_attempt_at = ?4, next_attempt_at = ?5, "
      "delivered_at = CASE WHEN ?6 THEN ?4 ELSE delivered_at END WHERE id = ?1",
      ec);
  if (!s) return misuse(ec);
  std::optional<std::int64_t> next;
  if (!o.delivered) next = o.retry_at;
  s->bind(1, d.id).bind(2, o.status).bind(3, o.error).bind(4, now_ms).bind(5, next);
  s->bind(6, static_cast<std::int64_t>(o.delivered ? 1 : 0));
  if (auto rc = s->run()) return rc;
  if (next) mark(c, change::hook_deliveries);  // due again at `retry_at`: the engine sets its timer
  return {};
}

core::error_code load_run(connection& c, std::string_view endpoint_id, failure_run& out) {
  core::error_code ec;
  static constexpr column_list run_cols{
      "state, COALESCE(paused_reason, '') AS paused_reason, failure_count, failing_since"};
  auto* s = c.prepare(std::string("SELECT ") + run_cols.sql() + " FROM webhook_endpoints WHERE id = ?1", ec);
  if (!s) return misuse(ec);
  s->bind(1, endpoint_id);
  auto read = [](const statement& st) {
    failure_run r;
    r.state = st.text(run_cols["state"]);
    r.paused_reason = st.text(run_cols["paused_reason"]);
    r.failure_count = st.int64(run_cols["failure_count"]);
    if (!st.is_null(run_cols["failing_since"])) r.failing_since = st.int64(run_cols["failing_since"]);
    return r;
  };
  return read_one(*s, read, out);
}

core::error_code save_run(connection& c, std::string_view endpoint_id, const failure_run& run,
                          std::optional<std::int64_t> updated_at) {
  core::error_code ec;
  auto* s = c.prepare(
      "UPDATE webhook_endpoints SET state = ?2, paused_reason = NULLIF(?3, ''), "
      "failure_count = ?4, failing_since = ?5, updated_at = COALESCE(?6, updated_at) WHERE id = ?1",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, endpoint_id).bind(2, run.state).bind(3, run.paused_reason).bind(4, run.failure_count);
  s->bind(5, run.failing_since).bind(6, updated_at);
  if (auto rc = s->run()) return rc;
  if (updated_at) mark(c, change::hook_endpoints);  // a state change (paused): the API and engine see it
  return {};
}

core::error_code meta_payload(connection& c, std::string_view instance_id, std::int64_t first_event_id,
                              std::string& body) {
  core::error_code ec;
  auto* s = c.prepare("SELECT body FROM meta_payloads WHERE instance_id = ?1 AND first_event_id = ?2", ec);
  if (!s) return misuse(ec);
  s->bind(1, instance_id).bind(2, first_event_id);
  return read_one(
      *s, [](const statement& st) { return st.blob(0); }, body);
}

core::error_code store_meta_payload(connection& c, std::string_view instance_id, std::int64_t first_event_id,
                                    std::int64_t last_event_id, std::string_view body, std::int64_t now_ms) {
  core::error_code ec;
  auto* s = c.prepare(
      "INSERT OR IGNORE INTO meta_payloads(instance_id, first_event_id, last_event_id, body, created_at) "
      "VALUES(?1, ?2, ?3, ?4, ?5)",
      ec);
  if (!s) return misuse(ec);
  s->bind(1, instance_id).bind(2, first_event_id).bind(3, last_event_id).bind_blob(4, body).bind(5, now_ms);
  return s->run();
}

core::error_code event_row(connection& c, std::int64_t id, std::string& instance_id, std::string& type,
                           std::string& data, std::int64_t& created_at) {
  core::error_code ec;
  static constexpr column_list event_cols{"COALESCE(instance_id, '') AS instance_id, type, data, created_at"};
  auto* s = c.prepare(std::string("SELECT ") + event_cols.sql() + " FROM events WHERE id = ?1", ec);
  if (!s) return misuse(ec);
  s->bind(1, id);
  const bool found = s->step(ec);
  if (found) {
    instance_id = s->text(event_cols["instance_id"]);
    type = s->text(event_cols["type"]);
    data = s->text(event_cols["data"]);
    created_at = s->int64(event_cols["created_at"]);
  }
  s->reset();
  if (ec) return ec;
  return found ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code has_meta_endpoint(connection& c, std::string_view instance_id, bool& out) {
  core::error_code ec;
  auto* s = c.prepare("SELECT 1 FROM webhook_endpoints WHERE instance_id = ?1 AND format = 'meta' LIMIT 1", ec);
  if (!s) return misuse(ec);
  s->bind(1, instance_id);
  return has_row(*s, out);
}

core::error_code max_event_id(connection& c, std::int64_t& out) {
  core::error_code ec;
  // sqlite_sequence holds the AUTOINCREMENT high-water mark, which survives purges.
  auto* s = c.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)", ec);
  if (!s) return misuse(ec);
  out = 0;
  return read_value(*s, out);
}

core::error_code purge(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted) {
  core::error_code ec;
  deleted = 0;
  auto* d = c.prepare(
      "DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries "
      "WHERE created_at < ?1 AND next_attempt_at IS NULL LIMIT ?2)",
      ec);
  if (!d) return misuse(ec);
  d->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  if (auto rc = d->run()) return rc;
  deleted += static_cast<std::size_t>(c.changes());
  auto* m = c.prepare(
      "DELETE FROM meta_payloads WHERE rowid IN (SELECT rowid FROM meta_payloads "
      "WHERE created_at < ?1 LIMIT ?2)",
      ec);
  if (!m) return misuse(ec);
  m->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  if (auto rc = m->run()) return rc;
  deleted += static_cast<std::size_t>(c.changes());
  return {};
}

core::error_code next_due(connection& c, std::int64_t now_ms, bool& overdue, std::optional<std::int64_t>& next) {
  core::error_code ec;
  // Each walks the due index in time order, skipping paused endpoints' deliveries.
  static constexpr column_list due_cols{
      "EXISTS (SELECT 1 FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id "
      "WHERE d.next_attempt_at <= ?1 AND ep.state = 'active') AS overdue, "
      "(SELECT d.next_attempt_at FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id "
      "WHERE d.next_attempt_at > ?1 AND ep.state = 'active' ORDER BY d.next_attempt_at LIMIT 1) AS next_at"};
  auto* s = c.prepare(std::string("SELECT ") + due_cols.sql(), ec);
  if (!s) return misuse(ec);
  s->bind(1, now_ms);
  overdue = false;
  next.reset();
  if (s->step(ec)) {
    overdue = s->int64(due_cols["overdue"]) != 0;
    if (!s->is_null(due_cols["next_at"])) next = s->int64(due_cols["next_at"]);
  }
  s->reset();
  return ec;
}

core::error_code any_endpoint(connection& c, bool& out) {
  core::error_code ec;
  auto* s = c.prepare("SELECT 1 FROM webhook_endpoints LIMIT 1", ec);
  if (!s) return misuse(ec);
  return has_row(*s, out);
}

}  // namespace enfinito::store::hooks
