// outbound::send_window (sans-I/O) driven by a manual clock and a store kept in a std::map:
// per-recipient order under retries, one send in flight per recipient, the rate per number
// (exactly, with a moved clock), the window and in-flight caps, reloads through a small
// window, leases after a failed commit, retry backoff bounds, throttles and the reauth pause.
#include <enfinito/meta/client.hpp>
#include <enfinito/outbound/send_window.hpp>

#include "support/graph_error.hpp"

#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace enfinito;
using test::graph_error_of;
using namespace enfinito::outbound;
using namespace std::chrono_literals;

namespace {

// The dispatcher's loop (outbound/queue.cpp) without I/O: a store of queued jobs in a map,
// leases that always succeed for jobs the store still holds, and attempts whose verdict the
// test chooses.
struct rig {
  explicit rig(window_options o) : opts(o), w(o, clock.now()) {}

  struct stored {
    std::string peer;
    std::int64_t due = 0;
  };

  test::manual_clock clock;
  window_options opts;
  send_window w;
  std::map<std::int64_t, stored> store;  // queued or in flight, not resolved
  std::int64_t next_seq = 1;
  std::vector<std::pair<std::string, std::int64_t>> sent;  // (peer, seq) in the order Meta got them
  std::vector<std::int64_t> sent_at;                       // their times
  std::size_t most_held = 0;

  instant now() const { return {clock.now(), clock.now()}; }

  // The accept commits a job, then notifies.
  std::int64_t accept(const std::string& peer, bool announce = true) {
    const auto seq = next_seq++;
    store[seq] = {peer, clock.now()};
    if (announce) w.offer(seq, peer, clock.now());
    return seq;
  }

  // Step 1 of the loop: load when the window asks.
  void load(bool row_changed = false) {
    if (!w.wants_load(row_changed)) return;
    auto l = w.begin_load();
    std::size_t n = 0;
    for (auto it = store.upper_bound(l.after); it != store.end() && n < l.room; ++it, ++n)
      w.loaded(it->first, it->second.peer, it->second.due);
    w.end_load(l, n);
    most_held = std::max(most_held, w.size());
  }

  // Steps 2 and 3: pick and lease. Returns the seqs now in flight.
  std::vector<std::int64_t> pick(std::optional<std::int64_t>* wait = nullptr) {
    std::vector<std::int64_t> out;
    if (w.idle()) return out;
    auto wt = w.pick(now(), out);
    if (wait) *wait = wt;
    std::vector<std::int64_t> started;
    for (auto seq : out) {
      if (store.contains(seq)) {
        w.started(seq);
        started.push_back(seq);
      } else {
        w.not_leased(seq);
      }
    }
    return started;
  }

  // Meta took it.
  void succeed(std::int64_t seq) {
    sent.emplace_back(w.peer_of(seq), seq);
    sent_at.push_back(clock.now());
    store.erase(seq);
    w.resolved(seq, true);
  }

  // A retryable failure: judged, then committed as a retry.
  void fail(std::int64_t seq, const meta::graph_error& e, std::int64_t attempts, double unit = 0.5) {
    retry_policy p{12, 1000ms, 900'000ms, 6000ms};
    auto v = judge(&e, {}, attempts, w.pair_repeats(seq), p, unit);
    BOOST_REQUIRE(v.what == verdict::kind::retry);
    w.judged(seq, v, now());
    store[seq].due = clock.now() + v.delay.count();
    w.retry_at(seq, store[seq].due);
  }
};

window_options fast(std::size_t cap = 4096) {
  window_options o;
  o.cap = cap;
  o.max_in_flight = 32;
  o.rate = 100'000;
  o.burst = 100'000;
  return o;
}

// The most entries of `at` (sorted) any one-second window holds.
std::size_t busiest_second(const std::vector<std::int64_t>& at) {
  std::size_t worst = 0;
  for (std::size_t i = 0, j = 0; i < at.size(); ++i) {
    while (j < at.size() && at[j] < at[i] + 1000) ++j;
    worst = std::max(worst, j - i);
  }
  return worst;
}

// Sends everything `r` holds, 1 ms per step, every attempt answered at once; `fails` says
// which attempts Meta refuses with a retryable error. Checks one in flight per recipient.
template <class Fails>
void drain(rig& r, Fails fails, std::chrono::milliseconds limit) {
  std::map<std::int64_t, std::int64_t> attempts;
  const auto until = r.clock.now() + limit.count();
  while (!r.store.empty() && r.clock.now() < until) {
    r.load();
    auto batch = r.pick();
    std::set<std::string> peers;
    for (auto seq : batch) BOOST_REQUIRE(peers.insert(r.w.peer_of(seq)).second);  // one per recipient
    for (auto seq : batch) {
      const auto n = ++attempts[seq];
      if (fails(seq, n))
        r.fail(seq, graph_error_of(131000), n, 0.0);
      else
        r.succeed(seq);
    }
    r.clock.advance(1ms);
  }
  BOOST_REQUIRE(r.store.empty());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outbound_send_window)

BOOST_AUTO_TEST_CASE(one_in_flight_per_recipient_in_seq_order) {
  rig r(fast());
  r.load();  // the first load finds the store empty: everything after it is offered directly
  const auto a1 = r.accept("A"), a2 = r.accept("A"), b1 = r.accept("B"), a3 = r.accept("A"), b2 = r.accept("B");
  auto first = r.pick();
  BOOST_TEST(first == (std::vector<std::int64_t>{a1, b1}));
  BOOST_TEST(r.w.in_flight() == 2u);
  BOOST_TEST(r.pick().empty());  // both recipients have one in flight
  r.succeed(b1);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{b2}));
  r.succeed(a1);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{a2}));
  r.succeed(a2);
  r.succeed(b2);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{a3}));
  r.succeed(a3);
  BOOST_TEST(r.w.size() == 0u);
  BOOST_TEST(r.w.in_flight() == 0u);
}

