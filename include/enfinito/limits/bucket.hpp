#pragma once
/**
 * @file limits::bucket: the token bucket as a pure function, in its GCRA form.
 *
 * A bucket of `burst` tokens refilled at `per_s` tokens a second is the same decision as the
 * generic cell rate algorithm (GCRA, ITU-T I.371) with one number of state: the *theoretical
 * arrival time* `tat`, the instant at which the bucket would be full again. Each request costs
 * one emission interval `T = 1 s / per_s`:
 *
 *     next = max(tat, now) + T
 *     allowed  ⇔  next − now ≤ burst · T          (then tat := next; a refusal changes nothing)
 *     remaining tokens = ⌊(burst · T − (next − now)) / T⌋
 *     refused: wait until now' = next − burst · T  (Retry-After)
 *
 * One 64-bit word of state is what lets the limiter keep a bucket in one `std::atomic` and
 * decide with a single compare-and-swap (limits/limiter.hpp). Times are nanoseconds on a
 * monotonic clock; tests pass a manual clock's milliseconds × 1e6.
 */
#include <cstdint>

namespace enfinito::limits {

/** A bucket's shape. `per_s` 0 means "no limit" (every request allowed). */
struct rate {
  std::int64_t per_s = 0;
  std::int64_t burst = 0;
  constexpr bool unlimited() const noexcept { return per_s <= 0 || burst <= 0; }
  constexpr std::int64_t interval_ns() const noexcept { return per_s > 0 ? 1'000'000'000 / per_s : 0; }
  /** The time in which a drained bucket fills up again: the draft's window `w`, in seconds (≥ 1). */
  constexpr std::int64_t window_s() const noexcept { return per_s > 0 ? (burst + per_s - 1) / per_s : 0; }
  friend constexpr bool operator==(const rate&, const rate&) = default;
};

struct verdict {
  bool allowed = true;
  std::int64_t tat_ns = 0;          // the new state (equal to the old one when refused)
  std::int64_t remaining = 0;       // tokens left after this request
  std::int64_t retry_after_ns = 0;  // refused: when one token will be there
  std::int64_t full_in_ns = 0;      // until the bucket is full again (the draft's `t`)
};

/** Takes one token from the bucket whose state is `tat_ns` at `now_ns`. Pure. */
constexpr verdict take(const rate& r, std::int64_t tat_ns, std::int64_t now_ns) noexcept {
  verdict v;
  if (r.unlimited()) {
    v.tat_ns = tat_ns;
    v.remaining = r.burst;
    return v;
  }
  const std::int64_t t = r.interval_ns();
  const std::int64_t tolerance = r.burst * t;
  const std::int64_t base = tat_ns > now_ns ? tat_ns : now_ns;
  const std::int64_t next = base + t;
  if (next - now_ns > tolerance) {
    v.allowed = false;
    v.tat_ns = tat_ns;
    v.remaining = 0;
    v.retry_after_ns = next - tolerance - now_ns;
    v.full_in_ns = base - now_ns;
    return v;
  }
  v.tat_ns = next;
  v.remaining = (tolerance - (next - now_ns)) / t;
  v.full_in_ns = next - now_ns;
  return v;
}

/** Whole seconds, rounded up (Retry-After and the draft's `t` are integers; never 0 when waiting). */
constexpr std::int64_t ceil_s(std::int64_t ns) noexcept { return ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000; }

}  // namespace enfinito::limits
