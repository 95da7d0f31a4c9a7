// send_bench: the send path end to end, against a baseline in the same run.
//
//   build/release/tools/bench/send_bench [seconds=5] [connections=64] [instances=100] [--runs N]
//                                        [--open-fraction F]
//
// One process, loopback only, bounded in time:
//   - the fake Graph API (tools/fake_graph) on its own thread, with `instances` numbers whose
//     throughput is raised (as Meta does for high-tier numbers) and the 24 h window off;
//   - Enfinito (app::app, release build, its default reactors and store writer) pointed at it;
//   - a load generator on its own thread posting text messages to
//     POST /v1/instances/{id}/messages over kept-alive connections, spread over the instances
//     and over 1,000 recipients per instance.
// Phases:
//   1. baseline: the same load against a bare Beast server that answers 202 with a canned body
//      and does no work (same machine, same load generator, same connections);
//   2. closed loop: as fast as Enfinito accepts, then until the fake received every accepted
//      message: accepted/s, delivered-to-fake/s, accept latency p50/p99;
//   3. CPU: the daemon's CPU time (every thread but the fake's and the load generator's) per
//      relayed message;
//   4. the Node peer (issue 22), when its npm set-up is installed (tools/bench/peers, see
//      node_peer.hpp): tools/bench/peers/send_http.js, node:http with better-sqlite3 accepting
//      the same requests (key, instance, the text message's shape, then the message row, its
//      send job and its event in one transaction, WAL, synchronous=FULL) in a copy of
//      Enfinito's database, closed loop, same load; it relays nothing, Enfinito does in the
//      same seconds;
//   5. open loop at 0.1x the bare server's rate of this run: accept latency p50/p99 (measured
//      from each request's scheduled time, so a stall is not hidden by the load generator
//      waiting), with the store writer's commit and checkpoint times in the same seconds.
// The targets (issue 22) are ratios to the bare server in the same run, because this VM's
// speed moves by 2x between days: daemon CPU per relayed message <= 6x the bare server's per
// request; accepted/s >= 0.2x the bare server's; the open loop at 0.1x its rate with p99 < 10 ms
// (in at least 19 of 20 runs); and Enfinito / Node accepted/s >= 2x. Each is printed as a
// ratio with "met" or "not met"; `--runs N` repeats phases 1-5 N times on the same daemon and
// ends with how many runs met each target. `--open-fraction F` runs the open loop at F x the bare
// rate instead of 0.1 (a diagnostic: below the daemon's capacity, what is left of the p99 is
// stalls, not queueing); the open-loop target is only judged at 0.1.
// Prints one key=value line per figure; docs/performance.md keeps the numbers.
#include "gateway.hpp"
#include "loadgen.hpp"
#include "node_peer.hpp"

#include <enfinito/config/settings.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/store/store.hpp>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace enfinito;
using namespace enfinito::bench;
namespace bhttp = beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* waba = "102290129340001";
constexpr const char* token = "EAAGbenchTOKENbenchTOKENbenchTOKEN0001";

std::string phone_of(int i) { return std::to_string(106540352200000LL + i); }

std::string fake_config(int instances) {
  json::array numbers;
  for (int i = 0; i < instances; ++i)
    numbers.push_back(json::object{{"id", phone_of(i)},
                                   {"waba_id", waba},
                                   {"display_phone_number", std::to_string(15550100000LL + i)},
                                   {"verified_name", "Bench"},
                                   {"quality_rating", "GREEN"},
                                   {"mps", 1000},
                                   {"throughput_level", "HIGH"},
                                   {"pair_interval_ms", 0},
                                   {"pair_burst", 1000000}});
  json::object cfg{{"wabas", json::array{json::object{{"id", waba}, {"name", "Bench"}}}},
                   {"phone_numbers", std::move(numbers)},
                   {"tokens", json::array{json::object{{"token", token}, {"waba_ids", json::array{waba}}}}},
                   {"seed_templates", false},
                   {"knobs", json::object{{"window_mode", "off"}}}};
  return json::serialize(cfg);
}

// POST /v1/instances/{id}/messages, spread over the instances and 1,000 recipients each.
std::function<http_request(std::uint64_t)> send_requests(std::vector<std::string> ids, std::string key) {
  return [ids = std::move(ids), key = std::move(key)](std::uint64_t n) {
    const std::string target =
        ids.empty() ? std::string("/v1/instances/bare/messages") : "/v1/instances/" + ids[n % ids.size()] + "/messages";
    http_request req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::authorization, "Bearer " + key);
    req.set(bhttp::field::content_type, "application/json");
    req.body() = R"({"to":"+1555)" + std::to_string(1000000 + n % 1000) +
                 R"(","type":"text","text":{"body":"bench message )" + std::to_string(n) + R"("}})";
    return req;
  };
}

