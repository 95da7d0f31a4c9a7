// hooks::pause_policy: the failure run, the pause and the retry schedule of customer webhook
// deliveries (pause_policy.hpp).
#include <enfinito/hooks/pause_policy.hpp>

#include <algorithm>
#include <ctime>

namespace enfinito::hooks {

namespace {

// RFC 3339 in UTC, to the second (e.g. 2026-12-07T05:04:31Z).
std::string utc_time(std::int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (!::gmtime_r(&s, &tm)) return {};
  char out[32];
  const auto n = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(out, n);
}

}  // namespace

std::string pause_reason(std::int64_t failures, std::int64_t failing_since_ms, std::string_view last_error) {
  return "failed " + std::to_string(failures) + " consecutive attempts since " + utc_time(failing_since_ms) +
         " (last: " + std::string(last_error.empty() ? std::string_view("failed") : last_error) + ")";
}

run_step after_attempt(const pause_limits& limits, store::hooks::failure_run run, const attempt_result& r,
                       std::int64_t now_ms) {
  if (r.delivered) {
    run.failure_count = 0;
    run.failing_since.reset();
    return {std::move(run), false};
  }
  ++run.failure_count;
  if (!run.failing_since) run.failing_since = now_ms;
  const bool pause = run.state == "active" && run.failure_count >= limits.max_failures &&
                     now_ms - *run.failing_since >= limits.max_failing_ms;
  if (!pause) return {std::move(run), false};
  run.state = "paused";
  run.paused_reason = pause_reason(run.failure_count, *run.failing_since, r.error);
  return {std::move(run), true};
}

std::optional<std::int64_t> next_attempt_at(const retry_limits& limits, unsigned attempts, const attempt_result& r,
                                            std::chrono::milliseconds backoff, std::int64_t now_ms) {
  if (r.delivered || attempts >= limits.max_attempts) return std::nullopt;
  if (r.retry_after) return now_ms + std::min(*r.retry_after, limits.retry_after_max).count();
  if (!r.retryable) return std::nullopt;
  return now_ms + backoff.count();
}

}  // namespace enfinito::hooks
