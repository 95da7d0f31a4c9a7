// Fairness between a broadcast and single sends on one instance, as send_window decides it
// (outbound/send_window.hpp, issue 21), with a manual clock and a store kept in a std::map:
// single sends are picked before broadcast jobs, broadcast jobs hold at most bulk_slots of
// the in-flight slots, a single send offered while the window is full of broadcast jobs is
// held at once, and while a 10,000-recipient broadcast runs at the number's rate each single
// send waits at most one token.
#include <enfinito/outbound/send_window.hpp>

#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

using namespace enfinito;
using namespace enfinito::outbound;
using namespace std::chrono_literals;

namespace {

struct job {
  std::string peer;
  bool bulk = false;
};

struct rig {
  explicit rig(window_options o) : opts(o), w(o, clock.now()) {}
  test::manual_clock clock;
  window_options opts;
  send_window w;
  std::map<std::int64_t, job> store;
  std::int64_t next_seq = 1;

  instant now() const { return {clock.now(), clock.now()}; }

  // A broadcast's accept: rows committed, then one notify "look in the store" (seq 0).
  void broadcast(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) store[next_seq++] = {"b" + std::to_string(i), true};
    w.offer(0, {}, clock.now());
  }
  std::int64_t single(const std::string& peer) {
    const auto seq = next_seq++;
    store[seq] = {peer, false};
    w.offer(seq, peer, clock.now(), false);
    return seq;
  }
  void load() {
    if (!w.wants_load(false)) return;
    auto l = w.begin_load();
    std::size_t n = 0;
    for (auto it = store.upper_bound(l.after); it != store.end() && n < l.room; ++it, ++n)
      w.loaded(it->first, it->second.peer, clock.now(), it->second.bulk);
    w.end_load(l, n);
  }
  std::vector<std::int64_t> pick() {
    std::vector<std::int64_t> out;
    if (w.idle()) return out;
    w.pick(now(), out);
    for (auto seq : out) w.started(seq);
    return out;
  }
  void done(std::int64_t seq) {
    store.erase(seq);
    w.resolved(seq, true);
  }
};

window_options opts(double rate, std::size_t cap = 4096, unsigned in_flight = 32, double burst = 1) {
  window_options o;
  o.cap = cap;
  o.max_in_flight = in_flight;
  o.rate = rate;
  o.burst = burst;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(broadcasts_fairness)

BOOST_AUTO_TEST_CASE(a_single_send_takes_the_next_token_before_the_broadcast) {
  rig r(opts(10));
  r.broadcast(100);
  r.load();
  auto first = r.pick();  // the bucket's one token: a broadcast job
  BOOST_TEST(first.size() == 1u);
  BOOST_TEST(r.store[first[0]].bulk);
  const auto s = r.single("S");
  r.clock.advance(100ms);  // one token at 10/s
  auto next = r.pick();
  BOOST_TEST(next == std::vector<std::int64_t>{s});
}

BOOST_AUTO_TEST_CASE(broadcast_jobs_leave_in_flight_slots_to_single_sends) {
  rig r(opts(100'000, 4096, 32, 100'000));
  r.broadcast(1000);
  r.load();
  auto a = r.pick();
  BOOST_TEST(a.size() == bulk_slots(r.opts));
  BOOST_TEST(r.w.bulk_in_flight() == bulk_slots(r.opts));
  BOOST_TEST(bulk_slots(r.opts) == 24u);
  // Nothing answered yet: still room for single sends, none for the broadcast.
  r.single("S1");
  r.single("S2");
  auto b = r.pick();
  BOOST_TEST(b.size() == 2u);
  for (auto seq : b) BOOST_TEST(!r.store[seq].bulk);
  // A broadcast answer frees a broadcast slot.
  r.done(a[0]);
  auto c = r.pick();
  BOOST_TEST(c.size() == 1u);
  BOOST_TEST(r.store[c[0]].bulk);
}

BOOST_AUTO_TEST_CASE(a_single_send_is_held_when_the_window_is_full_of_a_broadcast) {
  rig r(opts(1000, 16, 4));
  r.broadcast(500);
  r.load();
  BOOST_TEST(r.w.size() == 16u);
  const auto s = r.single("S");  // seq 501: far beyond what the window holds
  BOOST_TEST(r.w.size() == 17u);
  auto got = r.pick();
  BOOST_REQUIRE(!got.empty());
  BOOST_TEST(got[0] == s);
  // The cursor did not jump over the broadcast: every job is still sent once.
  std::size_t sent = 0;
  for (auto seq : got) r.done(seq), ++sent;
  for (int step = 0; step < 5000 && !r.store.empty(); ++step) {
    r.load();
    for (auto seq : r.pick()) r.done(seq), ++sent;
    r.clock.advance(1ms);
  }
  BOOST_TEST(r.store.empty());
  BOOST_TEST(sent == 501u);
}

BOOST_AUTO_TEST_CASE(single_sends_wait_at_most_one_token_while_ten_thousand_go_out) {
  // 80 messages per second: one token every 12.5 ms. Meta answers each send 50 ms later.
  rig r(opts(80));
  r.broadcast(10'000);
  std::multimap<std::int64_t, std::int64_t> answers;  // due → seq
  std::map<std::int64_t, std::int64_t> offered;       // single seq → offered at
  std::int64_t worst = 0;
  std::size_t bulk_sent = 0, singles = 0;
  const auto start = r.clock.now();
  for (int ms = 0; ms < 20'000; ++ms) {
    if (ms % 500 == 250) offered[r.single("S" + std::to_string(singles++))] = r.clock.now();
    r.load();
    for (auto seq : r.pick()) {
      if (auto it = offered.find(seq); it != offered.end())
        worst = std::max(worst, r.clock.now() - it->second);
      else
        ++bulk_sent;
      answers.emplace(r.clock.now() + 50, seq);
    }
    while (!answers.empty() && answers.begin()->first <= r.clock.now()) {
      r.done(answers.begin()->second);
      answers.erase(answers.begin());
    }
    r.clock.advance(1ms);
  }
  BOOST_TEST(singles == 40u);
  BOOST_TEST(worst <= 14);  // one token (12.5 ms), rounded up to the 1 ms step
  // The broadcast keeps the rest of the number's rate: 80/s less the single sends.
  const double seconds = (r.clock.now() - start) / 1000.0;
  BOOST_TEST(bulk_sent >= static_cast<std::size_t>(seconds * 80 * 0.95) - singles);
  BOOST_TEST(bulk_sent <= static_cast<std::size_t>(seconds * 80) + 1);
}

BOOST_AUTO_TEST_SUITE_END()
