// enfinitod and enfinitoctl as real processes: CLI smoke tests, SIGTERM drain with requests
// in flight, a second daemon refused, kill -9 during acknowledged writes, online backup.
#include "support/daemon.hpp"
#include "support/raw_client.hpp"

#include <enfinito/store/store.hpp>

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <thread>

using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

namespace {
std::string base_toml(const temp_dir& dir, const std::string& extra = "") {
  return "[server]\nlisten = \"127.0.0.1\"\nport = 0\nreactors = 2\n[store]\npath = \"" +
         (dir / "enfinito.db").string() + "\"\n[limits]\ndrain_timeout_ms = 3000\n" + extra;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(process_cli)

BOOST_AUTO_TEST_CASE(version_and_help) {
  std::string out;
  BOOST_TEST(run_program({ENFINITOD_PATH, "--version"}, &out) == 0);
  BOOST_TEST(out.find("enfinitod 0.") == 0u);
  BOOST_TEST(run_program({ENFINITOD_PATH, "--help"}, &out) == 0);
  BOOST_TEST(out.find("ENFINITO_SERVER_PORT") != std::string::npos);
  BOOST_TEST(run_program({ENFINITOD_PATH, "--bogus"}, &out) == 2);
}

BOOST_AUTO_TEST_CASE(check_config_accepts_good_and_names_the_bad_key) {
  temp_dir dir;
  write_file(dir / "good.toml", base_toml(dir));
  write_file(dir / "bad.toml", "[server]\nport = 1\nfrobnicate = true\n");
  std::string out;
  BOOST_TEST(run_program({ENFINITOD_PATH, "--config", (dir / "good.toml").string(), "--check-config"}, &out) == 0);
  BOOST_TEST(out.find("configuration ok") != std::string::npos);
  BOOST_TEST(run_program({ENFINITOD_PATH, "--config", (dir / "bad.toml").string(), "--check-config"}, &out) == 2);
  BOOST_TEST(out.find("server.frobnicate") != std::string::npos);
  BOOST_TEST(run_program({ENFINITOD_PATH, "--config", (dir / "missing.toml").string(), "--check-config"}, &out) == 2);
  BOOST_TEST(run_program({ENFINITOCTL_PATH, "--config", (dir / "good.toml").string(), "check-config"}, &out) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_lifecycle)

BOOST_AUTO_TEST_CASE(sigterm_finishes_in_flight_requests_then_exits_zero) {
  temp_dir dir;
  daemon_process d(dir.path(), base_toml(dir));
  BOOST_REQUIRE_MESSAGE(d.start(), d.log());
  // In flight: headers sent, body half sent. Idle: a keep-alive connection between requests.
  raw_conn busy(d.port());
  busy.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
  raw_conn idle(d.port());
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_REQUIRE(idle.read_response());
  // A real wait: the daemon has read the half-sent request before the signal (nothing to poll).
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  d.signal(SIGTERM);
  BOOST_TEST(idle.closed_by_peer(2s));  // idle connections are closed at once
  // A real wait: the drain holds the in-flight request open meanwhile.
  std::this_thread::sleep_for(200ms);
  busy.send("67890");  // the in-flight request completes...
  auto r = busy.read_response(3s);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 405);  // ...and is answered
  BOOST_TEST(r->header("connection") == "close");
  BOOST_TEST(d.wait(5s) == 0);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 4s));
  auto log = d.log();
  BOOST_TEST(log.find("event=app.draining") != std::string::npos);
  BOOST_TEST(log.find("event=app.stopped connections_cut=0") != std::string::npos);
  // New connections are refused after the drain began.
  raw_conn late(d.port());
  BOOST_TEST(!late.connected());
}

BOOST_AUTO_TEST_CASE(drain_deadline_cuts_a_stuck_request) {
  temp_dir dir;
  std::string toml = base_toml(dir);
  toml.replace(toml.find("drain_timeout_ms = 3000"), 23, "drain_timeout_ms = 500\nbody_idle_timeout_ms = 30000");
  daemon_process d(dir.path(), toml);
  BOOST_REQUIRE_MESSAGE(d.start(), d.log());
  raw_conn stuck(d.port());
  stuck.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12");
  // A real wait: the daemon has read the stuck request before the signal (nothing to poll).
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  d.signal(SIGINT);
  BOOST_TEST(d.wait(5s) == 0);
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST((took >= 400ms));
  BOOST_TEST((took < 3s));
  BOOST_TEST(d.log().find("connections_cut=1") != std::string::npos);
}

