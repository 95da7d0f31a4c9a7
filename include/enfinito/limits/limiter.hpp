#pragma once
/**
 * @file limits::limiter: the API's fair shares (issue 20, P10). Every authenticated request
 * takes one token from its API key's bucket (programs) and one from its tenant's bucket (the
 * user who owns the key or the session); when either is empty the request is answered 429
 * before its handler runs, so a tenant over its limit costs the reactors one hash lookup and
 * one atomic load, not a store read or a send.
 *
 * ## Why shared atomic buckets, looked up per reactor
 * The brief allowed two shapes: each reactor owning a share of every bucket (rate / N), or one
 * bucket per key shared by all reactors. A client with one kept-alive connection lands on one
 * reactor for its whole life; with per-reactor shares it would get 1/N of the limit it was
 * promised (and the draft's headers would lie about it). So a key or tenant has exactly one
 * bucket, a single `std::atomic<int64_t>` (the GCRA state, limits/bucket.hpp) on its own cache
 * line, decided by one compare-and-swap. What is per reactor is the *index*: each reactor has
 * its own map from key id / tenant id to the bucket, read and written only on that reactor,
 * so the hot path takes no lock. Only the first request of a key on a reactor (or after a
 * restart) goes to the shared registry under a mutex to find or create the one bucket.
 * Contention on a bucket's cache line happens only when the same key is used from several
 * reactors at the same instant, which is bounded by the reactor count.
 *
 * ## Overrides
 * An administrator's override (`PUT /v1/admin/users/{id}/limits`, stored in tenant_limits)
 * is applied with `set_override`: it rewrites the rate of the tenant's existing buckets (two
 * relaxed atomics each, read on every take) and is kept for buckets made later. The app loads
 * all overrides at startup, before the reactors run.
 *
 * ## Memory
 * One bucket per key id and tenant id seen since start (about 150 bytes each, twice more per
 * reactor index entry). Keys are bounded by the API-key quota and tenants by sign-ups; only
 * authenticated principals reach the limiter, so a stranger cannot grow it.
 *
 * Thread safety: `admit(reactor, ...)` only on that reactor's thread; `set_override`,
 * `rejected` and `render_metrics` from any thread.
 */
#include <enfinito/limits/bucket.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace enfinito::limits {

/** The default buckets (settings `[rate_limits]`). */
struct policy {
  rate key;     // per API key
  rate tenant;  // per user (all their keys and sessions together)
};

/** An administrator's per-tenant override; an empty field keeps the default. */
struct tenant_rates {
  std::optional<rate> key;
  std::optional<rate> tenant;
};

enum class scope { key, tenant };

/** The outcome of one admission, with what the response headers report. */
struct decision {
  bool allowed = true;
  scope refused_by = scope::tenant;  // when !allowed
  bool has_key = false;              // a key bucket was consulted (API-key requests)
  rate key_rate, tenant_rate;
  verdict key, tenant;
};

class limiter {
 public:
  limiter(std::size_t reactors, policy defaults);
  ~limiter();
  limiter(const limiter&) = delete;
  limiter& operator=(const limiter&) = delete;

  /**
   * Takes a token from the tenant's bucket and, when `key_id` is not empty, from the key's.
   * A refusal by the tenant's bucket gives the key's token back, so a refused request costs
   * nothing. `now_ns` is a monotonic time (core::steady_ms() × 1e6 in the daemon).
   */
  decision admit(std::size_t reactor, std::string_view tenant, std::string_view key_id, std::int64_t now_ns);

  /** Sets (or, with both fields empty, clears) a tenant's override; applies at once. */
  void set_override(const std::string& tenant, const tenant_rates& r);
  /** The rates that apply to a tenant now (defaults with its override). */
  policy effective(const std::string& tenant) const;
  const policy& defaults() const noexcept { return defaults_; }

  std::uint64_t rejected(scope s) const noexcept;
  /** Prometheus text: refusals by scope (two series, no per-tenant label). */
  void render_metrics(std::string& out) const;

 private:
  struct cell;
  struct index;
  std::shared_ptr<cell> find_or_make(bool is_key, std::string_view id, std::string_view tenant);
  policy effective_locked(const std::string& tenant) const;

  policy defaults_;
  std::vector<std::unique_ptr<index>> reactors_;
  mutable std::mutex mu_;  // the registry below: cold path only
  std::unordered_map<std::string, std::shared_ptr<cell>> keys_, tenants_;
  std::unordered_map<std::string, tenant_rates> overrides_;
  std::array<std::atomic<std::uint64_t>, 2> rejected_{};
};

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-10): `"key";q=500;w=5, "tenant";q=...`. */
std::string policy_header(const decision& d);
/** `RateLimit`: `"key";r=0;t=1, "tenant";r=12;t=3` (remaining tokens, seconds until full). */
std::string ratelimit_header(const decision& d);
/** `Retry-After` seconds of a refusal (≥ 1). */
std::int64_t retry_after_s(const decision& d);

}  // namespace enfinito::limits
