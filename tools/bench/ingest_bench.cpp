// ingest_bench: Meta's webhooks in, against a baseline in the same run.
//
//   build/release/tools/bench/ingest_bench [seconds=5] [connections=32] [updates_per_post=50]
//
// Signed Meta notifications (each a batch of inbound text messages with fresh wamids, the way
// Meta batches) are POSTed to Enfinito's /webhooks/meta/{instance}: signature check over the
// raw bytes, parse, one store write per POST (group commit, fsync) with the rows and events,
// then 200. The baseline answers the same requests after only the signature check and the
// parse (the same sans-I/O code), on a bare Beast server. Reports updates/s and p50/p99 per
// POST for both, and the ratio.
//
// The Node peer (issue 22), when its npm set-up is installed (tools/bench/peers, see
// node_peer.hpp): tools/bench/peers/ingest_http.js, node:http with better-sqlite3, checks the
// same signature and inserts the same rows (message, conversation, message.received event) in
// a copy of Enfinito's database (same schema and instance), WAL, synchronous=FULL, one
// transaction per POST, as a Node gateway would. It gets the same load, right after Enfinito,
// and the bench prints Enfinito ÷ Node updates/s against the goal (>= 3x).
// Loopback only, bounded in time.
#include "gateway.hpp"
#include "loadgen.hpp"
#include "node_peer.hpp"

#include <enfinito/config/settings.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/store/store.hpp>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using namespace enfinito;
using namespace enfinito::bench;
namespace bhttp = beast::http;

namespace {

// One notification carrying `k` inbound text messages with ids unique to POST `n`.
std::string notification(const std::string& tag, std::uint64_t n, int k) {
  std::string msgs;
  for (int i = 0; i < k; ++i) {
    if (i) msgs += ',';
    msgs += R"({"from":"1555)" + std::to_string(1000000 + (n * 7 + static_cast<std::uint64_t>(i)) % 1000) +
            R"(","id":"wamid.bench)" + tag + std::to_string(n) + "_" + std::to_string(i) +
            R"(","timestamp":"1764000000","type":"text","text":{"body":"inbound benchmark message"}})";
  }
  return R"({"object":"whatsapp_business_account","entry":[{"id":")" + std::string(one_number::waba) +
         R"(","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":")" +
         one_number::phone + R"("},"contacts":[{"profile":{"name":"Bench"},"wa_id":"15551000000"}],"messages":[)" +
         msgs + R"(]},"field":"messages"}]}]})";
}

// `tag` keeps the wamids of different phases apart (the same id twice is stored once).
std::function<http_request(std::uint64_t)> webhook_posts(std::string target, int k, std::string tag) {
  return [target = std::move(target), k, tag = std::move(tag)](std::uint64_t n) {
    http_request req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::content_type, "application/json");
    req.body() = notification(tag, n, k);
    req.set("X-Hub-Signature-256",
            "sha256=" + crypto::hmac_sha256_hex(std::string_view(one_number::app_secret), req.body()));
    return req;
  };
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const int connections = argc > 2 ? std::clamp(std::atoi(argv[2]), 1, 1000) : 32;
  const int per_post = argc > 3 ? std::clamp(std::atoi(argv[3]), 1, 1000) : 50;

  gateway gw(one_number::fake_config());
  const auto port = gw.port();
  const std::string instance = one_number::create_instance(gw);
  if (instance.empty()) return 1;
  // The Node peer's database: Enfinito's schema and this instance, no messages yet.
  const bool with_node = node_peer_installed("ingest_http.js", {"better-sqlite3"});
  const std::string node_db = with_node ? gw.copy_database("node_peer.db") : std::string();
  const std::chrono::milliseconds duration(seconds * 1000);
  std::printf("ingest_bench seconds=%d connections=%d updates_per_post=%d\n", seconds, connections, per_post);

  // Baseline: signature check and parse only.
  load_result base;
  {
    bare_server bare(2, [](const http_request& req) {
      http_response res{bhttp::status::ok, 11};
      const bool ok = meta::verify_signature(req.body(), req["X-Hub-Signature-256"], one_number::app_secret) &&
                      meta::parse_notification(req.body()).has_value();
      if (!ok) res.result(bhttp::status::unauthorized);
      return res;
    });
    base = run_load(
        {bare.port(), connections, duration, 0, 200, webhook_posts("/webhooks/meta/" + instance, per_post, "b")});
  }
  print_load("baseline_verify_and_parse", base);

  // Enfinito: verified, parsed, committed (rows + events), answered.
  auto ingest =
      run_load({port, connections, duration, 0, 200, webhook_posts("/webhooks/meta/" + instance, per_post, "c")});
  print_load("enfinito_ingest", ingest);
  const double enfinito_per_s = ingest.per_second() * per_post;
  if (!with_node) {
    print_node_peer_skipped("node_ingest");
  } else {
    // The same load on the Node peer, right after Enfinito's (the same minutes of this VM).
    node_peer node;
    if (node_db.empty() ||
        !node.start("ingest_http.js", {node_db, instance, one_number::phone, one_number::app_secret})) {
      std::fprintf(stderr, "the Node ingest peer did not start\n");
      return 1;
    }
    const double cpu0 = node.cpu_s();
    auto on_node = run_load(
        {node.port(), connections, duration, 0, 200, webhook_posts("/webhooks/meta/" + instance, per_post, "n")});
    const double node_cpu = node.cpu_s() - cpu0;
    print_load("node_ingest", on_node);
    const auto stats = json::parse(call(node.port(), "GET", "/_stats").body).as_object();
    const auto node_stored = stats.at("stored").to_number<std::uint64_t>();
    const double node_per_s = on_node.per_second() * per_post;
    const double ratio = node_per_s > 0 ? enfinito_per_s / node_per_s : 0.0;
    std::printf(
        "node updates_per_s=%.0f cpu_us_per_update=%.1f stored=%llu expected=%llu\n"
        "ratio enfinito_vs_node_updates_per_s=%.2f goal>=3 %s\n",
        node_per_s, on_node.ok ? node_cpu * 1e6 / double(on_node.ok * per_post) : 0.0,
        static_cast<unsigned long long>(node_stored),
        static_cast<unsigned long long>(on_node.ok) * static_cast<unsigned long long>(per_post), ratio,
        ratio >= 3 ? "met" : "not met");
  }
  // Open loop at 20,000 updates/s (the target rate): latency per POST from its scheduled time.
  const double posts_per_s = 20000.0 / per_post;
  auto paced = run_load(
      {port, connections, duration, posts_per_s, 200, webhook_posts("/webhooks/meta/" + instance, per_post, "o")});
  print_load("enfinito_ingest_open_20000_updates_per_s", paced);
  std::int64_t stored = 0;
  gw.daemon().database().read_sync([&](store::connection& c) -> core::error_code {
    auto r = c.scalar_int("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'");
    if (r) stored = *r;
    return {};
  });
  std::printf("updates baseline_per_s=%.0f enfinito_per_s=%.0f ratio=%.3f stored=%lld expected=%llu\n",
              base.per_second() * per_post, enfinito_per_s,
              base.per_second() > 0 ? ingest.per_second() / base.per_second() : 0.0, static_cast<long long>(stored),
              static_cast<unsigned long long>(ingest.ok + paced.ok) * static_cast<unsigned long long>(per_post));

  return 0;
}
