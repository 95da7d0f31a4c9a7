#pragma once
// timed_loop: the micro-benchmarks' timing loop (crypto_bench, json_bench): one operation
// called in batches of 1,000 until the time is up, after a warm-up batch.
#include <chrono>
#include <cstddef>

namespace enfinito::bench {

/** Calls `op` in batches of 1,000 until `seconds` have passed; returns calls per second. */
template <class Op>
double calls_per_second(double seconds, Op op) {
  using clock_type = std::chrono::steady_clock;
  for (int i = 0; i < 1000; ++i) op();  // warm up (thread-local contexts, fetches, caches)
  const auto start = clock_type::now();
  std::size_t n = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 1000; ++i) op();
    n += 1000;
    elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(n) / elapsed;
}

}  // namespace enfinito::bench
