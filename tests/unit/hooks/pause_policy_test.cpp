// hooks::pause_policy: the failure run, the pause and the retry schedule of customer webhook
// deliveries, driven by a manual clock (no store, no sockets, no sleeping).
#include "support/manual_clock.hpp"

#include <enfinito/hooks/pause_policy.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace enfinito;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

constexpr std::int64_t ms(milliseconds d) { return d.count(); }

const hooks::pause_limits limits{3, ms(hours(1))};  // 3 failures spanning at least an hour

hooks::attempt_result failed(std::string_view error = "HTTP 500") { return {false, true, std::nullopt, error}; }
hooks::attempt_result delivered() { return {true, true, std::nullopt, {}}; }

// Records `n` failed attempts `every` apart, the first at the clock's now.
hooks::run_step fail_n(test::manual_clock& clock, store::hooks::failure_run run, int n, milliseconds every) {
  hooks::run_step step{std::move(run), false};
  for (int i = 0; i < n; ++i) {
    if (i > 0) clock.advance(every);
    step = hooks::after_attempt(limits, std::move(step.run), failed(), clock.now());
    if (step.paused) break;
  }
  return step;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hooks_pause_policy)

BOOST_AUTO_TEST_CASE(a_failure_starts_and_extends_the_run) {
  test::manual_clock clock;
  const auto start = clock.now();
  auto step = hooks::after_attempt(limits, {}, failed(), clock.now());
  BOOST_TEST(step.run.failure_count == 1);
  BOOST_TEST(*step.run.failing_since == start);
  BOOST_TEST(!step.paused);
  clock.advance(minutes(5));
  step = hooks::after_attempt(limits, step.run, failed(), clock.now());
  BOOST_TEST(step.run.failure_count == 2);
  BOOST_TEST(*step.run.failing_since == start);  // the run's start stays its first failure
  BOOST_TEST(step.run.state == "active");
}

BOOST_AUTO_TEST_CASE(a_delivery_ends_the_run) {
  test::manual_clock clock;
  auto step = fail_n(clock, {}, 2, minutes(1));
  step = hooks::after_attempt(limits, step.run, delivered(), clock.advance(seconds(1)));
  BOOST_TEST(step.run.failure_count == 0);
  BOOST_TEST(!step.run.failing_since);
  BOOST_TEST(!step.paused);
}

BOOST_AUTO_TEST_CASE(a_burst_of_failures_does_not_pause) {
  // Many failures, but within a short outage: below max_failing_ms.
  test::manual_clock clock;
  auto step = fail_n(clock, {}, 100, seconds(10));
  BOOST_TEST(!step.paused);
  BOOST_TEST(step.run.failure_count == 100);
  BOOST_TEST(step.run.state == "active");
}

BOOST_AUTO_TEST_CASE(a_long_run_of_few_failures_does_not_pause) {
  // A day of failing, but only two attempts: below max_failures.
  test::manual_clock clock;
  auto step = fail_n(clock, {}, 2, hours(12));
  BOOST_TEST(!step.paused);
  BOOST_TEST(step.run.state == "active");
}

BOOST_AUTO_TEST_CASE(both_thresholds_pause_with_a_reason) {
  test::manual_clock clock;
  clock.now_ms = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
  auto step = fail_n(clock, {}, 3, minutes(30));
  BOOST_TEST(step.paused);  // third failure, an hour after the first
  BOOST_TEST(step.run.state == "paused");
  BOOST_TEST(step.run.failure_count == 3);
  BOOST_TEST(step.run.paused_reason == "failed 3 consecutive attempts since 2027-01-15T08:00:00Z (last: HTTP 500)");
}

BOOST_AUTO_TEST_CASE(the_thresholds_are_inclusive) {
  test::manual_clock clock;
  auto step = fail_n(clock, {}, 2, minutes(30));
  clock.advance(minutes(30) - milliseconds(1));
  BOOST_TEST(!hooks::after_attempt(limits, step.run, failed(), clock.now()).paused);  // 1 ms short
  clock.advance(milliseconds(1));
  BOOST_TEST(hooks::after_attempt(limits, step.run, failed(), clock.now()).paused);  // exactly an hour
}

