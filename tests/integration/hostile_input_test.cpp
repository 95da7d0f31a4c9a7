// Hostile input over the whole route table (issue 7): every route that takes a body gets
// malformed JSON, deep nesting, huge arrays, invalid UTF-8, wrong types and oversized fields.
// The route list comes from the running daemon's own router, so a new route is covered
// without anyone remembering to add it here.
//
// slow_clients: thousands of connections that send their headers a byte at a time (slowloris,
// reopened as the daemon closes them) and hundreds that pipeline requests and never read the
// answers, while a normal client's latency is compared with its baseline from the same test.
// The header timeout must close every slowloris connection, the write timeout every deaf one.
// Size: ENFTEST_SLOWLORIS (default 1500), ENFTEST_NONREADERS (200), ENFTEST_SLOW_SECONDS (6).
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/http_client.hpp"
#include "support/latency.hpp"
#include "support/raw_client.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/app/app.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <fake_graph/core.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

using namespace enfinito;
using namespace enfinito::test;
namespace acc = store::accounts;

namespace {

// An active administrator with an API key, planted through the store.
std::string admin_key(running_app& app) {
  tenant_options admin;
  admin.role = "admin";
  return make_tenant(app.get().database(), "hostile-admin@example.com", admin).key;
}

std::string concrete(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      out += "x1";
      i = pattern.find('}', i);
    } else {
      out += pattern[i];
    }
  }
  return out;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct bad_body {
  std::string name;
  std::string body;
};

