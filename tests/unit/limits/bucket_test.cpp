// limits::take (the GCRA token bucket) and limits::limiter, driven by a manual clock: the burst,
// the refill rate exactly, Retry-After, refusals costing nothing, per-key and per-tenant
// buckets, overrides applied at once, the same bucket seen from every reactor, and the
// draft-ietf-httpapi-ratelimit-headers field values.
#include <enfinito/limits/bucket.hpp>
#include <enfinito/limits/limiter.hpp>

#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace enfinito::limits;
using namespace std::chrono_literals;

namespace {
std::int64_t ns(const test::manual_clock& c) { return c.now() * 1'000'000; }
}  // namespace

BOOST_AUTO_TEST_SUITE(limits_bucket)

BOOST_AUTO_TEST_CASE(a_full_bucket_allows_its_burst_then_refuses) {
  test::manual_clock clock;
  const rate r{10, 5};
  std::int64_t tat = 0;
  for (int i = 0; i < 5; ++i) {
    auto v = take(r, tat, ns(clock));
    BOOST_TEST_CONTEXT("request " << i) {
      BOOST_TEST(v.allowed);
      BOOST_TEST(v.remaining == 4 - i);
    }
    tat = v.tat_ns;
  }
  auto refused = take(r, tat, ns(clock));
  BOOST_TEST(!refused.allowed);
  BOOST_TEST(refused.tat_ns == tat);  // a refusal costs nothing
  BOOST_TEST(refused.remaining == 0);
  BOOST_TEST(refused.retry_after_ns == 100'000'000);  // one token every 100 ms
  BOOST_TEST(ceil_s(refused.retry_after_ns) == 1);
  BOOST_TEST(refused.full_in_ns == 500'000'000);
}

BOOST_AUTO_TEST_CASE(the_bucket_refills_at_its_rate_exactly) {
  test::manual_clock clock;
  const rate r{10, 5};
  std::int64_t tat = 0;
  for (int i = 0; i < 5; ++i) tat = take(r, tat, ns(clock)).tat_ns;
  clock.advance(99ms);
  BOOST_TEST(!take(r, tat, ns(clock)).allowed);
  clock.advance(1ms);
  auto v = take(r, tat, ns(clock));
  BOOST_TEST(v.allowed);
  BOOST_TEST(v.remaining == 0);
  tat = v.tat_ns;
  // Sustained: over 10 s at one request per ms, exactly 10 per second pass.
  int passed = 0;
  for (int i = 0; i < 10'000; ++i) {
    clock.advance(1ms);
    auto w = take(r, tat, ns(clock));
    if (w.allowed) ++passed, tat = w.tat_ns;
  }
  BOOST_TEST(passed == 100);
  // Idle for longer than the window: full again, never more than the burst.
  clock.advance(60s);
  int burst = 0;
  for (int i = 0; i < 20; ++i) {
    auto w = take(r, tat, ns(clock));
    if (w.allowed) ++burst, tat = w.tat_ns;
  }
  BOOST_TEST(burst == 5);
}

BOOST_AUTO_TEST_CASE(zero_rate_means_no_limit) {
  const rate off{0, 0};
  BOOST_TEST(off.unlimited());
  for (int i = 0; i < 1000; ++i) BOOST_TEST(take(off, 0, 0).allowed);
}

BOOST_AUTO_TEST_CASE(window_is_the_refill_time_in_whole_seconds) {
  BOOST_TEST((rate{10, 5}.window_s()) == 1);
  BOOST_TEST((rate{100, 500}.window_s()) == 5);
  BOOST_TEST((rate{3, 10}.window_s()) == 4);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits_limiter)

