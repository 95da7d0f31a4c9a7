#pragma once
// wait_until: polls a condition until it holds or a deadline passes. Integration tests watch a
// running daemon (rows committed, a file deleted, a delivery arrived) with it instead of sleeps.
#include <chrono>
#include <thread>

namespace enfinito::test {

/** True as soon as `p()` is; false if it still is not after `timeout` (checked once more then). */
template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds timeout = std::chrono::seconds(15),
                std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(step);
  }
  return p();
}

}  // namespace enfinito::test
