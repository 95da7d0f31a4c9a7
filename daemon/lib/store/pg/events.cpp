// store::pg::events: append under the ids-in-commit-order advisory lock, and id-range reads
// (see the header).
#include <enfinito/store/pg/events.hpp>

#include <enfinito/core/json_strict.hpp>
#include <enfinito/store/changes.hpp>

#include <chrono>

namespace enfinito::store::pg::events {

core::error_code append(connection& c, store::events::event& e) {
  // As store::events::append: never persist what is not JSON (core/json_strict.hpp).
  if (!core::finite_json_text(e.data)) return make_error_code(error::failed);
  if (e.created_at == 0)
    e.created_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
  // The lock comes first: the identity default is evaluated for the row the SELECT yields,
  // after pg_advisory_xact_lock returned.
  auto r = c.query(
      "INSERT INTO events (user_id, instance_id, type, data, created_at)"
      " SELECT $1, NULLIF($2, ''), $3, $4, $5::bigint FROM (SELECT pg_advisory_xact_lock($6::bigint)) AS ordered"
      " RETURNING id",
      params().add(e.user_id).add(e.instance_id).add(e.type).add(e.data).add(e.created_at).add(append_lock_key));
  if (!r) return r.error();
  if (r->empty()) return make_error_code(error::failed);
  e.id = r->int64(0, 0);
  if (auto* sink = c.change_sink()) sink->events.push_back(e);
  return {};
}

core::error_code range(connection& c, std::int64_t after, std::int64_t upto, std::size_t limit,
                       std::vector<store::events::event>& out) {
  auto r = c.query(
      "SELECT id, user_id, COALESCE(instance_id, ''), type, data, created_at FROM events"
      " WHERE id > $1::bigint AND id <= $2::bigint ORDER BY id LIMIT $3::bigint",
      params().add(after).add(upto).add(static_cast<std::int64_t>(limit)));
  if (!r) return r.error();
  for (int i = 0; i < r->size(); ++i)
    out.push_back({r->int64(i, 0), std::string(r->text(i, 1)), std::string(r->text(i, 2)), std::string(r->text(i, 3)),
                   std::string(r->text(i, 4)), r->int64(i, 5)});
  return {};
}

core::result<std::int64_t> newest_id(connection& c) { return c.scalar_int("SELECT COALESCE(MAX(id), 0) FROM events"); }

}  // namespace enfinito::store::pg::events
