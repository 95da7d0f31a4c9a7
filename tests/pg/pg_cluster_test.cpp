// support/pg_cluster itself: a test binary that dies (kill -9: no destructors, no handlers) leaves no server
// running and no directory behind; its watchdog cleans up.
#include "support/pg_cluster.hpp"
#include "support/wait.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(pg_cluster_fixture)

BOOST_AUTO_TEST_CASE(a_crashed_test_binary_leaves_no_cluster_behind) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    auto* cluster = new enfinito::test::pg_cluster();  // never destroyed: the process is killed
    std::ifstream pidfile(cluster->dir() / "data" / "postmaster.pid");
    std::string server_pid;
    std::getline(pidfile, server_pid);
    const std::string line = cluster->dir().string() + "\n" + server_pid + "\n";
    (void)!::write(fds[1], line.data(), line.size());
    ::close(fds[1]);
    ::kill(::getpid(), SIGKILL);  // Boost.Test would catch SIGABRT and exit normally
    ::_exit(1);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  const auto nl = out.find('\n');
  BOOST_REQUIRE(nl != std::string::npos);
  const std::filesystem::path dir = out.substr(0, nl);
  const pid_t server = std::atoi(out.c_str() + nl + 1);
  BOOST_REQUIRE(server > 0);
  BOOST_TEST(enfinito::test::wait_until([&] { return !std::filesystem::exists(dir); }, 20s), dir.string());
  BOOST_TEST(enfinito::test::wait_until([&] { return ::kill(server, 0) != 0; }, 5s));
}

BOOST_AUTO_TEST_SUITE_END()