// systemd's notify protocol: READY=1 once listening, STOPPING=1 when the drain starts.
BOOST_AUTO_TEST_CASE(sd_notify_ready_then_stopping) {
  temp_dir dir;
  auto sock_path = (dir / "notify.sock").string();
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path.c_str());
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::setenv("NOTIFY_SOCKET", sock_path.c_str(), 1);
  daemon_process d(dir.path(), base_toml(dir));
  bool started = d.start();
  ::unsetenv("NOTIFY_SOCKET");
  BOOST_REQUIRE_MESSAGE(started, d.log());
  auto receive = [&](std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::string();
    char buf[256];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  };
  BOOST_TEST(receive(3s) == "READY=1");
  BOOST_TEST(http_call(d.port(), "GET", "/healthz").status == 200);  // ready means serving
  d.signal(SIGTERM);
  BOOST_TEST(receive(3s) == "STOPPING=1");
  BOOST_TEST(d.wait() == 0);
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(a_second_daemon_on_the_same_database_is_refused) {
  temp_dir dir;
  daemon_process first(dir.path(), base_toml(dir), "first");
  BOOST_REQUIRE_MESSAGE(first.start(), first.log());
  daemon_process second(dir.path(), base_toml(dir), "second");
  BOOST_TEST(!second.start(5s));
  BOOST_TEST(second.log().find("in use by another enfinitod (pid " + std::to_string(first.pid()) + ")") !=
             std::string::npos);
  BOOST_TEST(http_call(first.port(), "GET", "/healthz").status == 200);  // the first is unharmed
  first.signal(SIGTERM);
  BOOST_TEST(first.wait() == 0);
  // Once the first is gone, the database can be used again.
  daemon_process third(dir.path(), base_toml(dir), "third");
  BOOST_TEST(third.start());
}

BOOST_AUTO_TEST_CASE(online_backup_of_a_running_daemon) {
  temp_dir dir;
  daemon_process d(dir.path(), base_toml(dir));
  BOOST_REQUIRE_MESSAGE(d.start(), d.log());
  BOOST_TEST(http_call(d.port(), "GET", "/readyz").status == 200);  // a committed write
  std::string out;
  auto dest = (dir / "backup.db").string();
  BOOST_TEST(run_program({ENFINITOCTL_PATH, "--config", (dir / "enfinitod.toml").string(), "backup", dest}, &out) == 0,
             out);
  auto c = store::connection::open(dest, true);
  BOOST_REQUIRE(c);
  BOOST_TEST(*(*c)->scalar_text("PRAGMA integrity_check") == "ok");
  BOOST_TEST(*(*c)->scalar_int("SELECT COUNT(*) FROM meta_kv WHERE key='readyz'") == 1);
  BOOST_TEST(run_program({ENFINITOCTL_PATH, "--config", (dir / "enfinitod.toml").string(), "backup", dest}, &out) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_durability)

// kill -9 while 32 threads write through the group committer; every write the child was told
// had committed must be in the database afterwards, and the file must pass integrity_check.
BOOST_AUTO_TEST_CASE(kill_minus_9_loses_no_acknowledged_write) {
  temp_dir dir;
  auto db_path = (dir / "crash.db").string();
  std::set<long> acked;
  for (int round = 0; round < 3; ++round) {
    int out[2];
    BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      std::string base = std::to_string(round * 10'000'000L);
      ::execl(STORE_WRITER_CHILD_PATH, STORE_WRITER_CHILD_PATH, db_path.c_str(), base.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // Read acks until a few thousand arrived, then kill without warning.
    std::string pending;
    std::size_t this_round = 0;
    char buf[65536];
    auto deadline = std::chrono::steady_clock::now() + 30s;
    bool killed = false;
    for (;;) {
      auto n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        auto line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (line.rfind("ack ", 0) == 0) {
          acked.insert(std::stol(line.substr(4)));
          ++this_round;
        }
      }
      if (!killed && (this_round >= static_cast<std::size_t>(3000 + round * 1000) ||
                      std::chrono::steady_clock::now() > deadline)) {
        ::kill(pid, SIGKILL);
        killed = true;  // keep reading: acks printed before the kill are still in the pipe
      }
    }
    ::close(out[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    BOOST_TEST(WIFSIGNALED(st));
    BOOST_TEST(this_round >= 1000u);

    auto c = store::connection::open(db_path, true);
    BOOST_REQUIRE(c);
    BOOST_TEST(*(*c)->scalar_text("PRAGMA integrity_check") == "ok");
    std::size_t missing = 0;
    core::error_code ec;
    auto* st_check = (*c)->prepare("SELECT 1 FROM crash_rows WHERE id = ?1", ec);
    BOOST_REQUIRE(!ec);
    for (long id : acked) {
      st_check->reset();
      st_check->bind(1, static_cast<std::int64_t>(id));
      if (!st_check->step(ec)) ++missing;
    }
    BOOST_TEST_MESSAGE("round " << round << ": " << this_round << " acknowledged, " << missing << " missing");
    BOOST_TEST(missing == 0u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
