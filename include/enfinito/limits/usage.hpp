#pragma once
/**
 * @file limits::usage_book: messages sent and received per tenant per UTC day, counted from
 * the store's change stream (the `message.accepted` and `message.received` events of each
 * committed group) and added to `usage_daily` by a periodic flush, so the send path pays for
 * neither a write nor a lock: the count runs on the store writer after COMMIT, once per
 * group, and the flush is one small write every few seconds.
 *
 * "Sent" is a message the API accepted (what the tenant asked to send, whatever Meta did with
 * it later); "received" is an inbound message Meta delivered. What is counted but not yet
 * flushed is added to the table's figures when read, so the API is exact while the daemon runs;
 * a crash loses at most one flush interval of counts.
 *
 * `/metrics` shows totals only (two series: sent, received, since start). Per-tenant series
 * would grow with the tenants, and a top-N label set churns series as the ranking moves; the
 * per-tenant figures are on the API (`GET /v1/me/usage`, `GET /v1/admin/users/{id}/usage`).
 *
 * Thread safety: every member may be called from any thread (a mutex, never held across I/O;
 * taken once per committed group and once per read or flush, never per request).
 */
#include <enfinito/store/events.hpp>
#include <enfinito/store/limits.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace enfinito::limits {

/** Days since 1970-01-01 UTC of a unix time in ms. */
constexpr std::int64_t utc_day(std::int64_t unix_ms) noexcept {
  return unix_ms >= 0 ? unix_ms / 86'400'000 : (unix_ms - 86'399'999) / 86'400'000;
}

class usage_book {
 public:
  using key = std::pair<std::string, std::int64_t>;  // (user id, day)

  /** Counts the message events of one committed group. */
  void count(const std::vector<store::events::event>& events);

  /** Moves out what was counted since the last take (to be flushed). */
  std::vector<std::pair<std::string, store::limits::usage_day>> take();
  /** Puts back counts whose flush failed. */
  void give_back(const std::vector<std::pair<std::string, store::limits::usage_day>>& counts);
  /** Adds the tenant's unflushed counts in [from_day, to_day] to `days` (ascending, merged). */
  void add_pending(const std::string& user_id, std::int64_t from_day, std::int64_t to_day,
                   std::vector<store::limits::usage_day>& days) const;

  std::uint64_t sent_total() const noexcept { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t received_total() const noexcept { return received_.load(std::memory_order_relaxed); }
  /** Prometheus text: enfinito_messages_counted_total{direction="sent"|"received"}. */
  void render_metrics(std::string& out) const;

 private:
  mutable std::mutex mu_;
  std::map<key, store::limits::usage_day> pending_;
  std::atomic<std::uint64_t> sent_{0}, received_{0};
};

}  // namespace enfinito::limits