// Twin of the former integration test order_per_recipient_holds_under_retries: 5 recipients,
// 12 messages each, 30% of attempts refused (131000): each recipient gets its messages in
// order, and never two at once.
BOOST_AUTO_TEST_CASE(order_per_recipient_holds_under_retries) {
  rig r(fast());
  for (int n = 0; n < 12; ++n)
    for (int p = 0; p < 5; ++p) r.accept("1555000000" + std::to_string(p));
  std::mt19937 rng(7);
  drain(
      r, [&](std::int64_t, std::int64_t) { return std::uniform_real_distribution<>(0, 1)(rng) < 0.3; }, 3600s);
  std::map<std::string, std::vector<std::int64_t>> by_peer;
  for (const auto& [peer, seq] : r.sent) by_peer[peer].push_back(seq);
  BOOST_REQUIRE_EQUAL(by_peer.size(), 5u);
  for (const auto& [peer, seqs] : by_peer) {
    BOOST_TEST_CONTEXT("peer " << peer) {
      BOOST_REQUIRE_EQUAL(seqs.size(), 12u);
      BOOST_TEST(std::is_sorted(seqs.begin(), seqs.end()));
    }
  }
}

// A retry holds back later messages to that recipient, never other recipients.
BOOST_AUTO_TEST_CASE(a_retry_holds_back_only_its_recipient) {
  rig r(fast());
  r.load();
  const auto a1 = r.accept("A"), a2 = r.accept("A"), b1 = r.accept("B");
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{a1, b1}));
  r.fail(a1, graph_error_of(131000), 1, 0.0);  // 1 s · 2^0, jitter 0: 500 ms
  r.succeed(b1);
  std::optional<std::int64_t> wait;
  BOOST_TEST(r.pick(&wait).empty());  // a2 waits behind a1
  BOOST_TEST(wait.value_or(-1) == 500);
  const auto b2 = r.accept("B");
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{b2}));
  r.clock.advance(499ms);
  BOOST_TEST(r.pick().empty());
  r.clock.advance(1ms);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{a1}));
  r.succeed(a1);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{a2}));
}

