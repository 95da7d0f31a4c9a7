#pragma once
/**
 * @file auth::runtime: the in-memory state of authentication that lives as long as the daemon:
 * the sign-in throttle and the per-reactor API-key cache. One instance per app, shared by
 * every reactor through `api::services::auth`.
 *
 * ## API-key cache
 * An API key is checked on every API request, so its lookup (SHA-256 of the key → owner,
 * limits) is cached per reactor (store::change_cache). Invalidation must be immediate on every
 * reactor (a revoked key must fail on the very next request), and a posted "forget this key"
 * message would race with that next request. So the cache is invalidated by the generation of
 * the change stream's `api_keys` and `users` topics, which the store writer moves after any
 * commit that created, revoked or deleted a key, or changed a user's status or role, before
 * that write is acknowledged. No caller invalidates by hand, and no TTL is needed:
 * `enfinitoctl` changes users only by creating or approving them, which no cached key depends
 * on (only found, active keys are cached).
 *
 * ## Sign-in throttle
 * Failed sign-ins are counted per account (email) and per client address in fixed windows.
 * Past the limit the next attempts are refused (429) until the window ends, so an attacker
 * gets at most `max_per_account` guesses per window on an account, and the owner is locked out
 * for at most one window (and can still reset the password). A success clears the account's
 * count. Thread safety: a mutex (sign-ins are rare next to API calls).
 */
#include <enfinito/store/change_cache.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace enfinito::auth {

struct throttle_policy {
  unsigned max_per_account = 10;
  unsigned max_per_address = 50;
  std::chrono::seconds window{900};
};

class signin_throttle {
 public:
  using clock = std::chrono::steady_clock;
  explicit signin_throttle(throttle_policy p) : policy_(p) {}
  /** Seconds to wait when the account or address is over its limit; nullopt when allowed. */
  std::optional<std::chrono::seconds> blocked(std::string_view account, std::string_view address,
                                              clock::time_point now = clock::now());
  void failure(std::string_view account, std::string_view address, clock::time_point now = clock::now());
  void success(std::string_view account);
  /**
   * Counts one event for `key` (e.g. "google_start:<address>") in its own window; returns the
   * wait when `key` already had `max` events in the current window (that event is refused).
   */
  std::optional<std::chrono::seconds> hit(std::string_view key, unsigned max, clock::time_point now = clock::now());

 private:
  struct entry {
    unsigned failures = 0;
    clock::time_point window_start;
  };
  std::optional<std::chrono::seconds> check(const std::string& key, unsigned max, clock::time_point now);
  void count(const std::string& key, clock::time_point now);
  throttle_policy policy_;
  std::mutex mu_;
  std::unordered_map<std::string, entry> entries_;
};

/** What the API-key cache remembers of a key (no secret: it is found by the key's hash). */
struct cached_key {
  std::string key_id;
  std::string user_id;
  std::string role;
  bool read_only = false;
  std::vector<std::string> instance_ids;
  std::int64_t last_touch_s = 0;  // last time last_used_at was written
};

/** Keyed by the key's SHA-256 (hex); reactor-local get/put (store/change_cache.hpp). */
using key_cache = store::change_cache<cached_key>;
inline constexpr store::change_mask key_cache_topics = store::change::api_keys | store::change::users;

class runtime {
 public:
  runtime(std::size_t reactors, throttle_policy p, const store::change_stream& changes)
      : throttle_(p), keys_(reactors, changes, key_cache_topics, {50'000, std::nullopt}) {}
  signin_throttle& throttle() noexcept { return throttle_; }
  key_cache& keys() noexcept { return keys_; }

 private:
  signin_throttle throttle_;
  key_cache keys_;
};

}  // namespace enfinito::auth
