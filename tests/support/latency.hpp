#pragma once
// Latency samples for the degradation harnesses (issue 7): each test measures a baseline and
// the same operation under a fault, then compares percentiles. Header-only, no I/O.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

// Latency bounds compare an uninstrumented daemon with itself. Under AddressSanitizer or
// ThreadSanitizer (2 to 15 times slower, unevenly) they would measure the instrumentation, so
// the tests skip them there and still check the behaviour (what was refused, closed, delivered).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ENFTEST_TIMING_BOUNDS 0
#else
#define ENFTEST_TIMING_BOUNDS 1
#endif

namespace enfinito::test {

class latency {
 public:
  void add(std::chrono::steady_clock::duration d) {
    samples_.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  /** Times `fn` once and records it; returns what `fn` returned. */
  template <class Fn>
  auto time(Fn&& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = fn();
    add(std::chrono::steady_clock::now() - t0);
    return r;
  }
  std::size_t size() const { return samples_.size(); }
  /** The p-th percentile (0..100) in milliseconds, nearest rank; 0 when empty. */
  double pct(double p) const {
    if (samples_.empty()) return 0;
    auto s = samples_;
    std::sort(s.begin(), s.end());
    auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(s.size()));
    return s[std::min(rank, s.size() - 1)];
  }
  double max() const { return samples_.empty() ? 0 : *std::max_element(samples_.begin(), samples_.end()); }
  /** "n=200 p50=0.41 p99=1.20 max=2.31 ms" */
  std::string summary() const {
    char buf[128];
    std::snprintf(buf, sizeof buf, "n=%zu p50=%.2f p99=%.2f max=%.2f ms", size(), pct(50), pct(99), max());
    return buf;
  }

 private:
  std::vector<double> samples_;
};

/**
 * The comparison every degradation harness makes: the figure under the fault is within twice
 * the baseline, plus `slack_ms` for scheduling noise on a shared 2-core machine (sub-millisecond
 * baselines would otherwise fail on one context switch).
 */
inline bool within_twice(double under_fault, double baseline, double slack_ms) {
  return under_fault <= 2 * baseline + slack_ms;
}

}  // namespace enfinito::test
