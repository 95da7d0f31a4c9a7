#pragma once
/**
 * @file instances::webhook_health: does Meta still send an instance's webhooks?
 *
 * The inbound flow notes each stored webhook POST here (`note_webhook`, one short lock, no
 * store write), and the send path's `message.sent` events reach `note_sent` through the store's
 * change stream. The instance watch (instances/watch.hpp) flushes what changed to
 * `instance_health.last_webhook_at` / `last_status_at` at most once per
 * `onboarding.watch_interval_ms`, for all instances in one write, and asks decide_silence
 * (pure) whether an instance fell silent: it sent messages, and no status webhook came for
 * `inbound.silent_after_ms` since the oldest of them. The flag and its
 * `instance.webhooks_silent` event clear when a status webhook arrives again.
 *
 * Thread safety: every member of webhook_activity may be called from any thread.
 */
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace enfinito::instances {

class webhook_activity {
 public:
  struct entry {
    std::optional<std::int64_t> webhook_at;     // newest webhook POST stored (unix ms)
    std::optional<std::int64_t> status_at;      // newest one carrying statuses
    std::optional<std::int64_t> waiting_since;  // oldest send after the newest status
    bool dirty = false;                         // webhook_at/status_at not flushed yet
  };

  /** A webhook POST for the instance was stored at `at_ms`; `statuses`: it carried some. */
  void note_webhook(std::string_view instance_id, std::int64_t at_ms, bool statuses);
  /** Meta accepted a message of the instance at `at_ms` (its `message.sent`). */
  void note_sent(std::string_view instance_id, std::int64_t at_ms);
  /** The instances whose webhook times changed since the last call, with their entries. */
  std::vector<std::pair<std::string, entry>> take_dirty();
  /** The instance's entry (a default one when unknown). */
  entry get(std::string_view instance_id) const;
  /** Forgets the instance (deleted). */
  void forget(std::string_view instance_id);
  /**
   * Forgets every instance not in `live` (sorted ascending): those deleted since they were
   * noted, by whatever path (the API, a user's deletion, enfinitoctl). The watch calls it each
   * pass with the ids the store holds. Returns how many it forgot.
   */
  std::size_t forget_all_but(const std::vector<std::string>& live);
  /** How many instances it holds an entry for. */
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, entry> by_instance_;
};

/** What decide_silence looks at. Times are unix ms. */
struct silence_input {
  bool flagged = false;                        // instance_health.webhooks_silent
  std::optional<std::int64_t> silent_since;    // its silent_since
  std::optional<std::int64_t> waiting_since;   // oldest send without a status after it
  std::optional<std::int64_t> last_status_at;  // newest status webhook
  std::int64_t now = 0;
  std::int64_t silent_after = 0;  // inbound.silent_after_ms
};

enum class silence_change { none, became_silent, recovered };

/**
 * Pure. Not flagged: silent when a send has waited `silent_after` with no status webhook since
 * it. Flagged: recovered when a status webhook arrived at or after `silent_since`.
 */
silence_change decide_silence(const silence_input& in) noexcept;

}  // namespace enfinito::instances
