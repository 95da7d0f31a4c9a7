#pragma once
/**
 * @file store::change_set and store::change_stream: what one committed group changed, and the
 * one place the rest of the daemon hears of it.
 *
 * ## Declaring a change
 * A store write function that changes something another part of the daemon caches or waits
 * for says so where it changes it, on the connection it was given:
 *
 *     mark(c, change::api_keys);                  // a key was revoked
 *     mark_instance(c, id);                       // this instance's row changed
 *
 * On the writer connection the marks go into the group's change set; on any other connection
 * (readers, enfinitoctl's own connection) they are ignored. The writer drops the marks of a
 * request whose SAVEPOINT rolled back, and the whole set when COMMIT fails.
 *
 * ## Publishing
 * After each COMMIT that succeeded, and before any completion of the group is posted, the store
 * writer calls `change_stream::publish` once with the group's set (events appended by
 * events::append, and the marks). `publish` first moves the generation of every changed topic,
 * then calls the subscribers in subscription order, on the writer thread: they must only hand
 * the news on (post to a reactor, cancel a timer) and never block.
 *
 * Caches do not subscribe with a function: they read `generation(topics)` before their store
 * read and keep an entry only while that generation stands (core/change_cache.hpp). Because the
 * generation moves before the writer acknowledges the write, a request that follows the
 * acknowledged change on any reactor never sees the old entry.
 *
 * ## The seam for other publishers
 * Another process's writes (a second node, issue 17: PostgreSQL's LISTEN/NOTIFY) would reach
 * the daemon by calling `publish` with the set they describe; subscribers cannot tell the
 * difference. Writes made by `enfinitoctl` on its own connection are not seen: see the
 * instance cache's TTL (api/instance_cache.hpp).
 *
 * Thread safety: `subscribe` at startup, before the first write; `publish` from one thread at a
 * time (the store writer); `generation` from any thread.
 */
#include <enfinito/store/events.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store {

class connection;

/** What a committed group may have changed, besides its events. */
enum class change : std::uint32_t {
  instances = 1u << 0,        // an instance row (its credentials, status, settings) or its deletion
  api_keys = 1u << 1,         // a key created, revoked, changed or deleted
  sessions = 1u << 2,         // a session created or ended
  users = 1u << 3,            // a user's status, role or existence
  hook_endpoints = 1u << 4,   // a customer-webhook endpoint created, changed, paused, resumed or deleted
  hook_deliveries = 1u << 5,  // a customer-webhook delivery made due (created, redelivered, retried)
  media_jobs = 1u << 6,       // an inbound media fetch queued or rescheduled, or a file to delete
  templates = 1u << 7,        // an instance's template copy, or its sync and webhook state (store/templates.hpp)
  windows = 1u << 8,          // a customer wrote in: a 24-hour window opened or moved (conversations)
};
inline constexpr std::size_t change_kinds = 9;
using change_mask = std::uint32_t;
constexpr change_mask operator|(change a, change b) noexcept {
  return static_cast<change_mask>(a) | static_cast<change_mask>(b);
}
constexpr change_mask operator|(change_mask a, change b) noexcept { return a | static_cast<change_mask>(b); }

/** What one committed group changed. */
struct change_set {
  change_mask changed = 0;
  std::vector<events::event> events;   // appended by the group's writes, in id order
  std::vector<std::string> instances;  // ids of changed instances (with `change::instances`), may repeat

  bool has(change k) const noexcept { return (changed & static_cast<change_mask>(k)) != 0; }
  bool any(change_mask m) const noexcept { return (changed & m) != 0; }
  bool empty() const noexcept { return changed == 0 && events.empty(); }
  void clear() noexcept {
    changed = 0;
    events.clear();
    instances.clear();
  }
};

/** Declares, inside a write function, that it changed `k` (ignored off the writer). */
void mark(connection& c, change k) noexcept;
/** Declares that instance `id` changed (its row, status, credentials or existence). */
void mark_instance(connection& c, std::string_view id);

class change_stream {
 public:
  using subscriber = std::function<void(const change_set&)>;

  /** At startup, before the writes it should hear of. Subscribers run in this order. */
  void subscribe(subscriber fn);
  bool has_subscribers() const noexcept { return has_subscribers_.load(std::memory_order_acquire); }

  /** Moves the generations of what `cs` changed, then tells every subscriber. Never throws. */
  void publish(const change_set& cs) noexcept;

  /**
   * A number that grows whenever any topic in `topics` changes (the sum of their generations).
   * The `instances` topic's generation is process-wide: store::instances::generation().
   */
  std::uint64_t generation(change_mask topics) const noexcept;

 private:
  std::mutex mu_;  // subscribers_: uncontended after startup, held while they run
  std::vector<subscriber> subscribers_;
  std::atomic<bool> has_subscribers_{false};
  std::array<std::atomic<std::uint64_t>, change_kinds> generations_{};
};

}  // namespace enfinito::store
