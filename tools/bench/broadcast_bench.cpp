// broadcast_bench: accepting a 100,000-recipient broadcast (issue 21) against the same messages
// sent as single API requests, in the same run.
//
//   build/release/tools/bench/broadcast_bench [recipients=100000] [connections=64]
//
// One process, loopback only, bounded in time:
//   - the fake Graph API (tools/fake_graph) on its own thread, its templates seeded, and
//     Enfinito (app::app, release build) pointed at it; the instance's template copy is synced
//     first, so every row is checked against the template as in production;
//   - 1. broadcast: one POST /v1/instances/{id}/broadcasts with `recipients` rows of
//     appointment_reminder (two body parameters each), answered 201 once every row is checked
//     and every message durably stored: seconds, and the process's peak resident size above
//     idle during the request (the request body is built before idle is read, and moved, not
//     copied, into the request: what rises is the daemon's);
//   - 2. single sends: the same `recipients` template messages as POST .../messages, over
//     `connections` kept-alive connections, closed loop: seconds;
//   - the ratio of the two.
// Both phases schedule their messages an hour ahead (`send_at`), so the queue sends nothing
// while they run: they measure accepting (validation and durable commit), not sending.
// Prints one key=value line per figure; docs/performance.md keeps the latest numbers.
#include "gateway.hpp"
#include "loadgen.hpp"

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

using namespace enfinito;
using namespace enfinito::bench;
namespace bhttp = beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* phone = "106540352200001";
constexpr const char* waba = "102290129340001";
constexpr const char* token = "EAAGbenchTOKENbenchTOKENbenchTOKEN0001";

std::string fake_config() {
  json::object number{{"id", phone},
                      {"waba_id", waba},
                      {"display_phone_number", "15550100001"},
                      {"verified_name", "Bench"},
                      {"quality_rating", "GREEN"},
                      {"mps", 1000},
                      {"throughput_level", "HIGH"},
                      {"pair_interval_ms", 0},
                      {"pair_burst", 1000000}};
  json::object cfg{{"wabas", json::array{json::object{{"id", waba}, {"name", "Bench"}}}},
                   {"phone_numbers", json::array{std::move(number)}},
                   {"tokens", json::array{json::object{{"token", token}, {"waba_ids", json::array{waba}}}}},
                   {"seed_templates", true},
                   {"knobs", json::object{{"window_mode", "off"}}}};
  return json::serialize(cfg);
}

std::string recipient_number(std::uint64_t i) { return "+1555" + std::to_string(2000000 + i); }

// A kB figure of /proc/self/status (VmRSS, VmHWM), in bytes.
std::int64_t status_bytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atoll(line.c_str() + key.size()) * 1024;
  return -1;
}

// Resets VmHWM to the current RSS (Linux ≥ 4.0); false where /proc is read-only.
bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// The resident size sampled every millisecond while `running`: a second witness of the peak,
// for kernels where clear_refs is not allowed.
struct rss_sampler {
  std::atomic<bool> running{true};
  std::atomic<std::int64_t> peak{0};
  std::thread t{[this] {
    while (running) {
      peak = std::max(peak.load(), status_bytes("VmRSS"));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }};
  ~rss_sampler() {
    running = false;
    t.join();
  }
};

// One request with `body` moved in (no copy made after idle was read); the answer.
answer post_moved(std::uint16_t port, const std::string& target, const std::string& key, std::string&& body) {
  net::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http_request req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::authorization, "Bearer " + key);
  req.set(bhttp::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  bhttp::write(s, req);
  beast::flat_buffer buf;
  http_response res;
  bhttp::read(s, buf, res);
  return {res.result_int(), std::move(res.body())};
}

json::object template_of() { return {{"name", "appointment_reminder"}, {"language", "en_US"}}; }

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<std::uint64_t>(argc > 1 ? std::clamp(std::atoll(argv[1]), 1LL, 100000LL) : 100000LL);
  const int connections = argc > 2 ? std::clamp(std::atoi(argv[2]), 1, 1000) : 64;
  core::log::set_level(core::log::level::error);

