#pragma once
/**
 * @file store::pg::listener: the other nodes' committed changes, heard through LISTEN on
 * `changes_channel` (store/pg/notice.hpp) and published on this node's change stream, so
 * subscribers (the live feed, the caches) cannot tell them from the local writer's.
 *
 * ## What it publishes
 * - A notice from another node: its kinds and instance ids, and the events with ids after the
 *   last one this node has seen up to the notice's last id, read from the table in id order
 *   (a notice carries ids only). Ids commit in id order (store/pg/events.hpp) and PostgreSQL
 *   delivers notices in commit order, so reading the whole range also covers ids that a
 *   notice did not list, and an event is never read before one with a smaller id commits:
 *   no gap. An id is published once: the range read skips the ids this node's writer appended
 *   (`local_events`, filled before each COMMIT), and the listener's cursor only grows.
 * - A notice from this node: nothing (its writer published the group already); it only moves
 *   the last seen id.
 * - A `reload` notice: every kind changed (its instance list did not fit).
 * - After a reconnect: a resync, i.e. every kind changed (the notices sent while it was away
 *   are lost for good) with every event committed meanwhile that this node has not published.
 *   It LISTENs before it reads, so nothing falls between the read and the next notice.
 *
 * ## Threads
 * One thread, one connection of its own (LISTEN binds to the session, so it cannot borrow a
 * pool connection), blocking libpq like the pool (store/pg/pool.hpp says why): the thread
 * waits on the socket with poll(), at most `poll_interval`, so stop() is prompt. A lost
 * connection is reopened with exponential backoff. Publications run on this thread, like the
 * local writer's run on its: subscribers only hand the news on (store/changes.hpp).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/pg/connection.hpp>
#include <enfinito/store/pg/notice.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace enfinito::store::pg {

struct listener_options {
  connect_options connect;
  std::string node_id;                  // this node: its own notices publish nothing here
  std::shared_ptr<local_events> local;  // this node's writer's (store/pg/notice.hpp), or null
  std::chrono::milliseconds poll_interval{200};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5'000};
  std::size_t read_batch = 1'000;  // events read per statement
};

struct listener_stats {
  std::atomic<std::uint64_t> notices{0};    // notices from other nodes
  std::atomic<std::uint64_t> events{0};     // events published from other nodes
  std::atomic<std::uint64_t> resyncs{0};    // reconnects, each followed by a resync
  std::atomic<std::uint64_t> errors{0};     // malformed notices, failed reads
  std::atomic<std::uint64_t> connected{0};  // 1 while LISTENing
};

class listener {
 public:
  /**
   * Connects, LISTENs and starts at the newest event (a node hears what commits from now on),
   * then runs its thread; `why` says why not, without secrets.
   */
  static core::result<std::unique_ptr<listener>> open(listener_options opts, change_stream& changes, std::string* why);
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
  ~listener();

  /** Stops the thread and closes the connection. Idempotent. */
  void stop();
  const listener_stats& stats() const noexcept { return stats_; }
  /** The backend pid of the listening session (0 while disconnected): for tests. */
  int backend_pid() const noexcept { return pid_.load(); }

 private:
  listener(listener_options opts, change_stream& changes) : opts_(std::move(opts)), changes_(changes) {}
  core::error_code subscribe_session(connection& c);
  void loop();
  bool wait_readable();
  void handle(std::string_view payload);
  /** Publishes `cs` with the events after last_ up to `upto` this node has not published. */
  core::error_code publish_range(change_set cs, std::int64_t upto);
  void drop();  // the connection is gone: reconnect on the next round

  listener_options opts_;
  change_stream& changes_;
  std::unique_ptr<connection> conn_;  // the listener thread's
  std::int64_t last_ = 0;             // every event up to here is published or a gap (thread only)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<int> pid_{0};
  std::thread thread_;
  listener_stats stats_;
};

}  // namespace enfinito::store::pg
