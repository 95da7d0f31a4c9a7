#pragma once
// io_context_fixture: an io_context that a test drives on its own thread, as the daemon's
// reactors drive theirs: run until a condition holds (with a deadline, so a lost completion fails
// the test instead of hanging it), and, at the end of the test, proof that no async work was left
// behind (the way Boost.MySQL's test fixtures check it).
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

namespace enfinito::test {

struct io_context_fixture {
  boost::asio::io_context ioc{1};

  /** Runs handlers until `done()` holds; fails the test if it still does not after `timeout`. */
  template <class Pred>
  void run_until(Pred done, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto guard = boost::asio::make_work_guard(ioc);  // completions may still be on their way
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < end,
                            "io_context_fixture: still waiting after " << timeout.count() << " ms");
      ioc.run_one_for(std::chrono::milliseconds(50));
    }
  }

  /** Boost.Test calls it after the test body: what is ready runs, and nothing may stay pending. */
  void teardown() {
    ioc.restart();
    ioc.poll();
    BOOST_TEST(ioc.stopped(), "async work was left pending on the test's io_context");
  }
};

}  // namespace enfinito::test
