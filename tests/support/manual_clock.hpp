// A clock a test moves by hand, for the pure decision cores that take `now` as an argument
// (send window, customer-webhook pause policy, the 24-hour window, ...). No sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace enfinito::test {

struct manual_clock {
  std::int64_t now_ms = 1'800'000'000'000;  // an arbitrary fixed wall time (2027-01-15)

  std::int64_t now() const noexcept { return now_ms; }
  std::int64_t advance(std::chrono::milliseconds d) noexcept { return now_ms += d.count(); }
};

}  // namespace enfinito::test