// Twin of the former integration test a_small_window_still_delivers_everything_in_order: 16
// jobs in memory for 300 queued, 20% of attempts refused: the window reloads from the store
// as it goes, never holds more than its cap, and delivers all 300 in order per recipient.
BOOST_AUTO_TEST_CASE(a_small_window_still_delivers_everything_in_order) {
  rig r(fast(16));
  for (int n = 0; n < 100; ++n)
    for (int p = 0; p < 3; ++p) r.accept("1555300000" + std::to_string(p));
  std::mt19937 rng(11);
  drain(
      r, [&](std::int64_t, std::int64_t) { return std::uniform_real_distribution<>(0, 1)(rng) < 0.2; }, 36'000s);
  BOOST_TEST(r.sent.size() == 300u);
  BOOST_TEST(r.most_held <= 16u);
  BOOST_TEST(r.most_held >= 12u);  // and it does fill up
  std::map<std::string, std::vector<std::int64_t>> by_peer;
  for (const auto& [peer, seq] : r.sent) by_peer[peer].push_back(seq);
  BOOST_REQUIRE_EQUAL(by_peer.size(), 3u);
  for (const auto& [peer, seqs] : by_peer) {
    BOOST_TEST_CONTEXT("peer " << peer) {
      BOOST_REQUIRE_EQUAL(seqs.size(), 100u);
      BOOST_TEST(std::is_sorted(seqs.begin(), seqs.end()));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_window_holds_at_most_its_cap_and_loads_the_rest) {
  rig r(fast(8));
  r.load();
  BOOST_TEST(!r.w.wants_load(false));  // everything queued is held (nothing)
  for (int i = 0; i < 8; ++i) r.accept("p" + std::to_string(i));
  BOOST_TEST(r.w.size() == 8u);  // offered directly
  BOOST_TEST(!r.w.wants_load(false));
  r.accept("p8");  // no room: left in the store for a load
  BOOST_TEST(r.w.size() == 8u);
  auto l = r.w.begin_load();
  BOOST_TEST(l.room == 0u);
  r.w.end_load(l, 0);
  for (auto seq : r.pick()) r.succeed(seq);
  BOOST_TEST(r.w.size() == 0u);
  BOOST_TEST(r.w.wants_load(false));  // the store may hold more
  r.load();
  BOOST_TEST(r.w.size() == 1u);
  BOOST_TEST(r.w.peer_of(9) == "p8");
  // The instance row changed: read it (and any jobs) again even with nothing missing.
  r.load();
  BOOST_TEST(!r.w.wants_load(false));
  BOOST_TEST(r.w.wants_load(true));
  // "Look in the store" (a requeue): the next load starts from the first job.
  r.w.offer(0, {}, r.clock.now());
  BOOST_TEST(r.w.wants_load(false));
  BOOST_TEST(r.w.begin_load().after == 0);
}

BOOST_AUTO_TEST_CASE(an_offer_during_a_load_is_not_lost) {
  rig r(fast());
  auto l = r.w.begin_load();       // reads the store: empty
  const auto seq = r.accept("A");  // committed and offered while the read runs
  r.w.end_load(l, 0);
  BOOST_TEST(r.w.size() == 0u);
  BOOST_TEST(r.w.wants_load(false));  // so the next pass loads it
  r.load();
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{seq}));
  // A failed read is asked again the same way.
  r.w.offer(0, {}, r.clock.now());
  l = r.w.begin_load();
  BOOST_TEST(l.from_start);
  r.w.load_failed(l);
  BOOST_TEST(r.w.begin_load().from_start);
}

BOOST_AUTO_TEST_CASE(in_flight_is_capped_per_instance) {
  auto o = fast();
  o.max_in_flight = 4;
  rig r(o);
  r.load();
  for (int i = 0; i < 10; ++i) r.accept("p" + std::to_string(i));
  auto batch = r.pick();
  BOOST_TEST(batch.size() == 4u);
  BOOST_TEST(r.pick().empty());
  r.succeed(batch[0]);
  BOOST_TEST(r.pick().size() == 1u);
}

// Twin of the former integration test a_burst_never_exceeds_the_configured_rate_at_meta:
// 100/s, burst 10, 500 recipients queued at once. Any one-second window holds at most
// burst + rate, the limiter does not starve the instance, and the burst takes (500-10)/100 s.
BOOST_AUTO_TEST_CASE(the_rate_per_number_is_exact_with_a_moved_clock) {
  auto o = fast();
  o.rate = 100;
  o.burst = 10;
  rig r(o);
  for (int i = 0; i < 500; ++i) r.accept("1555100" + std::to_string(1000 + i));
  std::optional<std::int64_t> wait;
  const auto t0 = r.clock.now();
  for (int guard = 0; guard < 100'000 && !r.store.empty(); ++guard) {
    r.load();
    for (auto seq : r.pick(&wait)) r.succeed(seq);
    if (!r.store.empty()) {
      BOOST_REQUIRE(wait.has_value());
      BOOST_REQUIRE(*wait <= 10);  // the next token is never further than 1/rate
      r.clock.advance(std::chrono::milliseconds(std::max<std::int64_t>(*wait, 1)));
    }
  }
  BOOST_REQUIRE_EQUAL(r.sent_at.size(), 500u);
  // Any one-second window [t, t + 1000) spans 999 ms of refill: burst + rate·0.999, exactly.
  BOOST_TEST(busiest_second(r.sent_at) == 109u);
  BOOST_TEST(r.sent_at.back() - t0 == 4900);  // (500 - burst) / rate seconds
  // The first second: the burst at once, then one every 10 ms.
  BOOST_TEST(std::count(r.sent_at.begin(), r.sent_at.end(), t0) == 10);
  BOOST_TEST(r.sent_at[10] - t0 == 10);
}

// Twin of the pacing half of the integration test the_rate_rises_when_meta_upgrades_the_
// numbers_throughput (which keeps the webhook → instance row half): 40/s, then 150/s once
// the row says so, with no new window.
BOOST_AUTO_TEST_CASE(the_rate_rises_when_the_instance_row_says_so) {
  auto o = fast();
  o.rate = 40;
  o.burst = 10;
  rig r(o);
  auto burst = [&](int total) {
    r.sent_at.clear();
    for (int i = 0; i < total; ++i) r.accept("p" + std::to_string(r.next_seq));
    std::optional<std::int64_t> wait;
    for (int guard = 0; guard < 100'000 && !r.store.empty(); ++guard) {
      r.load();
      for (auto seq : r.pick(&wait)) r.succeed(seq);
      if (!r.store.empty()) r.clock.advance(std::chrono::milliseconds(std::max<std::int64_t>(wait.value_or(1), 1)));
    }
    BOOST_REQUIRE_EQUAL(r.sent_at.size(), static_cast<std::size_t>(total));
    return busiest_second(r.sent_at);
  };
  BOOST_TEST(burst(120) == 49u);  // burst + 40/s · 0.999 s
  r.clock.advance(10s);
  BOOST_TEST(!r.w.set_rate(40, r.clock.now()));
  BOOST_TEST(r.w.set_rate(150, r.clock.now()));
  BOOST_TEST(r.w.rate() == 150.0);
  BOOST_TEST(burst(450) == 159u);  // burst + 150/s · 0.999 s
}

// Meta's throughput limit (130429) holds the whole instance for the backoff; 131056 holds only
// that recipient, pair_wait · 4^repeats, and a send to it ends the pacing.
BOOST_AUTO_TEST_CASE(throttles_hold_the_instance_or_the_recipient) {
  rig r(fast());
  r.load();
  const auto a1 = r.accept("A"), b1 = r.accept("B");
  BOOST_TEST(r.pick().size() == 2u);
  r.fail(a1, graph_error_of(130429), 1, 0.0);  // backoff(1) with jitter 0: 500 ms, the whole instance
  r.succeed(b1);
  const auto b2 = r.accept("B");
  std::optional<std::int64_t> wait;
  BOOST_TEST(r.pick(&wait).empty());
  BOOST_TEST(wait.value_or(-1) == 500);
  r.clock.advance(500ms);  // the hold ends; the emptied bucket's first token comes 1/rate later
  BOOST_TEST(r.pick(&wait).empty());
  BOOST_TEST(wait.value_or(-1) == 1);
  r.clock.advance(1ms);
  BOOST_TEST(r.pick().size() == 2u);
  r.succeed(a1);
  r.succeed(b2);

  const auto c1 = r.accept("C"), c2 = r.accept("C"), d1 = r.accept("D");
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{c1, d1}));
  BOOST_TEST(r.w.pair_repeats(c1) == 0u);
  r.fail(c1, graph_error_of(131056), 1);  // 6 s for C only
  r.succeed(d1);
  const auto d2 = r.accept("D");
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{d2}));
  r.succeed(d2);
  r.clock.advance(6s);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{c1}));
  BOOST_TEST(r.w.pair_repeats(c1) == 1u);
  r.fail(c1, graph_error_of(131056), 1);  // again: 24 s
  r.clock.advance(23'999ms);
  BOOST_TEST(r.pick().empty());
  r.clock.advance(1ms);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{c1}));
  r.succeed(c1);
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{c2}));  // paced no more
  BOOST_TEST(r.w.pair_repeats(c2) == 0u);
}