std::vector<bad_body> bad_bodies() {
  std::string deep(20'000, '[');
  deep += std::string(20'000, ']');
  std::string many = "[";
  for (int i = 0; i < 150'000; ++i) many += i ? ",0" : "0";
  many += "]";
  return {
      {"truncated", R"({"name": "x", "to": )"},
      {"not json", "name=x&to=y"},
      {"deep nesting", deep},
      {"huge array", many},
      {"invalid utf-8", std::string("{\"name\":\"\xff\xfe\xfd\",\"to\":\"\xc3\x28\"}")},
      {"lone surrogate", R"({"name":"\ud800","text":{"body":"\udfff"}})"},
      {"array", "[]"},
      {"string", R"("hello")"},
      {"number", "12345678901234567890123"},
      {"null", "null"},
      {"wrong types",
       R"({"name":1,"email":[],"password":{},"to":false,"type":7,"text":"x","url":[1],"instance_ids":"x"})"},
      {"oversized fields",
       R"({"name":")" + std::string(200'000, 'n') + R"(","to":")" + std::string(100'000, '1') + R"("})"},
      {"duplicate keys", R"({"name":"a","name":"b","to":"1","to":"2"})"},
      {"nul byte", std::string("{\"name\":\"a\0b\"}", 14)},
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(every_route_answers_bad_bodies_with_a_problem_and_stays_up) {
  running_app app([](config::settings& s) { s.limits.body_bytes = 1024 * 1024; });
  const auto key = admin_key(app);
  const auto bodies = bad_bodies();
  const long rss_before = rss_kib();
  std::size_t tried = 0, refused = 0;
  for (const auto& rt : app.get().route_list()) {
    const auto space = rt.find(' ');
    const std::string method = rt.substr(0, space), target = concrete(rt.substr(space + 1));
    if (method != "POST" && method != "PATCH" && method != "PUT") continue;
    const bool graph_route =
        !app.settings.graph.prefix.empty() && target.rfind(app.settings.graph.prefix + "/", 0) == 0;
    for (const auto& b : bodies) {
      BOOST_TEST_CONTEXT(rt << " with " << b.name) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = http_call(app.port(), method, target, b.body,
                           {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
        const auto took = std::chrono::steady_clock::now() - t0;
        ++tried;
        BOOST_TEST(r.status >= 200);
        BOOST_TEST(r.status < 500, r.body.substr(0, 300));  // never a server error
        BOOST_TEST(took < std::chrono::seconds(2));
        if (r.status >= 400) {
          ++refused;
          if (graph_route) {
            // The Graph-compatible routes answer in Meta's error envelope, as Meta would.
            BOOST_TEST(r.header("content-type") == "application/json");
            BOOST_TEST(r.body.find("\"error\":{") != std::string::npos);
            BOOST_TEST(r.body.find("\"code\":") != std::string::npos);
          } else {
            BOOST_TEST(r.header("content-type") == "application/problem+json");
          }
          // Our own words, never the input echoed back.
          BOOST_TEST(r.body.find("nnnnnnnnnn") == std::string::npos);
        }
      }
    }
  }
  BOOST_TEST_MESSAGE("hostile bodies: " << refused << " of " << tried << " refused");
  BOOST_TEST(tried > 0u);
  // Almost everything is refused; a route that ignores its body (sign-out, retry) may accept.
  BOOST_TEST(refused * 10 >= tried * 8, refused << " of " << tried);
  // Still healthy, and the bad input did not leave memory behind.
  BOOST_TEST(http_call(app.port(), "GET", "/healthz").status == 200);
  // (Not under AddressSanitizer: its quarantine keeps freed memory, up to 256 MiB.)
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  BOOST_TEST(rss_kib() - rss_before < 64 * 1024, "RSS grew by " << rss_kib() - rss_before << " KiB");
#endif
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

using clock_type = std::chrono::steady_clock;

int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  return v ? std::clamp(std::atoi(v), lo, hi) : fallback;
}

// A non-blocking loopback connection; -1 when the connect failed at once.
int open_nonblocking(unsigned short port, int rcvbuf = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Has the peer closed (FIN or reset)? Reads and drops whatever arrived first (a 408, say).
bool peer_closed(int fd) {
  char buf[4096];
  for (int i = 0; i < 64; ++i) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
  return false;
}

// The daemon's own count of open client connections (its /metrics gauge, which counts the
// connection asking too); -1 if absent.
long open_connections(unsigned short port) {
  const std::string name = "enfinito_http_connections_open ";
  auto r = http_call(port, "GET", "/metrics");
  auto at = r.body.find("\n" + name);
  return at == std::string::npos ? -1 : std::stol(r.body.substr(at + 1 + name.size()));
}

// Slowloris connections, one header byte per connection per round, reopened when closed.
struct slowloris {
  struct conn {
    int fd = -1;
    std::size_t sent = 0;
    clock_type::time_point first_byte{};
  };
  unsigned short port;
  std::vector<conn> conns;
  std::string header = "GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n";
  long closed = 0, refused = 0;
  double longest_ms = 0;  // first byte → closed by the daemon

  slowloris(unsigned short p, int n) : port(p), conns(static_cast<std::size_t>(n)) {
    for (auto& c : conns) reopen(c);
  }
  ~slowloris() {
    for (auto& c : conns)
      if (c.fd >= 0) ::close(c.fd);
  }
  void reopen(conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    c = conn{open_nonblocking(port), 0, {}};
    if (c.fd < 0) ++refused;
  }
  // One round: a byte to each (the header never ends: "X-a: b\r\n" repeats), then reap closes.
  void round(bool reopen_closed) {
    for (auto& c : conns) {
      if (c.fd < 0) continue;
      const char b = c.sent < header.size() ? header[c.sent] : "X-a: b\r\n"[(c.sent - header.size()) % 8];
      if (::send(c.fd, &b, 1, MSG_NOSIGNAL) == 1) {
        if (c.sent++ == 0) c.first_byte = clock_type::now();
      }
    }
    for (auto& c : conns) {
      if (c.fd < 0 || !peer_closed(c.fd)) continue;
      ++closed;
      if (c.sent > 0)
        longest_ms =
            std::max(longest_ms, std::chrono::duration<double, std::milli>(clock_type::now() - c.first_byte).count());
      if (reopen_closed)
        reopen(c);
      else {
        ::close(c.fd);
        c.fd = -1;
      }
    }
  }
  std::size_t open_now() const {
    return static_cast<std::size_t>(std::count_if(conns.begin(), conns.end(), [](const conn& c) { return c.fd >= 0; }));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(slow_clients)

BOOST_AUTO_TEST_CASE(slowloris_and_non_readers_do_not_slow_a_normal_client) {
  const int slow_n = env_int("ENFTEST_SLOWLORIS", 1500, 10, 8000);
  const int deaf_n = env_int("ENFTEST_NONREADERS", 200, 1, 2000);
  const int attack_s = env_int("ENFTEST_SLOW_SECONDS", 6, 3, 600);
  constexpr auto header_timeout = std::chrono::milliseconds(2000), write_timeout = std::chrono::milliseconds(2000);
  // Both ends of every connection live in this process: twice the sockets, plus slack.
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  const rlim_t need = static_cast<rlim_t>(2 * (slow_n + deaf_n) + 1024);
  if (lim.rlim_cur < need) {
    lim.rlim_cur = std::min(need, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  BOOST_TEST_REQUIRE(lim.rlim_cur >= need, "ulimit -n " << lim.rlim_cur << " < " << need);
  running_app app([&](config::settings& s) {
    s.limits.header_timeout = header_timeout;
    s.limits.write_timeout = write_timeout;
    s.limits.max_connections = static_cast<std::size_t>(slow_n + deaf_n + 1000);
    // The normal client asks as fast as one connection allows (over the default 1,000 per
    // second per key): what is measured here is the connection layer under slow and deaf
    // clients, not the fair shares (tests/integration/limits_test.cpp has those).
    s.rate_limits.enabled = false;
  });
  const auto key = make_tenant(app.get().database(), "normal@example.com").key;
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + key}};
  const auto normal_call = [&] {
    auto r = http_call(app.port(), "GET", "/v1/me", {}, auth);
    BOOST_TEST(r.status == 200, r.body);
    return r.status;
  };
  latency baseline, under_attack;
  for (int i = 0; i < 300; ++i) baseline.time(normal_call);

  // Deaf clients: 128 pipelined requests for the OpenAPI document each (~10 MB of answers,
  // more than loopback buffers hold), never read, with a small receive buffer: the daemon's
  // writes stall.
  std::string pipelined;
  for (int i = 0; i < 128; ++i) pipelined += "GET /v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<int> deaf;
  for (int i = 0; i < deaf_n; ++i) {
    int fd = open_nonblocking(app.port(), 4096);
    if (fd >= 0) deaf.push_back(fd);
  }
  std::atomic<bool> attacking{true};
  slowloris sl(app.port(), slow_n);
  const auto t_attack = clock_type::now();
  std::thread attacker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the connects finish
    for (int fd : deaf) ::send(fd, pipelined.data(), pipelined.size(), MSG_NOSIGNAL);
    while (attacking) {
      sl.round(true);
      // A real wait: the slowloris drips one byte per round, in wall time.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  // Everything connected and held, well inside both timeouts: waited for (bounded, 1.2 s of
  // the 2 s header timeout), since a sanitizer build on a busy VM accepts 1,700 connections
  // slower than 0.3 s (233 of them once).
  long open_early = 0;
  wait_until(
      [&] {
        open_early = open_connections(app.port());
        return open_early >= (slow_n + deaf_n) * 9 / 10;
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(t_attack + std::chrono::milliseconds(1200) -
                                                            clock_type::now()),
      std::chrono::milliseconds(100));
  while (clock_type::now() - t_attack < std::chrono::seconds(attack_s) && under_attack.size() < 100'000)
    under_attack.time(normal_call);
  const long open_during = open_connections(app.port());
  attacking = false;
  attacker.join();
  const auto open_at_end = sl.open_now();
  // Every slowloris connection still open gets closed by the header timeout (bounded wait;
  // more slack where timing is not asserted: sanitizer builds, where a stall of several seconds
  // was seen once).
  const auto slack = std::chrono::seconds(ENFTEST_TIMING_BOUNDS ? 3 : 10);
  wait_until(
      [&] {
        if (sl.open_now() == 0) return true;
        sl.round(false);
        return false;
      },
      header_timeout + slack, std::chrono::milliseconds(100));
  // The deaf connections, still open on this side, must be gone on the daemon's: its own gauge
  // (a client cannot tell: the daemon's FIN waits behind the unread answers, zero window).
  const auto t_deaf = clock_type::now();
  long daemon_open = open_connections(app.port());
  wait_until(
      [&] {
        daemon_open = open_connections(app.port());
        return daemon_open <= 1;
      },
      write_timeout + slack, std::chrono::milliseconds(100));
  const std::size_t deaf_closed = daemon_open <= 1 ? deaf.size() : 0;
  for (int fd : deaf) ::close(fd);
  BOOST_TEST_MESSAGE(
      "slow clients: " << slow_n << " slowloris (reopened when closed) + " << deaf_n << " never-reading, for "
                       << attack_s << " s (daemon's open connections early on: " << open_early
                       << ", at the end: " << open_during << "); header timeout " << header_timeout.count()
                       << " ms closed " << sl.closed << " slowloris connections (longest lived " << sl.longest_ms
                       << " ms from its first byte), " << sl.open_now() << " still open after "
                       << "the wait, " << sl.refused << " connects refused; write timeout closed " << deaf_closed
                       << " of " << deaf.size()
                       << " deaf connections (daemon's open connections afterwards: " << daemon_open << ", "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t_deaf).count()
                       << " ms after the attack)");
  BOOST_TEST_MESSAGE("  normal client GET /v1/me (new connection each): baseline "
                     << baseline.summary() << "; under attack " << under_attack.summary());
  BOOST_TEST(open_at_end > 0u);  // the attack really held connections open to the end
  BOOST_TEST(open_early >= (slow_n + deaf_n) * 9 / 10);
  BOOST_TEST(sl.open_now() == 0u);
  BOOST_TEST(sl.closed >= slow_n);  // each of the first wave, at least, was closed by the daemon
  // Closed by the header timeout, not left to live out the attack. Measured from the byte we
  // sent, so it includes time in the accept queue, which grows with the reconnect churn of
  // bigger runs (4,000 connections: 2,000 reconnects a second): a quarter of the attack allowed.
#if ENFTEST_TIMING_BOUNDS
  const double longest_bound = static_cast<double>(header_timeout.count()) + std::max(1500.0, attack_s * 1000.0 / 4);
  BOOST_TEST(sl.longest_ms < longest_bound);
#endif
  BOOST_TEST(sl.refused == 0);
  BOOST_TEST(deaf.size() == static_cast<std::size_t>(deaf_n));
  BOOST_TEST(deaf_closed == deaf.size());
#if ENFTEST_TIMING_BOUNDS
  BOOST_TEST(under_attack.size() >= 50u);
  BOOST_TEST(within_twice(under_attack.pct(50), baseline.pct(50), 1.0), under_attack.summary()
                                                                            << " vs " << baseline.summary());
  BOOST_TEST(within_twice(under_attack.pct(99), baseline.pct(99), 10.0), under_attack.summary()
                                                                             << " vs " << baseline.summary());
#endif
  BOOST_TEST(http_call(app.port(), "GET", "/healthz").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 23, findings 2, 3 and 7, each with the body the review sent: numbers that are not
// JSON or do not round-trip, duplicate member names, and 16-digit recipients are refused with
// a 400 naming the member, on the send route, the Graph-compatible send route and instance
// create; nothing is stored or sent to Meta. A well-formed body in the same run is accepted.
namespace {

constexpr const char* json_phone = "106540352242923";
constexpr const char* json_waba = "102290129340399";
constexpr const char* json_token = "EAAGstrictJsonTOKEN0123456789abcdef";

struct strict_json_fixture {
  fake_meta meta{fake_graph::one_number_config(json_phone, json_waba, json_token)};
  running_app app{[this](config::settings& s) { s.meta.base_url = meta.base_url(); }};
  std::string key = make_tenant(app.get().database(), "strict-json@example.com").key;
  std::string instance_id;

  strict_json_fixture() {
    auto r = call("POST", "/v1/instances", credentials(""));
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    instance_id = std::string(boost::json::parse(r.body).at("id").as_string());
  }
  // Instance credentials as JSON text, with `extra` members spliced in (text, not a value:
  // the point is members a JSON library would merge or round).
  static std::string credentials(const std::string& extra) {
    return std::string(R"({"name":"Shop","phone_number_id":")") + json_phone + R"(","waba_id":")" + json_waba +
           R"(","access_token":")" + json_token +
           R"(","app_secret":"strictjsonsecret0123456789","app_id":"1234567890123")" + extra + "}";
  }
  http_result call(const std::string& method, const std::string& target, const std::string& body = {}) {
    header_list h{{"Authorization", "Bearer " + key}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return http_request("127.0.0.1", app.port(), method, target, h, body);
  }
  std::string send_path() const { return "/v1/instances/" + instance_id + "/messages"; }
  std::string graph_path() const { return app.settings.graph.prefix + "/v23.0/" + json_phone + "/messages"; }
  std::size_t logged() {
    auto r = call("GET", send_path());
    BOOST_REQUIRE(r.status == 200u);
    return boost::json::parse(r.body).at("data").as_array().size();
  }
};

struct hostile_json_case {
  const char* name;
  std::string body;
  std::string code;   // the problem's code on /v1
  std::string field;  // the member named
};

std::vector<hostile_json_case> hostile_json_cases() {
  return {
      {"finding 2: 1e999999", R"({"to":"4915112345678","type":"text","text":{"body":"x"},"n":1e999999})",
       "json_number_out_of_range", "n"},
      {"finding 2: -1e999999 in depth", R"({"to":"4915112345678","type":"text","text":{"body":"x","n":[-1e999999]}})",
       "json_number_out_of_range", "text.n[0]"},
      {"finding 2: a 30-digit integer",
       R"({"to":"4915112345678","type":"text","text":{"body":"x"},"n":123456789012345678901234567890})",
       "json_number_out_of_range", "n"},
      {"finding 2: 2^64", R"({"to":"4915112345678","type":"text","text":{"body":"x"},"n":18446744073709551616})",
       "json_number_out_of_range", "n"},
      {"finding 3: to twice", R"({"to":"4915112345678","to":"4915199999999","type":"text","text":{"body":"x"}})",
       "json_duplicate_member", "to"},
      {"finding 3: body twice", R"({"to":"4915112345678","type":"text","text":{"body":"x","body":"y"}})",
       "json_duplicate_member", "text.body"},
      {"finding 7: 16 digits", R"({"to":"4915112345678901","type":"text","text":{"body":"x"}})", "invalid_field", "to"},
      {"finding 7: 20 digits", R"({"to":"+49 151 1234 5678 9012 34","type":"text","text":{"body":"x"}})",
       "invalid_field", "to"},
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_json)

BOOST_FIXTURE_TEST_CASE(send_refuses_numbers_duplicates_and_long_numbers_naming_the_member, strict_json_fixture) {
  for (const auto& c : hostile_json_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      auto r = call("POST", send_path(), c.body);
      BOOST_TEST(r.status == 400u, r.body);
      BOOST_TEST(r.header("content-type") == "application/problem+json");
      const auto p = boost::json::parse(r.body).as_object();
      BOOST_TEST(p.at("code").as_string() == c.code);
      BOOST_TEST(p.at("field").as_string() == c.field);
    }
  }
  BOOST_TEST(logged() == 0u);  // none of them stored
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().empty());
  // The same shape, well formed, with a 15-digit number: accepted.
  auto ok = call("POST", send_path(), R"({"to":"491511234567890","type":"text","text":{"body":"x"},"n":1.5e3})");
  BOOST_TEST(ok.status == 202u, ok.body);
  BOOST_TEST(logged() == 1u);
}

BOOST_FIXTURE_TEST_CASE(graph_compatible_send_refuses_them_in_metas_envelope, strict_json_fixture) {
  for (const auto& c : hostile_json_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      auto r = call("POST", graph_path(), c.body);
      BOOST_TEST(r.status == 400u, r.body);
      const auto e = boost::json::parse(r.body).at("error").as_object();
      BOOST_TEST(e.at("code").as_int64() == 100);  // Meta's "invalid parameter"
      // Meta's details name the field, as Meta's own do.
      const std::string details(e.at("error_data").at("details").as_string());
      BOOST_TEST(details.rfind(c.field + ": ", 0) == 0u, details);
    }
  }
  BOOST_TEST(logged() == 0u);
  BOOST_TEST(meta.admin_get("messages").at("messages").as_array().empty());
  auto ok =
      call("POST", graph_path(), R"({"messaging_product":"whatsapp","to":"491511234567890","text":{"body":"x"}})");
  BOOST_TEST(ok.status == 200u, ok.body);
}

BOOST_FIXTURE_TEST_CASE(instance_create_refuses_duplicates_and_numbers_naming_the_member, strict_json_fixture) {
  struct row {
    std::string extra, code, field;
  };
  const row rows[] = {
      {R"(,"name":"Other")", "json_duplicate_member", "name"},
      {R"(,"access_token":"EAAGsomeoneElsesTOKEN0123456789abcd")", "json_duplicate_member", "access_token"},
      {R"(,"n":1e999999)", "json_number_out_of_range", "n"},
      {R"(,"n":123456789012345678901234567890)", "json_number_out_of_range", "n"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.extra) {
      auto got = call("POST", "/v1/instances", credentials(r.extra));
      BOOST_TEST(got.status == 400u, got.body);
      const auto p = boost::json::parse(got.body).as_object();
      BOOST_TEST(p.at("code").as_string() == r.code);
      BOOST_TEST(p.at("field").as_string() == r.field);
      BOOST_TEST(p.at("pointer").as_string() == "/" + r.field);
      BOOST_TEST(got.body.find("someoneElses") == std::string::npos);  // never the value back
    }
  }
  auto list = call("GET", "/v1/instances");
  BOOST_REQUIRE(list.status == 200u);
  BOOST_TEST(boost::json::parse(list.body).at("data").as_array().size() == 1u);  // the fixture's only
}

BOOST_AUTO_TEST_SUITE_END()
