#pragma once
/**
 * @file store::pg::writer: the store writer's contract (store/store.hpp) on PostgreSQL. Callers
 * submit write work (a function of a pg::connection&); the writer commits what queued as one
 * group, completes each caller only after COMMIT, and publishes what the group changed on the
 * node's change stream (store/changes.hpp) only after COMMIT and before any completion.
 *
 * ## Why one writer thread with its own connection
 * PostgreSQL accepts concurrent writers, but a durable COMMIT waits for one WAL flush
 * (synchronous_commit = on) whatever the transaction holds, and event appends are serialised
 * until COMMIT anyway (store/pg/events.hpp: ids in commit order). So, as on SQLite, one thread
 * per node owns a write connection and amortises the flush and the append lock over a group:
 * the batch is whatever queued while the previous commit was in flight (at most
 * `commit_batch_max`), no added delay when idle. Blocking libpq on a thread of its own, for the
 * reason the pool gives (store/pg/pool.hpp). Reads and other work use the pool.
 *
 *   reactors ──submit(fn, executor, done)──▶ queue ──▶ writer thread
 *                                                       BEGIN
 *                                                       fn(conn) for each request
 *                                                       SELECT pg_notify(…) ┐ one round trip
 *                                                       COMMIT              ┘ (pipeline mode)
 *                                                       publish(change set)
 *   reactors ◀──post(executor, done(ec))──────────────────┘
 *
 * ## A failing member
 * SQLite gives each request a SAVEPOINT; here that is two more round trips per request on the
 * common path. Instead the group runs without savepoints and, when one request fails, the
 * whole group is rolled back and every request of it runs again alone, in order, in its own
 * transaction: each gets the outcome it would have had alone (the one that failed fails again
 * with its own error, the others commit), exactly what SQLite's savepoints give. So work must
 * be a function of the database: it may run twice, and only the run that commits counts
 * (assign outputs, don't append to them). A lost connection fails every request of the group
 * with `unavailable` (the outcome is unknown: never a 2xx) and the writer reconnects with
 * backoff; while it has no connection, submissions fail at once.
 *
 * ## Telling the other nodes
 * The group's NOTIFY (store/pg/notice.hpp: ids and kinds, never content) is sent inside the
 * transaction, pipelined with COMMIT: PostgreSQL delivers it exactly when the group commits
 * and never for one that rolled back. Other nodes' store::pg::listener turn it into
 * publications on their change streams.
 *
 * ## Invariants
 * - A completion runs exactly once, on the executor the caller gave, never on the writer.
 * - `done(success)` is posted only after COMMIT returned; a failed COMMIT fails every request
 *   of the group, and the group publishes nothing.
 * - Marks (store::pg::mark) and events (pg::events::append) of a run that did not commit are
 *   never published.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/pg/connection.hpp>
#include <enfinito/store/pg/notice.hpp>
#include <enfinito/store/pg/pool.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace enfinito::store::pg {

/** Declares, inside a write function, that it changed `k` (ignored off the writer). */
void mark(connection& c, change k) noexcept;
/** Declares that instance `id` changed. */
void mark_instance(connection& c, std::string_view id);

struct writer_options {
  connect_options connect;
  std::string node_id;                  // in every notice, so this node's listener skips its own groups
  std::shared_ptr<local_events> local;  // the node's listener's too (store/pg/notice.hpp), or null
  std::size_t commit_batch_max = 256;
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5'000};
};

struct writer_stats {
  std::atomic<std::uint64_t> groups{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> failed_commits{0};  // COMMIT (or the connection) failed
  std::atomic<std::uint64_t> split_groups{0};    // a member failed: the group ran again one by one
  std::atomic<std::uint64_t> notices{0};
  std::atomic<std::uint64_t> max_group{0};
};

class writer {
 public:
  /** Connects now (`why` says why not, without secrets) and starts the writer thread. */
  static core::result<std::unique_ptr<writer>> open(writer_options opts, change_stream& changes, std::string* why);
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  ~writer();

  /** Queues a write; `done` is posted to `ex` once its group committed (or failed). Any thread. */
  void submit(work_fn fn, executor ex, done_fn done);
  /** The coroutine form, completing on the calling coroutine's executor. */
  net::awaitable<core::error_code> write(work_fn fn);
  /** Runs `fn` on the writer and waits (startup, tools, tests; never on a reactor). */
  core::error_code write_sync(work_fn fn);

  /** Finishes queued work, closes the connection, joins the thread. Idempotent. */
  void stop();
  /** Has the writer a connection (for /readyz)? */
  bool writable() const noexcept { return writable_.load(); }
  const writer_stats& stats() const noexcept { return stats_; }

 private:
  struct request {
    work_fn fn;
    executor ex;
    done_fn done;
  };
  writer(writer_options opts, change_stream& changes) : opts_(std::move(opts)), changes_(changes) {}
  void loop();
  void commit_group(std::vector<request>& group, std::vector<core::error_code>& results);
  core::error_code run_one_transaction(std::vector<request>& group, std::size_t from, std::size_t to,
                                       std::size_t& failed_at, change_set& cs);
  core::error_code commit_and_notify(const change_set& cs);
  void fail_queued(core::error_code ec);
  static void complete(request& r, core::error_code ec);

  writer_options opts_;
  change_stream& changes_;
  std::unique_ptr<connection> conn_;  // the writer thread's
  std::mutex mu_;
  std::condition_variable cv_;  // work queued, or stopping
  std::deque<request> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<bool> writable_{true};
  writer_stats stats_;
};

}  // namespace enfinito::store::pg
