#pragma once
/**
 * @file hooks::pause_policy: when a customer webhook delivery is tried again, and when a
 * failing endpoint is paused, as pure functions of the endpoint's failure run, one attempt's
 * result and `now` (unix ms). No I/O and no clock of its own: the engine (engine.cpp) loads the
 * run (store::hooks::load_run), applies the attempt and saves the run (save_run) in the same
 * write as the attempt's outcome; tests drive it with a manual clock.
 *
 * The failure run of an endpoint: `failure_count` consecutive failed attempts since
 * `failing_since` (the first of them).
 *   - A delivered attempt ends the run (count 0, no start), whatever the endpoint's state.
 *   - A failed attempt extends it (count + 1; the first failure sets the start), whatever the
 *     state: a paused endpoint's run keeps counting the attempts still in flight.
 *   - An active endpoint pauses on a failed attempt that leaves BOTH `max_failures` failures in
 *     the run AND `max_failing_ms` since its start: a burst of events during a short outage
 *     makes many failed attempts quickly, yet should not pause an endpoint. The reason says
 *     how many, since when and the last error.
 *   - Time alone changes nothing: a pause is decided when a failed attempt is recorded, and a
 *     paused endpoint stays paused until its owner resumes it, which starts a new run
 *     (store::hooks::update, the owner's PATCH).
 *
 * Retries of one delivery: none once delivered; after the endpoint's Retry-After (capped at
 * `retry_after_max`) when it sent one; else after the backoff the caller drew for this attempt
 * (hooks::backoff), unless the failure is not retryable (the event is gone); never once
 * `max_attempts` attempts were made.
 */
#include <enfinito/store/hooks.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::hooks {

/** When an endpoint's failure run pauses it (config [customer_webhooks]). */
struct pause_limits {
  std::int64_t max_failures = 50;   // pause_after_failures
  std::int64_t max_failing_ms = 0;  // pause_after
};

/** How often and how late one delivery is retried (config [customer_webhooks]). */
struct retry_limits {
  unsigned max_attempts = 45;
  std::chrono::milliseconds retry_after_max{0};
};

/** One attempt's result, as the policy needs it. */
struct attempt_result {
  bool delivered = false;
  bool retryable = true;                                 // false: a retry could not change it
  std::optional<std::chrono::milliseconds> retry_after;  // the endpoint's Retry-After
  std::string_view error;                                // short reason when not delivered
};

/** The run after an attempt, and whether this attempt paused the endpoint. */
struct run_step {
  store::hooks::failure_run run;
  bool paused = false;
};

/** The failure run after one attempt recorded at `now_ms`. */
run_step after_attempt(const pause_limits& limits, store::hooks::failure_run run, const attempt_result& r,
                       std::int64_t now_ms);

/**
 * When to try the delivery again after its `attempts`-th attempt (this one included), or
 * nullopt for never. `backoff`: the delay hooks::backoff drew for this attempt.
 */
std::optional<std::int64_t> next_attempt_at(const retry_limits& limits, unsigned attempts, const attempt_result& r,
                                            std::chrono::milliseconds backoff, std::int64_t now_ms);

/** The visible reason of a pause: "failed N consecutive attempts since <UTC time> (last: …)". */
std::string pause_reason(std::int64_t failures, std::int64_t failing_since_ms, std::string_view last_error);

}  // namespace enfinito::hooks
