// web_bench: what the web app asks of the daemon, with 10,000 messages in one instance.
//
//   build/release/tools/bench/web_bench [seconds=5] [connections=4] [peers=500] [only]
//
// `only` = healthz | gzip | plain runs just that load for `seconds` (after the fill), for a
// profiler: `perf record -e cpu-clock` then `perf report --sort comm` splits the daemon's
// reactors (named threads) from the load generator.
//
// The instance's log is filled with 10,000 messages (both directions) spread over `peers`
// customers, as the send and inbound paths leave them (rows, conversations rows). Then, closed
// loop over kept-alive loopback connections, with an API key:
// - the conversations list (GET /v1/instances/{id}/conversations, the first page of 50);
// - a conversation page (GET /v1/instances/{id}/messages?peer=…, 50 messages of one peer,
//   the peer changing with each request);
// and, in the same run, a static asset of the web app (/assets/<bundle>/app.js, the name read
// from the page; gzip as browsers ask for it, and plain) against /healthz, alternated in seven
// one-second rounds: the median of the rounds' ratios is the figure (the daemon's CPU per answer,
// and the closed-loop rate). Prints p50/p99 per request.
// Loopback only, bounded in time.
#include "gateway.hpp"
#include "loadgen.hpp"

#include <enfinito/core/clock.hpp>
#include <enfinito/store/conversations.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <cstdlib>
#include <string>
#include <vector>

using namespace enfinito;
using namespace enfinito::bench;
namespace bhttp = beast::http;

