#pragma once
// loadgen: the benchmarks' HTTP load generator and baseline server (loopback only, bounded in
// time). A load generator runs on its own thread with N kept-alive connections, closed loop
// (as fast as answered) or open loop (fixed rate; latency measured from each request's
// scheduled time so a stall is not hidden). The baseline server is a bare Beast server whose
// handler does only what the benchmark says the baseline does.
#include <enfinito/core/net.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace enfinito::bench {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

struct load_result {
  std::uint64_t ok = 0, refused = 0, errors = 0;
  double seconds = 0;
  double cpu_s = 0;  // the load generator's own CPU time
  std::vector<double> latencies_ms;
  double p(double q) const;
  double per_second() const { return seconds > 0 ? double(ok) / seconds : 0; }
};

struct load_plan {
  std::uint16_t port = 0;
  int connections = 64;
  std::chrono::milliseconds duration{5000};
  double rate = 0;                                    // 0: closed loop; else requests/s, open loop
  unsigned expect_status = 202;                       // what counts as ok
  std::function<http_request(std::uint64_t n)> make;  // request number n (thread: the generator's)
  std::uint64_t max_requests = 0;                     // closed loop: stop after this many (0: duration only)
};

/** Runs the plan on a thread of its own and waits for it. */
load_result run_load(const load_plan& plan);

/** A bare Beast HTTP server on loopback: `handle` answers each request (on its threads). */
class bare_server {
 public:
  bare_server(unsigned threads, std::function<http_response(const http_request&)> handle);
  ~bare_server();
  std::uint16_t port() const;

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(net::ip::tcp::socket sock);
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::function<http_response(const http_request&)> handle_;
  std::vector<std::thread> threads_;
};

/** CPU seconds: the whole process; one thread by tid; the calling thread; the caller's tid. */
double process_cpu_s();
double thread_cpu_s(int tid);
// CPU seconds of this process's threads grouped by thread name (`reactor-0` and `reactor-1` count
// as `reactor`): which part of the daemon spends the time, in user space and in the kernel.
struct cpu_split {
  double user_s = 0, system_s = 0;
  double total() const { return user_s + system_s; }
};
std::map<std::string, cpu_split> cpu_by_thread_name();
// This process's write counters from /proc/self/io.
struct io_counters {
  std::uint64_t wchar = 0;        // bytes passed to write(2) and friends
  std::uint64_t write_bytes = 0;  // bytes sent to the storage layer
};
io_counters process_io();
double this_thread_cpu_s();
int this_tid();

/** A synchronous one-off request (setup calls, admin endpoints). */
struct answer {
  unsigned status = 0;
  std::string body;
};
answer call(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body = {},
            const std::vector<std::pair<std::string, std::string>>& headers = {});

void print_load(const char* name, const load_result& r);

}  // namespace enfinito::bench