std::uint64_t fake_accepted(std::uint16_t fake_port) {
  auto stats = json::parse(call(fake_port, "GET", "/_admin/stats").body).as_object();
  std::uint64_t total = 0;
  if (auto* m = stats.if_contains("messages_accepted"))
    for (auto& [k, v] : m->as_object()) total += static_cast<std::uint64_t>(v.to_number<double>());
  return total;
}

// The daemon's Graph API connection counters (/metrics, one fetch): {opened, reused}.
std::pair<std::uint64_t, std::uint64_t> meta_connections(std::uint16_t port) {
  const std::string text = call(port, "GET", "/metrics").body;
  auto counter = [&text](const std::string& name) -> std::uint64_t {
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 2));
  };
  return {counter("enfinito_meta_connections_opened_total"), counter("enfinito_meta_connections_reused_total")};
}

// One run's figures against its targets (issue 22).
struct targets {
  double cpu_ratio = 0;       // daemon CPU per relayed message / bare server CPU per request: <= 6
  double accepted_ratio = 0;  // accepted/s / bare requests/s: >= 0.2
  double open_rate = 0;       // the open loop's rate: 0.1x the bare requests/s
  double open_p99_ms = 0;     // its accept latency p99: < 10 ms
  double node_ratio = 0;      // Enfinito accepted/s / Node accepted/s: >= 2 (0: no Node peer)
  bool cpu_met() const { return cpu_ratio > 0 && cpu_ratio <= 6; }
  bool accepted_met() const { return accepted_ratio >= 0.2; }
  bool open_met() const { return open_rate > 0 && open_p99_ms < 10; }
  bool node_met() const { return node_ratio >= 2; }
};

const char* met(bool yes) { return yes ? "met" : "not met"; }

struct setup {
  gateway& gw;
  std::vector<std::string> ids;
  std::string key;
  int connections = 64;
  std::chrono::milliseconds duration{5000};
  double open_fraction = 0.1;
  node_peer* node = nullptr;  // null: not installed
};

// The writer's commit or checkpoint histogram counts, to diff around the open loop.
template <class Buckets>
std::vector<std::uint64_t> counts(const Buckets& buckets) {
  std::vector<std::uint64_t> v;
  for (const auto& b : buckets) v.push_back(b.load());
  return v;
}

void print_histogram(const char* name, const std::vector<std::uint64_t>& from, const std::vector<std::uint64_t>& to) {
  std::printf("%s", name);
  for (std::size_t i = 0; i < to.size(); ++i) {
    const auto n = static_cast<unsigned long long>(to[i] - from[i]);
    if (i < std::size(store::writer_stats::bounds_us))
      std::printf(" le_%lluus=%llu", static_cast<unsigned long long>(store::writer_stats::bounds_us[i]), n);
    else
      std::printf(" over=%llu", n);
  }
  std::printf("\n");
}