namespace {

constexpr int messages = 10000;

std::string peer_of(int i) { return "4915" + std::to_string(100000000 + i); }

// 10,000 messages over `peers` customers, oldest first, every third one inbound; the
// conversations rows the inbound path writes with them.
bool fill(app::app& d, const std::string& instance, int peers) {
  const auto now = core::wall_ms();
  auto ec = d.database().write_sync([&](store::connection& c) -> core::error_code {
    core::error_code prepared;
    auto* s = c.prepare(
        "INSERT INTO messages(id, instance_id, direction, peer, type, body, status, wamid, created_at, "
        "updated_at) VALUES(?1, ?2, ?3, ?4, 'text', ?5, ?6, ?7, ?8, ?8)",
        prepared);
    if (!s) return prepared;
    for (int i = 0; i < messages; ++i) {
      const bool in = i % 3 == 0;
      const auto peer = peer_of(i % peers);
      const std::int64_t at = now - (messages - i) * 1000LL;
      s->bind(1, "msg_bench" + std::to_string(i)).bind(2, instance).bind(3, in ? "inbound" : "outbound");
      s->bind(4, peer).bind(5, R"({"type":"text","text":{"body":"benchmark message )" + std::to_string(i) + R"("}})");
      s->bind(6, in ? "received" : "delivered").bind(7, "wamid.bench" + std::to_string(i)).bind(8, at);
      if (auto e = s->run()) return e;
      if (in)
        if (auto e = store::conversations::note_inbound(c, instance, peer, at, "Customer " + std::to_string(i % peers)))
          return e;
    }
    return {};
  });
  if (ec) std::fprintf(stderr, "fill failed: %s\n", ec.message().c_str());
  return !ec;
}

// GET requests; `key`: an API key to send; `gzip`: accept a gzip body, as browsers do.
std::function<http_request(std::uint64_t)> get(std::function<std::string(std::uint64_t)> target, std::string key,
                                               bool gzip = false) {
  return [target = std::move(target), key = std::move(key), gzip](std::uint64_t n) {
    http_request req{bhttp::verb::get, target(n), 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (!key.empty()) req.set(bhttp::field::authorization, "Bearer " + key);
    if (gzip) req.set(bhttp::field::accept_encoding, "gzip");
    return req;
  };
}

// The app's script under its bundle name, as the page names it ("" when the page has none).
std::string asset_path(std::uint16_t port) {
  net::io_context ioc;
  net::ip::tcp::socket sock(ioc);
  boost::system::error_code ec;
  sock.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {};
  http_request req{bhttp::verb::get, "/", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::accept, "text/html");
  bhttp::write(sock, req, ec);
  beast::flat_buffer buf;
  http_response res;
  bhttp::read(sock, buf, res, ec);
  if (ec) return {};
  const auto& page = res.body();
  const auto end = page.find("/app.js\"");
  const auto begin = end == std::string::npos ? std::string::npos : page.rfind("\"/assets/", end);
  return begin == std::string::npos ? std::string() : page.substr(begin + 1, end + 7 - begin - 1);
}

void print_latency(const char* name, const load_result& r) {
  std::printf("%-24s requests=%llu per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%llu\n", name,
              static_cast<unsigned long long>(r.ok), r.per_second(), r.p(0.50), r.p(0.99),
              static_cast<unsigned long long>(r.errors + r.refused));
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const int connections = argc > 2 ? std::clamp(std::atoi(argv[2]), 1, 256) : 4;
  const int peers = argc > 3 ? std::clamp(std::atoi(argv[3]), 1, messages) : 500;
  const char* only = argc > 4 ? argv[4] : nullptr;

  gateway gw(one_number::fake_config());
  const auto port = gw.port();
  const std::string instance = one_number::create_instance(gw);
  if (instance.empty() || !fill(gw.daemon(), instance, peers)) return 1;
  const std::chrono::milliseconds duration(seconds * 1000);
  std::printf("web_bench seconds=%d connections=%d messages=%d peers=%d\n", seconds, connections, messages, peers);

  const std::string base = "/v1/instances/" + instance;
  if (only == nullptr) {
    auto list = run_load({port, connections, duration, 0, 200,
                          get([&](std::uint64_t) { return base + "/conversations?limit=50"; }, gw.api_key())});
    print_latency("conversations_list", list);
    auto page =
        run_load({port, connections, duration, 0, 200,
                  get([&](std::uint64_t n) { return base + "/messages?limit=50&peer=" + peer_of(int(n % peers)); },
                      gw.api_key())});
    print_latency("conversation_page", page);
  }

  const std::string asset = asset_path(port);
  if (asset.empty()) {
    std::printf("static asset: the page names no /assets/…/app.js; skipped\n");
    return 0;
  }
  if (only != nullptr) {
    const std::string what = only;
    const bool gz = what == "gzip";
    const std::string path = what == "healthz" ? "/healthz" : asset;
    auto r = run_load({port, connections, duration, 0, 200, get([&](std::uint64_t) { return path; }, "", gz)});
    print_latency(what.c_str(), r);
    return 0;
  }
  // Asset against /healthz: alternated in short rounds so that a change of the machine's speed
  // during the run (this VM's moves by 2x) hits both sides of each ratio alike; the median of
  // the rounds' ratios is the figure. Two figures per form:
  // - serving cost: the daemon's reactors' CPU time per answer (the named reactor threads'
  //   user + kernel time), /healthz's divided by the asset's: >= 1 means the daemon serves the
  //   asset at least as cheaply as /healthz;
  // - closed-loop rate, asset's over /healthz's: this also counts the load generator reading a
  //   larger body in the same process, and how the kernel spread 4 connections over 2 reactors.
  constexpr int rounds = 7;
  const std::chrono::milliseconds round_time(1000);
  struct measured {
    double per_s = 0, reactor_us = 0, p99_ms = 0, kernel_us = 0;
    std::uint64_t errors = 0;
  };  // reactor_us: user + kernel; kernel_us: the kernel's part
  const auto measure = [&](const std::string& path, bool gzip) {
    const auto before = cpu_by_thread_name();
    auto r = run_load({port, connections, round_time, 0, 200, get([&](std::uint64_t) { return path; }, "", gzip)});
    const auto after = cpu_by_thread_name();
    const auto reactor = [](const std::map<std::string, cpu_split>& m) {
      auto it = m.find("reactor");
      return it == m.end() ? cpu_split{} : it->second;
    };
    const double n = r.ok ? double(r.ok) : 1.0;
    measured out{r.per_second(), (reactor(after).total() - reactor(before).total()) * 1e6 / n, r.p(0.99),
                 (reactor(after).system_s - reactor(before).system_s) * 1e6 / n, r.errors + r.refused};
    return out;
  };
  std::vector<double> plain_ratios, gzip_ratios, plain_cost_ratios, gzip_cost_ratios;
  for (int r = 0; r < rounds; ++r) {
    const auto health = measure("/healthz", false);
    const auto app_js_gz = measure(asset, true);
    const auto app_js = measure(asset, false);
    if (health.per_s <= 0 || app_js_gz.reactor_us <= 0 || app_js.reactor_us <= 0) continue;
    gzip_ratios.push_back(app_js_gz.per_s / health.per_s);
    plain_ratios.push_back(app_js.per_s / health.per_s);
    gzip_cost_ratios.push_back(health.reactor_us / app_js_gz.reactor_us);
    plain_cost_ratios.push_back(health.reactor_us / app_js.reactor_us);
    std::printf(
        "round %d reactor_us_per_answer healthz=%.1f gzip=%.1f plain=%.1f of which kernel %.1f %.1f %.1f "
        "(cost ratio gzip=%.3f plain=%.3f) "
        "per_s healthz=%.0f gzip=%.0f plain=%.0f (rate ratio gzip=%.3f plain=%.3f) "
        "p99_ms healthz=%.3f gzip=%.3f errors=%llu\n",
        r + 1, health.reactor_us, app_js_gz.reactor_us, app_js.reactor_us, health.kernel_us, app_js_gz.kernel_us,
        app_js.kernel_us, gzip_cost_ratios.back(), plain_cost_ratios.back(), health.per_s, app_js_gz.per_s,
        app_js.per_s, gzip_ratios.back(), plain_ratios.back(), health.p99_ms, app_js_gz.p99_ms,
        static_cast<unsigned long long>(health.errors + app_js_gz.errors + app_js.errors));
  }
  const auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  // The target is on the form every browser gets (Accept-Encoding: gzip); the plain form, for
  // clients without gzip, is 2.8 times the bytes and is reported beside it.
  std::printf(
      "asset %s rounds=%zu median cost_ratio gzip=%.3f (target >= 1) plain=%.3f rate_ratio gzip=%.3f "
      "plain=%.3f\n",
      asset.c_str(), gzip_ratios.size(), median(gzip_cost_ratios), median(plain_cost_ratios), median(gzip_ratios),
      median(plain_ratios));
  return 0;
}
