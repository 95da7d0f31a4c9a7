#pragma once
/**
 * @file feed::bus: the live event feed's fan-out (issue 6, "The live feed").
 *
 * ## One publish point
 * Events reach the bus from exactly one place: the store writer, after a group COMMIT
 * succeeded, as a subscriber of the store's change stream (store/changes.hpp). So a subscriber never sees an event that
 * the database does not hold, nor one whose write rolled back.
 *
 * ## Fan-out
 *   store writer ──publish(events)──▶ serialize each event once (shared_ptr<const string>)
 *                                     ──net::post──▶ every reactor that has subscribers
 *                                                     (its own registry: user → sockets;
 *                                                      no lock, only that reactor touches it)
 * A socket lives on the reactor that accepted it and registers there. The only cross-thread
 * traffic is one post per reactor per committed group, plus an atomic count per reactor that
 * lets publish skip reactors (and the serialization) when nobody listens.
 *
 * Thread safety: `publish`, `shutdown`, the connection slots and the ticket book from any
 * thread; `subscribe`/`unsubscribe` on the subscriber's own reactor only.
 */
#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/store/events.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace enfinito::feed {

/** One committed event as the feed routes it, with its wire form shared by every socket. */
struct item {
  std::int64_t id = 0;
  std::string user_id;
  std::string instance_id;  // empty: not about an instance
  std::string type;
  std::shared_ptr<const std::string> payload;  // the JSON message sent on the socket
};
using batch = std::shared_ptr<const std::vector<item>>;

/**
 * The wire form of an event:
 * `{"id":…,"type":…,"instance_id":…|null,"created_at":…,"data":{…}}`.
 */
std::string to_json(const store::events::event& e);
item make_item(const store::events::event& e);

/** A socket as the bus sees it. Called on its reactor only. */
class subscriber {
 public:
  virtual ~subscriber() = default;
  virtual const std::string& user_id() const = 0;
  /** A committed event of this user. Must not unsubscribe (or destroy) synchronously. */
  virtual void deliver(const item& it) = 0;
  /** The daemon is stopping: close ("going away"). Same rule as deliver. */
  virtual void going_away() = 0;
};

class bus {
 public:
  explicit bus(core::io_context_pool& pool);
  ~bus();
  bus(const bus&) = delete;
  bus& operator=(const bus&) = delete;

  /** Publishes committed events (the change stream's subscriber, on the store writer). */
  void publish(const std::vector<store::events::event>& committed);
  /** Publishes items already built (benchmarks, tests). */
  void publish(batch items);

  void subscribe(std::size_t reactor, subscriber& s);
  void unsubscribe(std::size_t reactor, subscriber& s);
  std::size_t subscribers() const noexcept;

  /** Feed connection slots (feed.max_connections): false when all are taken. */
  bool try_acquire_connection(std::size_t max) noexcept;
  void release_connection() noexcept;
  std::size_t connections() const noexcept { return connections_.load(); }

  /** Tells every subscriber to close (drain). */
  void shutdown();

  /** Counts `n` events written to a socket on `reactor` (that reactor's own counter). */
  void count_delivered(std::size_t reactor, std::uint64_t n = 1) noexcept;
  /** Events written to sockets, over all reactors. */
  std::uint64_t delivered() const noexcept;
  /** Appends the feed's Prometheus families (enfinito_feed_*) for /metrics. */
  void render_metrics(std::string& out) const;

  /** Counters for /metrics and tests. */
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> closed_too_slow{0};
  std::atomic<std::uint64_t> resumes{0};          // sockets that caught up from the database
  std::atomic<std::uint64_t> replayed{0};         // events those catch-ups read from the database
  std::atomic<std::uint64_t> gathered_writes{0};  // socket writes that carried several events

 private:
  struct reactor_state;
  core::io_context_pool& pool_;
  std::vector<std::shared_ptr<reactor_state>> reactors_;
  std::atomic<std::size_t> connections_{0};
};

/**
 * Short-lived, single-use stream tickets (`POST /v1/stream/ticket`) for browsers, which cannot
 * set an Authorization header on a WebSocket. A ticket names the user and the API key's
 * instance scope it was issued for; only its SHA-256 is kept. Bounded in count.
 */
class ticket_book {
 public:
  struct grant {
    std::string user_id;
    std::vector<std::string> scope;  // API key instance scope; empty = all of the user's
  };
  explicit ticket_book(std::chrono::milliseconds ttl, std::size_t max_outstanding = 100'000)
      : ttl_(ttl), max_(max_outstanding) {}
  /** A new ticket, or nullopt when too many are outstanding. */
  std::optional<std::string> issue(grant g);
  /** The grant of a valid ticket, consuming it; nullopt when unknown, used or expired. */
  std::optional<grant> redeem(std::string_view ticket);
  std::chrono::milliseconds ttl() const noexcept { return ttl_; }

 private:
  using clock = std::chrono::steady_clock;
  struct entry {
    grant g;
    clock::time_point expires;
  };
  void purge_expired(clock::time_point now);
  std::chrono::milliseconds ttl_;
  std::size_t max_;
  std::mutex mu_;
  std::unordered_map<std::string, entry> by_hash_;
};

}  // namespace enfinito::feed
