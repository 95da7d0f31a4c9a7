#pragma once
/**
 * @file store::pg::events: the event log's SQL on PostgreSQL (table `events`, schema.pg.sql
 * migration 5) as far as the writer and the listener need it: append, and read an id range.
 *
 * ## Ids in commit order
 * An identity value is handed out at INSERT, not at COMMIT, so two transactions could commit
 * ids out of order: a reader of "events after N" that saw 12 (committed) before 11 (still in
 * flight) would skip 11 for good. So every append first takes one transaction-level advisory
 * lock (`append_lock_key`), held until its transaction ends: appends are serialised from the
 * first id taken to COMMIT, across every node, and ids become visible in id order. The lock
 * is taken in the INSERT itself (no extra round trip), and held for a group's few
 * milliseconds since the writer commits groups. Ids skipped by a rolled-back group stay gaps:
 * readers page by "id > N", never count.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/pg/connection.hpp>

#include <cstdint>
#include <vector>

namespace enfinito::store::pg::events {

/** The advisory lock every event append takes until COMMIT ("enfinito events", arbitrary). */
inline constexpr std::int64_t append_lock_key = 0x656e66'6576656e;

/**
 * Appends `e` inside the caller's transaction; sets `e.id` (and `created_at` if 0 = now).
 * Recorded in the connection's change sink, published only if the transaction commits.
 */
core::error_code append(connection& c, store::events::event& e);

/** Every user's events with after < id <= upto, ascending by id, at most `limit`. */
core::error_code range(connection& c, std::int64_t after, std::int64_t upto, std::size_t limit,
                       std::vector<store::events::event>& out);

/** The newest event id (0 when none). */
core::result<std::int64_t> newest_id(connection& c);

}  // namespace enfinito::store::pg::events