  gateway gw(fake_config());
  const auto port = gw.port();
  const std::string key = gw.api_key();
  const std::string instance = gw.create_instance(phone, waba, token, "benchsecretbenchsecret01");
  if (instance.empty()) return 1;
  const std::string base = "/v1/instances/" + instance;
  const auto synced = call(port, "POST", base + "/templates/sync", "", {{"Authorization", "Bearer " + key}});
  if (synced.status != 200) {
    std::fprintf(stderr, "template sync: %u %s\n", synced.status, synced.body.c_str());
    return 1;
  }
  const std::int64_t send_at = core::wall_ms() + 3'600'000;  // nothing is sent while measuring
  std::printf("broadcast_bench recipients=%llu connections=%d reactors=%u\n", static_cast<unsigned long long>(n),
              connections, std::thread::hardware_concurrency());

  // 1. One broadcast of n recipients.
  std::string body;
  {
    json::array rows;
    rows.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i)
      rows.push_back(json::object{{"to", recipient_number(i)}, {"parameters", json::array{"Pat", "Monday"}}});
    json::object b{
        {"name", "bench"}, {"template", template_of()}, {"send_at", send_at}, {"recipients", std::move(rows)}};
    body = json::serialize(b);
  }
  const std::size_t body_bytes = body.size();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // setup's work settles
  const std::int64_t idle = status_bytes("VmRSS");
  const bool peak_reset = reset_peak();
  answer created;
  double broadcast_s = 0;
  std::int64_t sampled_peak = 0;
  {
    rss_sampler sampler;
    const auto t0 = clock_type::now();
    created = post_moved(port, base + "/broadcasts", key, std::move(body));
    broadcast_s = std::chrono::duration<double>(clock_type::now() - t0).count();
    sampled_peak = sampler.peak;
  }
  const std::int64_t hwm = status_bytes("VmHWM");
  if (created.status != 201) {
    std::fprintf(stderr, "broadcast: %u %.300s\n", created.status, created.body.c_str());
    return 1;
  }
  const std::int64_t peak = peak_reset ? std::max(hwm, sampled_peak) : sampled_peak;
  std::printf(
      "broadcast_accept recipients=%llu body_bytes=%zu seconds=%.2f idle_rss_mib=%.1f "
      "peak_above_idle_mib=%.1f peak_source=%s rss_after_mib=%.1f\n",
      static_cast<unsigned long long>(n), body_bytes, broadcast_s, double(idle) / 1048576.0,
      double(peak - idle) / 1048576.0, peak_reset ? "vmhwm_reset" : "sampled_1ms",
      double(status_bytes("VmRSS")) / 1048576.0);
  std::fflush(stdout);

  // 2. The same messages as n single API requests (other numbers: no recipient twice).
  const std::string target = base + "/messages";
  auto make = [&](std::uint64_t i) {
    http_request req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::authorization, "Bearer " + key);
    req.set(bhttp::field::content_type, "application/json");
    json::object m{
        {"to", recipient_number(n + i)},
        {"type", "template"},
        {"template",
         {{"name", "appointment_reminder"},
          {"language", {{"code", "en_US"}}},
          {"components", json::array{json::object{
                             {"type", "body"},
                             {"parameters", json::array{json::object{{"type", "text"}, {"text", "Pat"}},
                                                        json::object{{"type", "text"}, {"text", "Monday"}}}}}}}}},
        {"send_at", send_at}};
    req.body() = json::serialize(m);
    return req;
  };
  load_plan plan{port, connections, std::chrono::milliseconds(600'000), 0, 202, make};
  plan.max_requests = n;
  const auto singles = run_load(plan);
  print_load("single_sends", singles);
  std::printf("single_sends requests=%llu seconds=%.2f\n", static_cast<unsigned long long>(singles.ok),
              singles.seconds);
  if (singles.ok != n)
    std::printf("single_sends_incomplete ok=%llu of %llu\n", static_cast<unsigned long long>(singles.ok),
                static_cast<unsigned long long>(n));
  std::printf("ratio single_sends_seconds_vs_broadcast=%.1f\n", broadcast_s > 0 ? singles.seconds / broadcast_s : 0.0);
  return 0;
}
