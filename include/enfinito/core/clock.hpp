// The daemon's one source of "now". Two scales, both in milliseconds:
//  - wall_ms(): unix time, for what is stored or shown (created_at, due_at, expiries);
//  - steady_ms(): monotonic, for durations and timers in this process (never stored).
// Decisions that depend on time are pure functions that take `now` as an argument, so
// tests drive them with a manual clock (tests/support/manual_clock.hpp) instead of sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace enfinito::core {

inline std::int64_t wall_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

inline std::int64_t steady_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace enfinito::core
