// The only BOOST_TEST_MODULE: unit_tests and integration_tests both link this file.
#define BOOST_TEST_MODULE enfinito
#include <boost/test/unit_test.hpp>

#include <csignal>

namespace {
// A test that writes to a closed socket must see EPIPE, not die of SIGPIPE.
struct ignore_sigpipe {
  ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
}  // namespace
BOOST_TEST_GLOBAL_FIXTURE(ignore_sigpipe);