// Phases 1-5 once; prints every figure and returns the ratios.
targets run_once(setup& su) {
  gateway& gw = su.gw;
  const auto port = gw.port();
  const auto fake_port = gw.fake_port();
  const int fake_tid = gw.fake_tid();
  const int connections = su.connections;
  const auto duration = su.duration;
  targets t;

  // 1. Baseline: a bare server, same load.
  load_result base;
  double bare_cpu = 0;
  {
    bare_server bare(2, [](const http_request&) {
      http_response res{bhttp::status::accepted, 11};
      res.set(bhttp::field::content_type, "application/json");
      res.body() = R"({"id":"msg_0000000000000000000000","object":"message","status":"accepted"})";
      return res;
    });
    const double p0 = process_cpu_s(), f0 = thread_cpu_s(fake_tid);
    base = run_load({bare.port(), connections, duration, 0, 202, send_requests({}, su.key)});
    bare_cpu = (process_cpu_s() - p0) - (thread_cpu_s(fake_tid) - f0) - base.cpu_s;
  }
  print_load("baseline_bare_beast", base);

  // 2. Closed loop against Enfinito, then until the fake has everything.
  const std::uint64_t before = fake_accepted(fake_port);
  const double cpu0 = process_cpu_s(), fake_cpu0 = thread_cpu_s(fake_tid);
  const auto threads0 = cpu_by_thread_name();
  const auto io0 = process_io();
  const auto& wstats = gw.daemon().database().stats();
  const std::uint64_t commits0 = wstats.batches.load(), writes0 = wstats.writes.load();
  const auto [opened0, reused0] = meta_connections(port);
  const auto t0 = clock_type::now();
  auto closed = run_load({port, connections, duration, 0, 202, send_requests(su.ids, su.key)});
  print_load("enfinito_accept", closed);
  const auto drain_deadline = clock_type::now() + std::chrono::seconds(120);
  std::uint64_t delivered = 0;
  while (clock_type::now() < drain_deadline) {
    delivered = fake_accepted(fake_port) - before;
    if (delivered >= closed.ok) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double relay_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  const double cpu1 = process_cpu_s(), fake_cpu1 = thread_cpu_s(fake_tid);
  const auto threads1 = cpu_by_thread_name();
  const auto io1 = process_io();
  const std::uint64_t commits = wstats.batches.load() - commits0, writes = wstats.writes.load() - writes0;
  std::printf("enfinito_relay delivered=%llu of %llu delivered_per_s=%.0f seconds=%.2f\n",
              static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(closed.ok),
              double(delivered) / relay_s, relay_s);

  // 3. CPU per relayed message: the whole process minus the fake's thread and the load
  // generator's (the daemon's reactors, store writer, readers, everything it runs). The bare
  // server's CPU per request is the floor any HTTP server pays for the same requests.
  const double fake_cpu = fake_cpu1 - fake_cpu0;
  const double daemon_cpu = (cpu1 - cpu0) - fake_cpu - closed.cpu_s;
  const double per_msg_us = delivered ? daemon_cpu * 1e6 / double(delivered) : 0.0;
  const double bare_us = base.ok ? bare_cpu * 1e6 / double(base.ok) : 0.0;
  std::printf(
      "cpu daemon_us_per_relayed_message=%.1f bare_server_us_per_request=%.1f "
      "fake_us_per_message=%.1f loadgen_us_per_request=%.1f\n",
      per_msg_us, bare_us, delivered ? fake_cpu * 1e6 / double(delivered) : 0.0,
      closed.ok ? closed.cpu_s * 1e6 / double(closed.ok) : 0.0);
  // Where the daemon's share goes, by thread name (the bench's own threads, the fake's and the
  // load generator's, are the process name).
  // The kernel's part (system time: sockets, the WAL's writes and fsyncs, wake-ups) is printed
  // apart: Enfinito's code moves it only by making fewer syscalls or writing fewer pages.
  std::printf("cpu_us_per_relayed_message_by_thread");
  std::string kernel_line;
  for (const auto& [name, s1] : threads1) {
    auto before_it = threads0.find(name);
    const cpu_split s0 = before_it == threads0.end() ? cpu_split{} : before_it->second;
    const double used = s1.total() - s0.total();
    if (!delivered || used <= 0) continue;
    std::printf(" %s=%.1f", name.c_str(), used * 1e6 / double(delivered));
    char part[96];
    std::snprintf(part, sizeof part, " %s=%.1f", name.c_str(), (s1.system_s - s0.system_s) * 1e6 / double(delivered));
    kernel_line += part;
  }
  std::printf("\ncpu_kernel_us_per_relayed_message_by_thread%s\n", kernel_line.c_str());
  // The store's I/O: bytes handed to write(2) (the WAL, and the checkpoints into the database
  // file) and bytes the kernel sent to the disk, per relayed message.
  if (delivered)
    std::printf("io bytes_written_per_relayed_message=%.0f disk_bytes_per_relayed_message=%.0f\n",
                double(io1.wchar - io0.wchar) / double(delivered),
                double(io1.write_bytes - io0.write_bytes) / double(delivered));
  // Graph API connections: a pool smaller than the sends in flight opens (and in production
  // TLS-handshakes) a connection per overflow.
  const auto [opened1, reused1] = meta_connections(port);
  std::printf("meta_connections opened=%llu reused=%llu\n", static_cast<unsigned long long>(opened1 - opened0),
              static_cast<unsigned long long>(reused1 - reused0));
  if (delivered && commits)
    std::printf("store writes_per_relayed_message=%.2f writes_per_commit=%.2f commits_per_s=%.0f\n",
                double(writes) / double(delivered), double(writes) / double(commits), double(commits) / relay_s);
  t.cpu_ratio = bare_us > 0 ? per_msg_us / bare_us : 0.0;
  t.accepted_ratio = base.per_second() > 0 ? closed.per_second() / base.per_second() : 0.0;

  // 4. The Node peer, same load, closed loop.
  if (su.node) {
    const double n0 = su.node->cpu_s();
    auto on_node = run_load({su.node->port(), connections, duration, 0, 202, send_requests(su.ids, su.key)});
    const double node_cpu = su.node->cpu_s() - n0;
    print_load("node_accept", on_node);
    std::printf("node cpu_us_per_accepted=%.1f\n", on_node.ok ? node_cpu * 1e6 / double(on_node.ok) : 0.0);
    t.node_ratio = on_node.per_second() > 0 ? closed.per_second() / on_node.per_second() : 0.0;
  }

  // 5. Open loop at 0.1x the bare server's rate (or --open-fraction): latency from each request's
  // scheduled time. The
  // store writer's slow commits and checkpoints in the same seconds tell whether a latency stall
  // was the writer (a commit, or a checkpoint's fsyncs) or happened elsewhere.
  t.open_rate = su.open_fraction * base.per_second();
  const auto commits0_open = counts(wstats.commit_buckets), checkpoints0_open = counts(wstats.checkpoint_buckets);
  auto open = run_load({port, connections, duration, t.open_rate, 202, send_requests(su.ids, su.key)});
  std::printf("open_loop rate_per_s=%.0f (%.3gx bare)\n", t.open_rate, su.open_fraction);
  print_load("enfinito_open_loop", open);
  print_histogram("store_commits_during_open_loop", commits0_open, counts(wstats.commit_buckets));
  print_histogram("store_checkpoints_during_open_loop", checkpoints0_open, counts(wstats.checkpoint_buckets));
  t.open_p99_ms = open.ok ? open.p(0.99) : 1e9;
  // Not served, or not at the target's rate: not met.
  if (open.errors + open.refused > 0 || open.ok == 0 || su.open_fraction != 0.1) t.open_p99_ms = 1e9;

  std::printf("ratio daemon_cpu_per_message_vs_bare_per_request=%.2f target<=6 %s\n", t.cpu_ratio, met(t.cpu_met()));
  std::printf("ratio accepted_per_s_vs_bare=%.3f target>=0.2 %s\n", t.accepted_ratio, met(t.accepted_met()));
  std::printf("ratio open_loop_at_%.3gx_bare p99_ms=%.2f target<10 at 0.1x %s\n", su.open_fraction,
              open.ok ? open.p(0.99) : 0.0, met(t.open_met()));
  if (su.node)
    std::printf("ratio enfinito_vs_node_accepted_per_s=%.2f goal>=2 %s\n", t.node_ratio, met(t.node_met()));
  else
    print_node_peer_skipped("ratio enfinito_vs_node_accepted_per_s");
  std::fflush(stdout);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 1;
  double open_fraction = 0.1;
  std::vector<const char*> pos;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
      runs = std::clamp(std::atoi(argv[++i]), 1, 100);
    else if (std::strcmp(argv[i], "--open-fraction") == 0 && i + 1 < argc)
      open_fraction = std::clamp(std::atof(argv[++i]), 0.001, 1.0);
    else
      pos.push_back(argv[i]);
  }
  const int seconds = pos.size() > 0 ? std::max(1, std::atoi(pos[0])) : 5;
  const int connections = pos.size() > 1 ? std::clamp(std::atoi(pos[1]), 1, 1000) : 64;
  const int instances = pos.size() > 2 ? std::clamp(std::atoi(pos[2]), 1, 1000) : 100;
  core::log::set_level(core::log::level::error);

  gateway gw(fake_config(instances), [](config::settings& s) {
    // The fake's numbers are high-throughput ones (1,000 mps): the daemon reads that when it
    // verifies each instance and paces at queue.rate_high_throughput.
    s.queue.burst = 200;
  });
  setup su{gw, {}, gw.api_key(), connections, std::chrono::milliseconds(seconds * 1000), open_fraction};
  for (int i = 0; i < instances; ++i) {
    su.ids.push_back(gw.create_instance(phone_of(i), waba, token, "benchsecretbenchsecret01"));
    if (su.ids.back().empty()) return 1;
  }
  // The Node peer's database: Enfinito's schema, the bench user, its key and the instances.
  node_peer node;
  if (node_peer_installed("send_http.js", {"better-sqlite3"})) {
    const std::string db = gw.copy_database("node_peer.db");
    if (db.empty() || !node.start("send_http.js", {db})) {
      std::fprintf(stderr, "the Node send peer did not start\n");
      return 1;
    }
    su.node = &node;
  }
  std::printf("send_bench seconds=%d connections=%d instances=%d reactors=%u runs=%d\n", seconds, connections,
              instances, std::thread::hardware_concurrency(), runs);

  int cpu_met = 0, accepted_met = 0, open_met = 0, node_met = 0;
  for (int r = 1; r <= runs; ++r) {
    std::printf("run %d of %d\n", r, runs);
    const auto t = run_once(su);
    cpu_met += t.cpu_met();
    accepted_met += t.accepted_met();
    open_met += t.open_met();
    node_met += t.node_met();
  }
  std::printf(
      "summary runs=%d cpu_ratio<=6 met=%d accepted_ratio>=0.2 met=%d open_loop_p99<10ms met=%d "
      "(target: 19 of 20) enfinito_vs_node>=2 met=%d%s\n",
      runs, cpu_met, accepted_met, open_met, node_met, su.node ? "" : " (no Node peer)");
  return 0;
}
