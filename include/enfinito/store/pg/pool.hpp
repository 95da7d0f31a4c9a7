#pragma once
/**
 * @file store::pg::pool: a bounded pool of PostgreSQL connections, each owned by its own thread.
 *
 * ## Why threads, not libpq's non-blocking API on the reactors
 * Every store module is written as synchronous functions of a connection (`work_fn`), run on a
 * store thread and completed on the caller's executor: that is the SQLite store's contract
 * (store/store.hpp), and keeping it lets the modules be ported one by one, each keeping its
 * shape, with no SQL call on a reactor thread. Driving libpq from Asio (PQsocket + async_wait)
 * would turn every store function into a coroutine or a state machine, and a statement that is
 * slow to parse or a large result would still run libpq's parsing on a reactor. A round trip
 * here costs tens of microseconds of CPU and a thread switch, well under the WAL flush a
 * durable COMMIT waits for; the figures that matter are bounded by PostgreSQL's fsync, not by
 * how we wait. Where round trips add up, `connection::pipeline` sends a batch at once.
 *
 *   reactors ──submit(fn, executor, done)──▶ bounded queue ──▶ N connection threads
 *                                                                fn(connection)
 *   reactors ◀──post(executor, done(ec))──────────────────────────────┘
 *
 * ## Invariants
 * - At most `size` connections; at most `max_waiting` queued requests (past it: overloaded,
 *   answered at once). A request waits at most `acquire_timeout` for a connection (then timeout).
 * - A completion runs exactly once, on the executor the caller gave, never on a pool thread.
 * - `transaction(fn)` posts `done(success)` only after COMMIT returned (synchronous_commit=on):
 *   an acknowledged write is durable. A connection lost mid-transaction answers `unavailable`,
 *   never success (the server rolled back, or its outcome is unknown: no 2xx).
 * - Every session has `statement_timeout` and `synchronous_commit = on` (connection.hpp).
 * - A broken connection is dropped and reopened with exponential backoff (`backoff_min` doubling
 *   to `backoff_max`); while no connection is up, new and queued requests fail at once with
 *   `unavailable` (a 503) instead of piling up. An idle connection is checked every
 *   `health_interval`. A thread left inside a transaction by its work rolls it back.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/pg/connection.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace enfinito::store::pg {

struct pool_options {
  connect_options connect;
  unsigned size = 4;               // connections (and threads)
  std::size_t max_waiting = 4096;  // queued requests at most
  std::chrono::milliseconds acquire_timeout{5'000};
  std::chrono::milliseconds health_interval{10'000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5'000};
};

using work_fn = std::function<core::error_code(connection&)>;
using done_fn = std::function<void(core::error_code)>;

/** Wraps `fn` in BEGIN … COMMIT: success only if COMMIT succeeded; any failure rolls back. */
work_fn transaction(work_fn fn);

/** Pool figures for /metrics (issue 17: in use, waiting, errors). */
struct pool_stats {
  std::atomic<std::uint64_t> in_use{0};
  std::atomic<std::uint64_t> waiting{0};
  std::atomic<std::uint64_t> connected{0};
  std::atomic<std::uint64_t> errors{0};      // statements that failed, connections that broke
  std::atomic<std::uint64_t> reconnects{0};  // connections opened after the first
  std::atomic<std::uint64_t> rejected{0};    // overloaded, timed out or unavailable at once
  std::atomic<std::uint64_t> completed{0};
};

class pool {
 public:
  /**
   * Opens the first connection now (a wrong URL, password or unreachable server fails startup
   * with `why` naming it, without secrets), then starts the threads, which open the rest.
   */
  static core::result<std::unique_ptr<pool>> open(pool_options opts, std::string* why);
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;
  ~pool();

  /** Queues `fn`; `done` is posted to `ex` with its outcome. Callable from any thread. */
  void submit(work_fn fn, executor ex, done_fn done);
  /** The coroutine form, completing on the calling coroutine's executor. */
  net::awaitable<core::error_code> run(work_fn fn);
  /** Runs `fn` and waits (startup, tools, tests; never on a reactor). */
  core::error_code run_sync(work_fn fn);

  /** Finishes queued work, closes the connections, joins the threads. Idempotent. */
  void stop();
  const pool_stats& stats() const noexcept { return stats_; }
  const pool_options& options() const noexcept { return opts_; }

 private:
  struct request {
    work_fn fn;
    executor ex;
    done_fn done;
    std::chrono::steady_clock::time_point queued;
  };
  explicit pool(pool_options opts) : opts_(std::move(opts)) {}
  void worker(std::unique_ptr<connection> conn);
  std::unique_ptr<connection> reconnect(std::chrono::milliseconds& backoff);
  void fail_queued(core::error_code ec);
  void serve(connection& conn, request& r);
  static void complete(request& r, core::error_code ec);

  pool_options opts_;
  std::mutex mu_;
  std::condition_variable cv_;          // work queued, or stopping
  std::condition_variable backoff_cv_;  // stopping (wakes a thread waiting to reconnect)
  std::deque<request> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  pool_stats stats_;
};

}  // namespace enfinito::store::pg