// The retry delay the verdict carries is where the job waits: base·2^(n-1) with equal jitter,
// capped at backoff_max, never earlier and not later.
BOOST_AUTO_TEST_CASE(retry_backoff_stays_within_its_bounds) {
  rig r(fast());
  r.load();
  const auto seq = r.accept("A");
  const retry_policy p{12, 1000ms, 900'000ms, 6000ms};
  std::mt19937 rng(3);
  for (std::int64_t n = 1; n <= 11; ++n) {
    BOOST_TEST_CONTEXT("attempt " << n) {
      BOOST_REQUIRE(r.pick() == (std::vector<std::int64_t>{seq}));
      const double unit = std::uniform_real_distribution<>(0, 1)(rng);
      const auto start = r.clock.now();
      r.fail(seq, graph_error_of(131000, 400), n, unit);
      const auto full = std::min<std::int64_t>(900'000, 1000LL << (n - 1));
      std::optional<std::int64_t> wait;
      BOOST_TEST(r.pick(&wait).empty());
      BOOST_REQUIRE(wait.has_value());
      BOOST_TEST(*wait >= full / 2);
      BOOST_TEST(*wait <= full);
      r.clock.advance(std::chrono::milliseconds(*wait - 1));
      BOOST_TEST(r.pick().empty());
      r.clock.advance(1ms);
      BOOST_TEST(r.clock.now() - start == *wait);
    }
  }
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{seq}));
  // The 12th failed attempt is the last: dead, the job leaves the window.
  auto e = graph_error_of(131000, 400);
  auto v = judge(&e, {}, 12, 0, p, 0.5);
  BOOST_TEST(static_cast<int>(v.what) == static_cast<int>(verdict::kind::dead));
  r.w.resolved(seq, false);
  BOOST_TEST(r.w.size() == 0u);
  BOOST_TEST(r.w.in_flight() == 0u);
}

