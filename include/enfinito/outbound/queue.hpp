#pragma once
/**
 * @file outbound::queue: the durable send queue. A message accepted by the API reaches Meta
 * once, in order per recipient, as fast as the instance's rate allows, and is never lost.
 *
 * ## Shape
 *
 *   API handler (any reactor)                 owning reactor B = reactors.owner_of(hash(instance))
 *   ─────────────────────────                 ──────────────────────────────────────────────────
 *   store write: message + job + event  ──▶   notify(instance, seq, peer) ──▶ dispatcher(instance)
 *   202 after the commit                           │  window: queued jobs (seq → peer, due time),
 *                                                  │          ids only, bodies stay on disk
 *                                                  │  pick: first unresolved job per peer, due,
 *                                                  │        peer not paced, a token in the bucket
 *                                                  ▼
 *                                   store write: lease picked jobs (owner = run id, expiry),
 *                                                attempts+1, bodies read back in the same write
 *                                                  ▼
 *                                   meta::client::send  (≤ max_in_flight per instance)
 *                                                  ▼
 *                                   store write: outcome + event (sent/failed/dead) or retry
 *
 * The dispatcher's decisions (what is due, per-recipient order, rate, pacing, the caps) are a
 * pure state machine, outbound/send_window.hpp, which the dispatcher feeds events and `now`;
 * the dispatcher itself does the I/O: store reads and writes, credentials, Meta, timers.
 *
 * Each instance is owned by one reactor, which runs its dispatcher: all its state (window,
 * token bucket, per-recipient pacing, cached credentials) lives on that thread without locks.
 * Work reaches it only by `net::post`. The hot path needs no polling: `notify` after the
 * accept commit hands the job over directly (and falls back to a database read when the
 * window is full or an earlier load was truncated). A slow sweep (`queue.sweep_interval_ms`)
 * finds work nobody announced: jobs left by a previous run, a requeued message, an instance
 * whose token was fixed.
 *
 * ## Invariants
 * - A job is sent only while leased in SQLite by this run (`lease_owner` = run id). On start,
 *   `recover()` queues again every job leased by an earlier run and flags its message
 *   `possible_duplicate` (that send may have reached Meta): after kill -9 every accepted
 *   message is either sent or still queued, and a resend happens only where flagged.
 * - Per recipient, a job is sent only when it is the earliest unresolved job of that peer
 *   held by the dispatcher (loaded in seq order): a retry holds back later messages to that
 *   peer, never other peers.
 * - Memory per instance is bounded by `queue.window` job refs (seq, peer, due time), however
 *   long the queue on disk is.
 *
 * ## Failures (outbound/pacing.hpp: `judge`, `judge_answer`)
 * retryable → retry with exponential backoff and jitter, `dead` after `queue.max_attempts`;
 * permanent → `failed`; 190/0 → the instance becomes `needs_reauth` (store::instances::
 * set_status), its queue pauses and the message stays queued; it resumes when the instance
 * is `active` again (found by the sweep). 131056 → only that recipient waits; throughput
 * errors (130429, 4, 80007) and transport errors (Meta unreachable) → the whole instance waits
 * too. Throttles and reauth do not use up attempts.
 *
 * Known limit: the window holds the earliest `queue.window` jobs; if all of them belong to
 * recipients that must wait (one peer paced by 131056 with thousands queued), later jobs to
 * other peers wait until the window moves.
 *
 * *Thread safety:* `notify`, `wait_for_outcome` and the metrics may be called from any
 * thread; `recover`, `start`, `stop` from the composition root. *Lifetime:* destroy the queue
 * after the reactors stopped and before they are destroyed.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}
namespace enfinito::meta {
class client;
}

namespace enfinito::outbound {

/**
 * Messages per second the queue sends for an instance whose number has Meta's throughput
 * `level` [D-TP]: `rate_high_throughput` for HIGH, `rate_per_instance` otherwise (STANDARD).
 */
unsigned send_rate(const config::queue_settings& q, std::string_view level) noexcept;

/** The first final outcome of one message, as `wait_for_outcome` reports it. */
struct send_outcome {
  enum class kind { sent, failed, dead };
  kind what = kind::sent;
  std::string wamid;                       // sent
  std::string wa_id;                       // sent: Meta's contacts[0].wa_id (empty when read back from the log)
  std::optional<std::int64_t> error_code;  // failed/dead: Meta's code (none: transport error)
  std::string error_title;                 // failed/dead: our own short text
  unsigned http_status = 0;                // failed/dead: Meta's HTTP status (0 when unknown)
};

class queue {
 public:
  queue(const config::settings& cfg, store::store& db, core::io_context_pool& reactors, net::thread_pool& blocking,
        std::shared_ptr<crypto::vault_source> vault, std::shared_ptr<const meta::client> meta);
  ~queue();
  queue(const queue&) = delete;
  queue& operator=(const queue&) = delete;

  /**
   * Startup, before the reactors serve requests: requeues the jobs an earlier run leased
   * (flagged possible_duplicate). Blocking (runs on the store writer and waits).
   */
  core::error_code recover();
  /** Starts the sweep timers on the reactors (they run once the pool runs). */
  void start();
  /**
   * Stops picking new work and waits (blocking, from the control thread) until the sends in
   * flight have committed their outcome, or `deadline` passed. Jobs not resolved keep their
   * lease and are resent, flagged, after the next start.
   */
  void stop(std::chrono::milliseconds deadline);

  /**
   * New work for an instance, after the commit that queued it: hands the job (`seq`, `peer`)
   * to the owning reactor. With `seq` 0 the dispatcher rescans the database (requeue, token
   * fixed, instance changed). Thread-safe; never blocks.
   */
  void notify(std::string_view instance_id, std::int64_t seq = 0, std::string_view peer = {});

  /**
   * Waits for message `message_id`'s first final outcome (sent, failed or dead), at most
   * `timeout`. Returns nothing on timeout: the message is still queued and will be sent
   * (retries, a paused instance). For the Graph-compatible routes' synchronous mode:
   *
   *     auto out = co_await s.queue->wait_for_outcome(id, std::chrono::milliseconds(5000));
   *     if (out && out->what == outbound::send_outcome::kind::sent) ... out->wamid, out->wa_id
   *
   * Call it right after the accept commit, before or after `notify`: an outcome that came
   * first is read back from the message log (then `wa_id` is empty). Completes on the
   * caller's executor. The caller checks the message is the principal's.
   */
  net::awaitable<std::optional<send_outcome>> wait_for_outcome(std::string message_id,
                                                               std::chrono::milliseconds timeout);

  /** Appends the queue's Prometheus families (counters, latency, depth per instance). */
  net::awaitable<void> render_metrics(std::string& out);

  /** This run's lease owner id. */
  const std::string& run_id() const noexcept;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace enfinito::outbound