BOOST_AUTO_TEST_CASE(a_paused_endpoint_keeps_counting_and_does_not_pause_again) {
  test::manual_clock clock;
  auto step = fail_n(clock, {}, 3, minutes(30));
  BOOST_TEST_REQUIRE(step.paused);
  const auto reason = step.run.paused_reason;
  step = hooks::after_attempt(limits, step.run, failed("timeout"), clock.advance(minutes(1)));
  BOOST_TEST(!step.paused);  // an attempt already in flight when it paused
  BOOST_TEST(step.run.failure_count == 4);
  BOOST_TEST(step.run.paused_reason == reason);
  // Time alone changes nothing: still paused hours later, until the owner resumes it.
  clock.advance(hours(48));
  BOOST_TEST(step.run.state == "paused");
  // A late delivery ends the run but does not resume the endpoint.
  step = hooks::after_attempt(limits, step.run, delivered(), clock.now());
  BOOST_TEST(step.run.failure_count == 0);
  BOOST_TEST(step.run.state == "paused");
}

BOOST_AUTO_TEST_CASE(an_owner_pause_is_kept) {
  test::manual_clock clock;
  store::hooks::failure_run run;
  run.state = "paused";
  run.paused_reason = "paused by the owner";
  auto step = fail_n(clock, run, 10, hours(1));
  BOOST_TEST(!step.paused);
  BOOST_TEST(step.run.paused_reason == "paused by the owner");
  BOOST_TEST(step.run.failure_count == 10);
}

BOOST_AUTO_TEST_CASE(a_resumed_run_starts_over) {
  // The owner's resume (store::hooks::update) clears the run; the next failure starts anew.
  test::manual_clock clock;
  store::hooks::failure_run resumed;
  auto step = hooks::after_attempt(limits, resumed, failed(), clock.now());
  BOOST_TEST(step.run.failure_count == 1);
  BOOST_TEST(*step.run.failing_since == clock.now());
}

BOOST_AUTO_TEST_CASE(reason_without_an_error) {
  BOOST_TEST(hooks::pause_reason(50, 0, "") ==
             "failed 50 consecutive attempts since 1970-01-01T00:00:00Z (last: failed)");
  BOOST_TEST(hooks::pause_reason(7, 1'800'000'000'999, "cannot connect") ==
             "failed 7 consecutive attempts since 2027-01-15T08:00:00Z (last: cannot connect)");
}

struct retry_row {
  const char* name;
  unsigned attempts;
  hooks::attempt_result result;
  std::optional<std::int64_t> after;  // expected delay from now, nullopt: never
};

BOOST_AUTO_TEST_CASE(retry_schedule) {
  const hooks::retry_limits retry{5, minutes(10)};
  const milliseconds backoff = seconds(40);
  const std::vector<retry_row> rows = {
      {"delivered: no retry", 1, delivered(), std::nullopt},
      {"failed: after the backoff", 1, failed(), ms(seconds(40))},
      {"failed, last allowed attempt but one", 4, failed(), ms(seconds(40))},
      {"failed, attempts used up", 5, failed(), std::nullopt},
      {"Retry-After wins over the backoff", 2, {false, true, seconds(90), "HTTP 503"}, ms(seconds(90))},
      {"Retry-After capped", 2, {false, true, hours(5), "HTTP 429"}, ms(minutes(10))},
      {"Retry-After zero: at once", 2, {false, true, milliseconds(0), "HTTP 503"}, 0},
      {"Retry-After, attempts used up", 5, {false, true, seconds(90), "HTTP 503"}, std::nullopt},
      {"not retryable (the event is gone)", 1, {false, false, std::nullopt, "gone"}, std::nullopt},
  };
  test::manual_clock clock;
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto at = hooks::next_attempt_at(retry, r.attempts, r.result, backoff, clock.now());
      BOOST_TEST(at.has_value() == r.after.has_value());
      if (at && r.after) BOOST_TEST(*at - clock.now() == *r.after);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
