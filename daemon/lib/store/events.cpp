// store::events: the SQL of the event log (append, page by id, newest, retention purge).
#include <enfinito/store/events.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/error.hpp>
#include "store/columns.hpp"
#include "store/rows.hpp"

#include <chrono>

namespace enfinito::store::events {
namespace {

// "(?, ?, ?)" with n placeholders numbered from `first`.
std::string placeholders(std::size_t n, int first) {
  std::string s = "(";
  for (std::size_t i = 0; i < n; ++i) s += (i ? ", ?" : "?") + std::to_string(first + static_cast<int>(i));
  return s + ")";
}

constexpr column_list cols{"id, user_id, COALESCE(instance_id, '') AS instance, type, data, created_at"};

event read_row(const statement& s) {
  event e;
  e.id = s.int64(cols["id"]);
  e.user_id = s.text(cols["user_id"]);
  e.instance_id = s.text(cols["instance"]);
  e.type = s.text(cols["type"]);
  e.data = s.text(cols["data"]);
  e.created_at = s.int64(cols["created_at"]);
  return e;
}

}  // namespace

core::error_code append(connection& c, event& e) {
  // Never persist what is not JSON (a non-finite number a serializer wrote as `Infinity`):
  // the parsers refuse such input, so reaching here is a bug (core/json_strict.hpp).
  if (!core::finite_json_text(e.data)) return make_error_code(error::misuse);
  core::error_code ec;
  auto* s = c.prepare(
      "INSERT INTO events(user_id, instance_id, type, data, created_at) "
      "VALUES(?1, NULLIF(?2, ''), ?3, ?4, ?5)",
      ec);
  if (!s) return ec ? ec : make_error_code(error::misuse);
  if (e.created_at == 0) e.created_at = core::wall_ms();
  s->bind(1, e.user_id).bind(2, e.instance_id).bind(3, e.type).bind(4, e.data).bind(5, e.created_at);
  if (auto rc = s->run()) return rc;
  e.id = c.last_insert_rowid();
  // Recorded for the change stream; the store writer publishes it only if this write commits.
  if (auto* sink = c.change_sink()) sink->events.push_back(e);
  return {};
}

core::error_code list(connection& c, const filter& f, std::vector<event>& out) {
  // The statement text depends only on the filter's list sizes, so the cache stays small.
  std::string sql = std::string("SELECT ") + cols.sql() + " FROM events WHERE user_id = ?1 AND id > ?2";
  int next = 4;
  if (!f.instance_ids.empty()) {
    sql += " AND instance_id IN " + placeholders(f.instance_ids.size(), next);
    next += static_cast<int>(f.instance_ids.size());
  }
  if (!f.types.empty()) sql += " AND type IN " + placeholders(f.types.size(), next);
  sql += " ORDER BY id LIMIT ?3";
  core::error_code ec;
  auto* s = c.prepare(sql, ec);
  if (!s) return ec ? ec : make_error_code(error::misuse);
  s->bind(1, f.user_id).bind(2, f.after).bind(3, static_cast<std::int64_t>(f.limit));
  int i = 4;
  for (const auto& id : f.instance_ids) s->bind(i++, id);
  for (const auto& t : f.types) s->bind(i++, t);
  while (s->step(ec)) out.push_back(read_row(*s));
  s->reset();
  return ec;
}

core::error_code newest_id(connection& c, std::string_view user_id, std::int64_t& out) {
  core::error_code ec;
  auto* s = c.prepare("SELECT COALESCE(MAX(id), 0) FROM events WHERE user_id = ?1", ec);
  if (!s) return ec ? ec : make_error_code(error::misuse);
  s->bind(1, user_id);
  out = 0;
  return read_value(*s, out);
}

core::error_code purge(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted) {
  core::error_code ec;
  auto* s = c.prepare(
      "DELETE FROM events WHERE id IN "
      "(SELECT id FROM events WHERE created_at < ?1 ORDER BY id LIMIT ?2)",
      ec);
  if (!s) return ec ? ec : make_error_code(error::misuse);
  s->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  if (auto rc = s->run()) return rc;
  deleted = static_cast<std::size_t>(c.changes());
  return {};
}

}  // namespace enfinito::store::events
