// loadgen: see loadgen.hpp.
#include "loadgen.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace enfinito::bench {
namespace {

using tcp = net::ip::tcp;
namespace bhttp = beast::http;
using clock_type = std::chrono::steady_clock;

struct shared_state {
  std::mutex mu;
  std::atomic<std::uint64_t> counter{0};
  load_result out;
};

net::awaitable<void> connection_loop(const load_plan& plan, int index, clock_type::time_point t0, shared_state& st) {
  auto ex = co_await net::this_coro::executor;
  beast::tcp_stream s(ex);
  boost::system::error_code ec;
  // A server may end a kept-alive connection (its per-connection request limit): like a real
  // client, open a new one and go on, so a long closed-loop run is not cut short.
  const auto connect = [&]() -> net::awaitable<void> {
    co_await s.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), plan.port),
                             net::redirect_error(net::use_awaitable, ec));
    if (!ec) s.socket().set_option(tcp::no_delay(true));
  };
  co_await connect();
  std::vector<double> lat;
  std::uint64_t ok = 0, refused = 0, errors = ec ? 1 : 0;
  beast::flat_buffer buf;
  net::steady_timer timer(ex);
  const auto end = t0 + plan.duration;
  for (std::uint64_t k = 0; !ec; ++k) {
    clock_type::time_point scheduled;
    std::uint64_t n = 0;
    if (plan.rate > 0) {
      n = k * static_cast<std::uint64_t>(plan.connections) + static_cast<std::uint64_t>(index);
      scheduled = t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(double(n) * 1e9 / plan.rate));
      if (scheduled >= end) break;
      timer.expires_at(scheduled);
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    } else {
      scheduled = clock_type::now();
      if (scheduled >= end) break;
      n = st.counter.fetch_add(1);
      if (plan.max_requests > 0 && n >= plan.max_requests) break;
    }
    http_request req = plan.make(n);
    req.version(11);
    req.keep_alive(true);
    req.prepare_payload();
    http_response res;
    co_await bhttp::async_write(s, req, net::redirect_error(net::use_awaitable, ec));
    if (!ec) co_await bhttp::async_read(s, buf, res, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      ++errors;
      break;
    }
    lat.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - scheduled).count());
    if (res.result_int() == plan.expect_status)
      ++ok;
    else
      ++refused;
    if (!res.keep_alive()) {
      s.socket().close(ec);
      buf.clear();
      co_await connect();
      if (ec) ++errors;
    }
  }
  std::lock_guard lock(st.mu);
  st.out.ok += ok;
  st.out.refused += refused;
  st.out.errors += errors;
  st.out.latencies_ms.insert(st.out.latencies_ms.end(), lat.begin(), lat.end());
}

}  // namespace

double load_result::p(double q) const {
  if (latencies_ms.empty()) return 0;
  auto v = latencies_ms;
  auto k = static_cast<std::size_t>(q * double(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

load_result run_load(const load_plan& plan) {
  shared_state st;
  std::thread t([&] {
    const double cpu0 = this_thread_cpu_s();
    net::io_context ioc(1);
    const auto t0 = clock_type::now() + std::chrono::milliseconds(50);
    for (int i = 0; i < plan.connections; ++i) net::co_spawn(ioc, connection_loop(plan, i, t0, st), net::detached);
    const auto start = clock_type::now();
    ioc.run();
    st.out.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    st.out.cpu_s = this_thread_cpu_s() - cpu0;
  });
  t.join();
  return std::move(st.out);
}

bare_server::bare_server(unsigned threads, std::function<http_response(const http_request&)> handle)
    : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}), handle_(std::move(handle)) {
  net::co_spawn(ioc_, accept_loop(), net::detached);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

bare_server::~bare_server() {
  ioc_.stop();
  for (auto& t : threads_) t.join();
}

std::uint16_t bare_server::port() const { return acceptor_.local_endpoint().port(); }

net::awaitable<void> bare_server::accept_loop() {
  for (;;) {
    auto sock = co_await acceptor_.async_accept(net::use_awaitable);
    net::co_spawn(acceptor_.get_executor(), serve(std::move(sock)), net::detached);
  }
}

net::awaitable<void> bare_server::serve(tcp::socket sock) {
  beast::tcp_stream s(std::move(sock));
  s.socket().set_option(tcp::no_delay(true));
  beast::flat_buffer buf;
  boost::system::error_code ec;
  while (!ec) {
    http_request req;
    co_await bhttp::async_read(s, buf, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    http_response res = handle_(req);
    res.version(11);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_await bhttp::async_write(s, res, net::redirect_error(net::use_awaitable, ec));
  }
}

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double this_thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

int this_tid() { return static_cast<int>(::syscall(SYS_gettid)); }

namespace {
// utime and stime of one /proc/self/task/<tid>/stat, and its thread name.
cpu_split stat_cpu(const std::string& path, std::string* name) {
  std::ifstream f(path);
  std::string s((std::istreambuf_iterator<char>(f)), {});
  const auto open = s.find('(');
  if (name && open != std::string::npos) *name = s.substr(open + 1, s.rfind(')') - open - 1);
  const auto close = s.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  const double tick = double(sysconf(_SC_CLK_TCK));
  return {double(utime) / tick, double(stime) / tick};
}
}  // namespace

double thread_cpu_s(int tid) { return stat_cpu("/proc/self/task/" + std::to_string(tid) + "/stat", nullptr).total(); }

io_counters process_io() {
  io_counters out;
  std::ifstream f("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (f >> key >> value) {
    if (key == "wchar:") out.wchar = value;
    if (key == "write_bytes:") out.write_bytes = value;
  }
  return out;
}

std::map<std::string, cpu_split> cpu_by_thread_name() {
  std::map<std::string, cpu_split> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string name;
    const cpu_split s = stat_cpu(e.path().string() + "/stat", &name);
    if (auto dash = name.find_last_of('-');
        dash != std::string::npos && name.find_first_not_of("0123456789", dash + 1) == std::string::npos)
      name.resize(dash);  // reactor-0, reactor-1 -> reactor
    out[name].user_s += s.user_s;
    out[name].system_s += s.system_s;
  }
  return out;
}

answer call(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers) {
  net::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http_request req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() && req.find(bhttp::field::content_type) == req.end())
    req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  bhttp::write(s, req);
  beast::flat_buffer buf;
  http_response res;
  bhttp::read(s, buf, res);
  return {res.result_int(), std::move(res.body())};
}

void print_load(const char* name, const load_result& r) {
  std::printf("%s requests=%llu ok_per_s=%.0f refused=%llu errors=%llu p50_ms=%.2f p99_ms=%.2f\n", name,
              static_cast<unsigned long long>(r.ok + r.refused), r.per_second(),
              static_cast<unsigned long long>(r.refused), static_cast<unsigned long long>(r.errors), r.p(0.50),
              r.p(0.99));
  std::fflush(stdout);
}

}  // namespace enfinito::bench