// Leases: the expiry written with the lease; a picked job the store no longer has is
// forgotten; a job whose outcome could not commit keeps its lease and is taken again by this
// run after commit_retry_ms, not before; a job gone from the store leaves the window.
BOOST_AUTO_TEST_CASE(leases_expire_and_a_failed_commit_is_taken_over_later) {
  auto o = fast();
  o.lease_ms = 60'000;
  rig r(o);
  BOOST_TEST(r.w.lease_expiry(r.clock.now()) == r.clock.now() + 60'000);
  r.load();
  const auto a = r.accept("A"), b = r.accept("B"), c = r.accept("C");
  r.store.erase(b);  // resolved or deleted between the pick and the lease
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{a, c}));
  BOOST_TEST(r.w.size() == 2u);
  BOOST_TEST(r.w.in_flight() == 2u);

  r.w.commit_failed(a, false, r.clock.now());  // disk full: a keeps its lease
  BOOST_TEST(r.w.in_flight() == 1u);
  std::optional<std::int64_t> wait;
  BOOST_TEST(r.pick(&wait).empty());
  BOOST_TEST(wait.value_or(-1) == send_window::commit_retry_ms);
  r.clock.advance(std::chrono::milliseconds(send_window::commit_retry_ms));
  BOOST_TEST(r.pick() == (std::vector<std::int64_t>{a}));

  r.store.erase(c);
  r.w.gone(c);  // the instance was deleted: the store said not_found
  r.succeed(a);
  BOOST_TEST(r.w.size() == 0u);
  BOOST_TEST(r.w.in_flight() == 0u);
}

// 190: the first refused attempt pauses the instance (its outcome carries the status change);
// later ones do not again. A failed commit undoes the pause it caused; the row saying
// `active` again resumes.
BOOST_AUTO_TEST_CASE(reauth_pauses_until_the_instance_is_active) {
  rig r(fast());
  r.load();
  const auto a = r.accept("A"), b = r.accept("B");
  BOOST_TEST(r.pick().size() == 2u);
  const retry_policy p{12, 1000ms, 900'000ms, 6000ms};
  auto e = graph_error_of(190, 401);
  auto v = judge(&e, {}, 1, 0, p, 0.5);
  BOOST_REQUIRE(v.what == verdict::kind::reauth);
  BOOST_TEST(r.w.judged(a, v, r.now()));
  BOOST_TEST(!r.w.judged(b, v, r.now()));
  BOOST_TEST(r.w.paused());
  BOOST_TEST(r.w.idle());
  r.w.retry_at(b, r.clock.now());
  r.w.commit_failed(a, true, r.clock.now());
  BOOST_TEST(!r.w.paused());
  BOOST_TEST(r.w.judged(a, v, r.now()));  // the retried commit pauses it again
  BOOST_TEST(!r.w.set_paused(true));
  BOOST_TEST(r.w.set_paused(false));  // the instance is active again: resumed
  BOOST_TEST(!r.w.idle());
}

BOOST_AUTO_TEST_SUITE_END()
