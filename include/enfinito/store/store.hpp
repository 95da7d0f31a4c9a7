#pragma once
/**
 * @file store::store: the SQLite database, its single writer thread and its reader pool.
 *
 * ## Design
 * SQLite allows one writer at a time, and a durable commit (WAL + `synchronous=FULL`) costs
 * one fsync, ~0.2 ms here, whatever the transaction holds. So exactly one thread owns the
 * write connection, and it commits *groups*:
 *
 *   reactors ──submit(fn, executor, done)──▶ queue ──▶ writer thread
 *                                                       BEGIN IMMEDIATE
 *                                                       for each request:
 *                                                         SAVEPOINT w; fn(conn); RELEASE w
 *                                                         (on error: ROLLBACK TO w; that
 *                                                          request alone gets its error)
 *                                                       COMMIT  (one fsync for the group)
 *   reactors ◀──post(executor, done(ec))──────────────────┘
 *
 * A batch is whatever queued while the previous commit was in flight (at most
 * `commit_batch_max`), so batching adapts to load with no added delay: an idle store commits
 * a single write at once, a busy one amortises the fsync over hundreds.
 *
 * With `synchronous=FULL` the write connection opens through a VFS of ours
 * (`daemon/lib/store/wal_vfs.cpp`) that keeps a group's WAL frames in memory until the commit's
 * sync and writes them in a few large `pwrite`s instead of two per frame.
 *
 * ## Invariants
 * - A completion runs exactly once, on the executor the caller gave, never on the writer.
 * - `done(success)` is posted only after COMMIT returned: an acknowledged write is durable.
 * - If COMMIT fails (disk full, I/O error), every request of the batch that had succeeded
 *   gets that error; none is acknowledged, and nothing of the batch is in the database.
 * - No SQLite call runs on a reactor thread: reads go to `read_connections` reader threads,
 *   each with its own read-only connection (WAL lets them read while the writer writes).
 * - One process per database: an exclusive `flock` on `<db>.lock` is held for the store's
 *   lifetime; a second daemon gets `error::locked_by_other_process` and a clear message.
 *
 * ## Schema
 * `schema.sql` (embedded at build time) is split into blocks headed `-- migration: N`.
 * Opening applies each block above `PRAGMA user_version` in its own transaction and sets
 * user_version to N. A database newer than the binary is refused.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace enfinito::store {

struct options {
  std::string path;
  bool synchronous_full = true;
  unsigned read_connections = 2;
  std::size_t commit_batch_max = 1024;
  std::chrono::milliseconds busy_timeout{5000};
};

/** A unit of work run on a store thread with its connection. Returns its outcome. */
using work_fn = std::function<core::error_code(connection&)>;
using done_fn = std::function<void(core::error_code)>;

/** Writer statistics, read by /metrics. */
struct writer_stats {
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> failed_commits{0};
  std::atomic<std::uint64_t> commit_micros_total{0};
  std::atomic<std::uint64_t> last_batch_size{0};
  std::atomic<std::uint64_t> max_batch_size{0};
  // Commit latency histogram; bucket upper bounds in microseconds.
  static constexpr std::uint64_t bounds_us[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000};
  std::atomic<std::uint64_t> commit_buckets[std::size(bounds_us) + 1]{};
  // Batch size histogram; upper bounds in writes.
  static constexpr std::uint64_t batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  std::atomic<std::uint64_t> batch_buckets[std::size(batch_bounds) + 1]{};
  // WAL checkpoints the writer ran between groups (store::checkpoint_if_due), timed apart from
  // the commits; same bucket bounds as commits.
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> checkpoint_micros_total{0};
  std::atomic<std::uint64_t> checkpoint_buckets[std::size(bounds_us) + 1]{};
};

class store {
 public:
  /**
   * Opens the database: takes the process lock, applies pragmas and migrations, checks
   * integrity, starts the writer and readers. Startup only: on failure returns an error and
   * fills `why` with a message fit for an operator (no secrets).
   */
  static core::result<std::unique_ptr<store>> open(const options& opts, std::string* why);

  store(const store&) = delete;
  store& operator=(const store&) = delete;
  /** Stops the threads after finishing every queued request, then closes the database. */
  ~store();

  /**
   * Queues a write; `done` is posted to `ex` once the group holding it committed (or failed).
   * Thread safety: callable from any thread. After `stop()`, `done` gets error::stopped.
   */
  void submit_write(work_fn fn, executor ex, done_fn done);
  /** Runs `fn` on a reader thread with a read-only connection; `done` is posted to `ex`. */
  void submit_read(work_fn fn, executor ex, done_fn done);

  /** Coroutine forms of the two above, completing on the calling coroutine's executor. */
  net::awaitable<core::error_code> write(work_fn fn);
  net::awaitable<core::error_code> read(work_fn fn);

  /** Runs `fn` on the writer and waits (startup, tools, tests; never on a reactor). */
  core::error_code write_sync(work_fn fn);
  core::error_code read_sync(work_fn fn);

  /**
   * The single publish point of committed changes (store/changes.hpp): after each group's
   * COMMIT succeeds, the stream gets the events appended and the changes marked by the writes
   * of that group that succeeded; a write whose SAVEPOINT rolled back, or a group whose COMMIT
   * failed, publishes nothing. So a subscriber never hears of a change the database does not
   * hold. Published before the group's completions are posted. Subscribe at startup, before the
   * first write.
   */
  change_stream& changes() noexcept { return changes_; }

  /** Finishes queued work and stops the threads; later submissions fail with `stopped`. */
  void stop();

  /** Is the writer able to commit right now (for /readyz)? */
  bool writable() const noexcept { return writable_.load(); }
  const writer_stats& stats() const noexcept { return stats_; }
  std::size_t queue_depth() const;
  const std::string& path() const noexcept { return opts_.path; }
  /** The user_version the schema reached. */
  std::int64_t schema_version() const noexcept { return schema_version_; }

 private:
  struct request {
    work_fn fn;
    executor ex;
    done_fn done;
  };
  explicit store(options opts) : opts_(std::move(opts)) {}
  void writer_loop();
  void reader_loop(connection& conn);
  void commit_batch(std::vector<request>& batch);
  void checkpoint_if_due();
  static void complete(request& r, core::error_code ec);
  static void complete_batch(std::vector<request>& batch, const std::vector<core::error_code>& results);

  options opts_;
  int lock_fd_ = -1;
  std::int64_t schema_version_ = 0;
  std::unique_ptr<connection> writer_conn_;
  int wal_pages_ = 0;  // the WAL's size in pages after the last commit (writer thread only)
  std::vector<std::unique_ptr<connection>> reader_conns_;

  mutable std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::deque<request> write_queue_;
  change_stream changes_;
  change_set committed_;  // what the current group changed so far (writer thread only)
  mutable std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::deque<request> read_queue_;
  bool stopping_ = false;  // guarded by both mutexes (set under each)

  std::thread writer_;
  std::vector<std::thread> readers_;
  std::atomic<bool> writable_{true};
  writer_stats stats_;
};

/** Splits schema text into (version, sql) blocks; exposed for tests. */
std::vector<std::pair<int, std::string>> migrations(std::string_view schema_text);
/** The schema embedded at build time. */
std::string_view embedded_schema();
/** Applies migrations above user_version on `conn` (one transaction each). */
core::error_code migrate(connection& conn, std::string_view schema_text, std::string* why);

/** Online backup (SQLite backup API) of a live database to `dest`, which must not exist. */
core::error_code backup(const std::string& source, const std::string& dest, std::string* why);

}  // namespace enfinito::store
