#pragma once
/**
 * @file store::messages: the SQL of the message log, the outbound send queue and idempotency
 * keys (schema.sql migration 5: `messages`, `send_jobs`, `idempotency_keys`).
 *
 * ## The life of an outbound message (rows and states)
 *
 *   accept ─▶ messages(status=accepted) + send_jobs(state=queued) + event message.accepted
 *   lease  ─▶ send_jobs(state=sending, lease_owner, lease_expires_at), messages.attempts += 1,
 *             messages.status = sending
 *   outcome:  sent   ─▶ job deleted, status=sent, wamid          + event message.sent
 *             failed ─▶ job deleted, status=failed, error         + event message.failed
 *             dead   ─▶ job deleted, status=dead, error           + event message.dead
 *             retry  ─▶ job queued again at next_attempt_at, status=accepted, last error kept
 *   restart ─▶ every `sending` job (its daemon died) is queued again, possible_duplicate=1
 *   requeue ─▶ a dead (or retryable failed) message gets a new queued job, status=accepted
 *
 * Invariants: a `send_jobs` row exists iff the outbound message is unresolved; every state
 * change and its event commit in the same write (the caller's `store::write`), so an event
 * exists iff its change committed. Bodies are read only in batches for jobs about to be sent.
 *
 * Tenancy: every function that serves the API takes the owner's user id and matches it
 * through `instances.user_id`; the queue functions (owned by the dispatcher) take ids it
 * read from the database. Times are unix milliseconds, except idempotency (unix seconds,
 * as the schema says). Inbound rows are written by store/inbound.cpp (not here).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::messages {

struct message {
  std::int64_t seq = 0;
  std::string id;  // msg_...
  std::string instance_id;
  std::string direction = "outbound";
  std::string peer;
  std::string type;
  std::string body;  // JSON
  std::string status = "accepted";
  std::optional<std::string> wamid;
  std::optional<std::int64_t> error_code;
  std::optional<std::string> error_title;
  std::int64_t attempts = 0;
  bool possible_duplicate = false;
  std::optional<std::string> api_key_id;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // Outbound: sent to Meta with Enfinito's biz_opaque_callback_data tag, so its statuses find
  // it by id and its wamid is left out of the wamid index (meta::callback_tag_prefix).
  bool callback_tagged = false;
  // Outbound, scheduled (issue 21): the job's first due time (0: at once) and when the queue
  // gives it up as `expired` instead of sending it (none: never). Written, not read back.
  std::int64_t send_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::string> broadcast_id;  // read back: the broadcast it belongs to
};

/**
 * Inserts an outbound message, its queued job (due at `m.send_at`, or now) and a
 * `message.accepted` event for `user_id`, in the caller's write. Sets `m.seq`; `m.created_at`
 * 0 means now.
 */
core::error_code insert_outbound(connection& c, message& m, std::string_view user_id);

/** The user's message by public id (either direction); `not_found` when absent or not theirs. */
core::error_code get(connection& c, std::string_view user_id, std::string_view id, message& out);

/** Any user's message by public id (the queue's outcome waiters); `not_found` when absent. */
core::error_code get_by_id(connection& c, std::string_view id, message& out);

struct list_filter {
  std::string user_id;          // required: only the user's instance
  std::string instance_id;      // required
  std::int64_t before_seq = 0;  // cursor: seq strictly below (0: from the newest)
  std::string direction;        // empty: both
  std::string status;           // empty: any
  std::string peer;             // empty: any (recipient_key form)
  std::int64_t since_ms = 0;    // created_at >= (0: no bound)
  std::int64_t until_ms = 0;    // created_at <  (0: no bound)
  std::size_t limit = 50;
};
/** The instance's log, newest first (seq descending), at most `f.limit`. */
core::error_code list(connection& c, const list_filter& f, std::vector<message>& out);

// ---- the send queue (outbound/queue.cpp) ---------------------------------------------

/** What the dispatcher keeps in memory per queued job: no body. */
struct job_ref {
  std::int64_t seq = 0;
  std::string peer;
  std::int64_t next_attempt_at = 0;
  bool bulk = false;  // a broadcast's job: sent after single sends (outbound/send_window.hpp)
};

