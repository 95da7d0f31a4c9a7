// core/spawn.hpp: a spawned coroutine's exception goes to its named policy (log or ignore here;
// terminate ends the process, so it is not run in a test).
#include "support/captured_log.hpp"
#include "support/temp_dir.hpp"
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

using namespace enfinito;

namespace {

using test::captured_log;

net::awaitable<void> throws(bool& ran) {
  ran = true;
  throw std::runtime_error("boom");
  co_return;
}

net::awaitable<int> returns(bool& ran) {
  ran = true;
  co_return 7;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_spawn)

BOOST_AUTO_TEST_CASE(log_names_the_event_and_the_exception_and_goes_on) {
  captured_log log;
  net::io_context io;
  bool ran = false;
  core::spawn(io, throws(ran), core::on_exception::log("core.test_crashed"));
  io.run();
  BOOST_TEST(ran);
  const auto text = log.text();
  BOOST_TEST(text.find("level=error") != std::string::npos);
  BOOST_TEST(text.find("event=core.test_crashed") != std::string::npos);
  BOOST_TEST(text.find("boom") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_coroutine_that_ends_well_logs_nothing_and_its_result_is_dropped) {
  captured_log log;
  net::io_context io;
  bool ran = false;
  core::spawn(io.get_executor(), returns(ran), core::on_exception::terminate("core.test_crashed"));
  io.run();
  BOOST_TEST(ran);
  BOOST_TEST(log.text().empty());
}

BOOST_AUTO_TEST_CASE(ignore_drops_the_exception_without_a_line) {
  captured_log log;
  net::io_context io;
  bool ran = false;
  core::spawn(io, throws(ran), core::on_exception::ignore());
  io.run();
  BOOST_TEST(ran);
  BOOST_TEST(log.text().empty());
}

BOOST_AUTO_TEST_SUITE_END()
