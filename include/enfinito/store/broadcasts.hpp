#pragma once
/**
 * @file store::broadcasts: the SQL of broadcasts (schema.sql migration 17: `broadcasts`, and
 * the `broadcast_id` / `expires_at` columns of `messages` and `send_jobs`).
 *
 * ## The life of a broadcast (rows and states)
 *
 *   accept   ─▶ broadcasts(state=preparing) ─▶ messages + send_jobs in batches (tagged, due at
 *               send_at, no per-message event) ─▶ start(): state=running + broadcast.accepted
 *   queue    ─▶ jobs of a `running` broadcast are loaded and leased like any other (the gate in
 *               store::messages: queued_jobs, lease, instances_with_due_jobs);
 *               settle() before each lease: expired → status expired, opted out → status
 *               skipped_opted_out (neither reaches Meta); after(): broadcast.started once,
 *               broadcast.progress at most every `progress_every_ms`, broadcast.finished (and
 *               state=finished) when its last job resolved
 *   pause    ─▶ running → paused (the gate closes: nothing new is leased; in flight finishes)
 *   resume   ─▶ paused → running
 *   cancel   ─▶ state=cancelled, then cancel_batch() until no queued job is left: each job
 *               deleted, its message `cancelled`; then broadcast.finished
 *
 * Tenancy: every API function takes the owner's user id and matches it through
 * `instances.user_id`. Times are unix milliseconds.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/messages.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::broadcasts {

/** broadcast.progress at most this often per broadcast (the events' rate bound). */
constexpr std::int64_t progress_every_ms = 5000;

struct broadcast {
  std::string id;  // brd_...
  std::string instance_id;
  std::string name;
  std::string template_name;
  std::string template_language;
  std::string state = "preparing";
  std::int64_t recipients = 0;
  std::int64_t rejected = 0;
  std::int64_t send_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::string> api_key_id;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

/** Its messages by status (`failed` also by Meta code; "none" when Meta gave none). */
struct counts {
  std::map<std::string, std::int64_t> by_status;
  std::map<std::string, std::int64_t> failed_by_code;
};

/** Inserts `b` (state preparing). */
core::error_code insert(connection& c, const broadcast& b);

/**
 * Inserts one batch of `b`'s messages (outbound, accepted, tagged) and their queued jobs, due
 * at `b.send_at`, expiring at `b.expires_at`. Sets each message's seq. No event per message:
 * the broadcast's own events stand for them.
 */
core::error_code insert_messages(connection& c, const broadcast& b, std::vector<messages::message>& batch);

/** preparing → running, with its `broadcast.accepted` event for `user_id`. */
core::error_code start(connection& c, std::string_view user_id, std::string_view id, std::int64_t now);

/** The user's broadcast; `not_found` when absent or not theirs. */
core::error_code get(connection& c, std::string_view user_id, std::string_view id, broadcast& out);

/** The user's broadcasts of an instance, newest first, created before `before_ms` (0: none). */
core::error_code list(connection& c, std::string_view user_id, std::string_view instance_id, std::int64_t before_ms,
                      std::size_t limit, std::vector<broadcast>& out);

core::error_code count(connection& c, std::string_view id, counts& out);

/**
 * Moves the user's broadcast to `to` if its state is one of `from`: `not_found` (absent, not
 * theirs), `constraint` (another state; `out` holds the row). Sets `out`.
 */
core::error_code transition(connection& c, std::string_view user_id, std::string_view id,
                            const std::vector<std::string_view>& from, std::string_view to, std::int64_t now,
                            broadcast& out);

/**
 * A cancelled broadcast's queued jobs, at most `limit`: deleted, their messages `cancelled`.
 * Sets `done` (rows cancelled); fewer than `limit` means none is left, and then the
 * broadcast.finished event is appended (once).
 */
core::error_code cancel_batch(connection& c, std::string_view user_id, std::string_view id, std::size_t limit,
                              std::int64_t now, std::size_t& done);

/** Whether `peer` opted out of `instance_id`'s broadcasts (the optouts seam, read in the write). */
using opted_out_fn = std::function<bool(connection&, std::string_view instance_id, std::string_view peer)>;

/**
 * Before a lease: of the jobs `seqs` of `instance_id`, those past their `expires_at` become
 * `expired`, and broadcast jobs whose recipient opted out become `skipped_opted_out`, each
 * with its event (`message.expired`, `message.skipped`); their jobs are deleted, so the lease
 * skips them. Broadcasts touched are then checked by after().
 */
core::error_code settle(connection& c, std::string_view user_id, std::string_view instance_id,
                        const std::vector<std::int64_t>& seqs, std::int64_t now, const opted_out_fn& opted_out,
                        std::int64_t progress_every_ms);

/**
 * After a broadcast message was leased or resolved: `broadcast.started` once (when
 * `leased`), `broadcast.progress` at most every `progress_every_ms`, and `broadcast.finished`
 * (state finished) when no job of the broadcast is left.
 */
core::error_code after(connection& c, std::string_view user_id, std::string_view id, bool leased, std::int64_t now,
                       std::int64_t progress_every_ms);

/** One recipient's outcome for the CSV export, in accept order. */
struct outcome_row {
  std::int64_t seq = 0;
  std::string message_id;
  std::string peer;
  std::string status;
  std::optional<std::string> wamid;
  std::optional<std::int64_t> error_code;
  std::string error_title;
  std::int64_t updated_at = 0;
};
/** The broadcast's messages with seq > `after_seq`, at most `limit` (the export pages). */
core::error_code outcomes(connection& c, std::string_view id, std::int64_t after_seq, std::size_t limit,
                          std::vector<outcome_row>& out);

}  // namespace enfinito::store::broadcasts