BOOST_AUTO_TEST_CASE(a_key_is_limited_by_its_bucket_and_its_tenants) {
  test::manual_clock clock;
  limiter l(2, policy{{10, 3}, {10, 5}});
  for (int i = 0; i < 3; ++i) BOOST_TEST(l.admit(0, "usr_a", "key_1", ns(clock)).allowed);
  auto d = l.admit(0, "usr_a", "key_1", ns(clock));
  BOOST_TEST(!d.allowed);
  BOOST_TEST((d.refused_by == scope::key));
  BOOST_TEST(retry_after_s(d) == 1);
  // Another key of the same tenant has its own bucket, but shares the tenant's (2 left).
  BOOST_TEST(l.admit(1, "usr_a", "key_2", ns(clock)).allowed);
  BOOST_TEST(l.admit(1, "usr_a", "key_2", ns(clock)).allowed);
  auto t = l.admit(1, "usr_a", "key_2", ns(clock));
  BOOST_TEST(!t.allowed);
  BOOST_TEST((t.refused_by == scope::tenant));
  BOOST_TEST(l.rejected(scope::key) == 1u);
  BOOST_TEST(l.rejected(scope::tenant) == 1u);
  BOOST_TEST(t.key.remaining == 1);
  // The tenant's refusal gave key_2's token back: 100 ms later (one token each), key_2 spends
  // its second-to-last, not its last.
  clock.advance(100ms);
  auto after = l.admit(0, "usr_a", "key_2", ns(clock));
  BOOST_TEST(after.allowed);
  BOOST_TEST(after.key.remaining == 1);
}

BOOST_AUTO_TEST_CASE(tenants_do_not_share_buckets) {
  test::manual_clock clock;
  limiter l(2, policy{{10, 2}, {10, 2}});
  for (int i = 0; i < 100; ++i) l.admit(0, "usr_noisy", "key_n", ns(clock));
  BOOST_TEST(l.admit(0, "usr_quiet", "key_q", ns(clock)).allowed);
  BOOST_TEST(l.admit(1, "usr_quiet", "", ns(clock)).allowed);  // a session: tenant bucket only
}

BOOST_AUTO_TEST_CASE(every_reactor_sees_the_same_bucket) {
  test::manual_clock clock;
  limiter l(4, policy{{10, 4}, {0, 0}});
  int passed = 0;
  for (std::size_t i = 0; i < 16; ++i) passed += l.admit(i % 4, "usr_a", "key_1", ns(clock)).allowed ? 1 : 0;
  BOOST_TEST(passed == 4);  // not 4 per reactor
}

BOOST_AUTO_TEST_CASE(an_override_applies_to_existing_and_new_buckets) {
  test::manual_clock clock;
  limiter l(1, policy{{10, 1}, {10, 1}});
  BOOST_TEST(l.admit(0, "usr_a", "key_1", ns(clock)).allowed);
  BOOST_TEST(!l.admit(0, "usr_a", "key_1", ns(clock)).allowed);
  l.set_override("usr_a", tenant_rates{rate{10, 3}, rate{10, 10}});
  BOOST_TEST((l.effective("usr_a").key == rate{10, 3}));
  BOOST_TEST((l.effective("usr_b").key == rate{10, 1}));
  BOOST_TEST(l.admit(0, "usr_a", "key_1", ns(clock)).allowed);  // the larger burst, at once
  BOOST_TEST(l.admit(0, "usr_a", "key_2", ns(clock)).allowed);  // a new key gets the override
  BOOST_TEST(l.admit(0, "usr_a", "key_2", ns(clock)).allowed);
  l.set_override("usr_a", tenant_rates{});  // cleared: back to the defaults
  BOOST_TEST((l.effective("usr_a").key == rate{10, 1}));
  BOOST_TEST(!l.admit(0, "usr_a", "key_2", ns(clock)).allowed);
}

BOOST_AUTO_TEST_CASE(headers_follow_the_draft_syntax) {
  test::manual_clock clock;
  limiter l(1, policy{{100, 500}, {200, 1000}});
  auto d = l.admit(0, "usr_a", "key_1", ns(clock));
  BOOST_TEST(policy_header(d) == R"("key";q=500;w=5, "tenant";q=1000;w=5)");
  BOOST_TEST(ratelimit_header(d) == R"("key";r=499;t=1, "tenant";r=999;t=1)");
  auto s = l.admit(0, "usr_b", "", ns(clock));  // a session: the tenant's policy only
  BOOST_TEST(policy_header(s) == R"("tenant";q=1000;w=5)");
  limiter off(1, policy{{0, 0}, {0, 0}});
  BOOST_TEST(policy_header(off.admit(0, "usr_a", "key_1", 0)).empty());
}

BOOST_AUTO_TEST_SUITE_END()