/**
 * Queued jobs of an instance with seq > `after_seq`, ascending, at most `limit`; a broadcast's
 * jobs only while it is running (store/broadcasts.hpp). The same gate holds in lease() and
 * instances_with_due_jobs().
 */
core::error_code queued_jobs(connection& c, std::string_view instance_id, std::int64_t after_seq, std::size_t limit,
                             std::vector<job_ref>& out);

/** Instance ids that have queued jobs due by `now_ms` (the sweep), at most `limit`. */
core::error_code instances_with_due_jobs(connection& c, std::int64_t now_ms, std::size_t limit,
                                         std::vector<std::string>& out);

/** A leased job, ready to send. */
struct leased {
  std::int64_t seq = 0;
  std::string id;  // msg_...
  std::string body;
  std::int64_t attempts = 0;  // after this lease
  bool possible_duplicate = false;
  bool callback_tagged = false;  // send `body` with meta::with_callback_tag
  std::string broadcast_id;      // empty: a single send
};
/**
 * Leases the given jobs of `instance_id` that are still queued (state=sending, owner,
 * expiry), counts an attempt and sets status `sending`; returns the leased ones with their
 * bodies. Jobs gone or already leased are skipped (not an error).
 */
core::error_code lease(connection& c, std::string_view instance_id, const std::vector<std::int64_t>& seqs,
                       std::string_view owner, std::int64_t now_ms, std::int64_t expires_ms, std::vector<leased>& out);

/** The final or interim result of one send attempt. */
struct outcome {
  enum class kind { sent, failed, dead, retry };
  kind what = kind::sent;
  std::string wamid;                       // sent
  std::optional<std::int64_t> error_code;  // failed/dead/retry: Meta's code (none: transport)
  std::string error_title;                 // our own short text
  std::int64_t next_attempt_at = 0;        // retry
  bool undo_attempt = false;               // retry: the attempt does not count (throttles, reauth)
  bool possible_duplicate = false;         // retry: the request may have reached Meta
};
/**
 * Applies an outcome to job `seq` leased by `owner` and appends the event (sent, failed,
 * dead; none for retry). `not_found` when the job is gone (instance deleted) or the lease is
 * no longer ours. `user_id`/`instance_id` address the event.
 */
core::error_code resolve(connection& c, std::int64_t seq, std::string_view owner, const outcome& o,
                         std::string_view user_id, std::string_view instance_id, std::int64_t now_ms);

/**
 * Startup: every `sending` job whose lease is not `owner`'s (a previous run's) is queued
 * again and its message flagged possible_duplicate. Sets `released`.
 */
core::error_code release_leases(connection& c, std::string_view owner, std::int64_t now_ms, std::size_t& released);

/**
 * Requeues the user's message `id` if it is `dead`, or `failed` with a code the caller deems
 * retryable (`retryable_codes`): a new queued job, status accepted, attempts 0, and a
 * `message.accepted` event. `not_found` (absent / not theirs), `constraint` (any other state). Sets the message's instance id and
 * seq in `out`.
 */
core::error_code requeue(connection& c, std::string_view user_id, std::string_view id,
                         const std::vector<std::int64_t>& retryable_codes, std::int64_t now_ms, message& out);

/** Unresolved jobs per instance (the queue-depth gauge). */
core::error_code depth_by_instance(connection& c, std::vector<std::pair<std::string, std::int64_t>>& out);

// ---- idempotency keys ------------------------------------------------------------------

struct idempotent_answer {
  std::string request_hash;
  int status = 0;
  std::string response;
  std::int64_t created_at = 0;  // unix s
};
/** The stored answer of (scope, key) if younger than `not_before_s`; `not_found` otherwise. */
core::error_code idempotency_get(connection& c, std::string_view scope, std::string_view key, std::int64_t not_before_s,
                                 idempotent_answer& out);
/**
 * Stores the first answer of (scope, key). `constraint` when one exists (a concurrent
 * request won); an expired one is replaced.
 */
core::error_code idempotency_put(connection& c, std::string_view scope, std::string_view key, std::string_view user_id,
                                 const idempotent_answer& a, std::int64_t not_before_s);
/** Deletes answers older than `before_s`, at most `limit`; sets `deleted`. */
core::error_code idempotency_purge(connection& c, std::int64_t before_s, std::size_t limit, std::size_t& deleted);

}  // namespace enfinito::store::messages
