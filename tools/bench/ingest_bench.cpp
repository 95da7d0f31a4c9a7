// ingest_bench: Meta's webhooks in, against a baseline in the same run.
//
//   build/release/tools/bench/ingest_bench [seconds=5] [connections=32] [updates_per_post=50]
//
// Signed Meta notifications (each a batch of inbound text messages with fresh wamids, the way
// Meta batches) are POSTed to Enfinito's /webhooks/meta/{instance}: signature check over the
// raw bytes, parse, one store write per POST (group commit, fsync) with the rows and events,
// then 200. The baseline answers the same requests after only the signature check and the
// parse (the same sans-I/O code), on a bare Beast server. Reports updates/s and p50/p99 per
// POST for both, and the ratio. Loopback only, bounded in time.
#include "gateway.hpp"
#include "loadgen.hpp"

#include <enfinito/config/settings.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/store/store.hpp>

#include <fake_graph/core.hpp>

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

constexpr const char* phone = "106540352242922";
constexpr const char* waba = "102290129340398";
constexpr const char* token = "EAAGingestTOKENingestTOKENingest0001";
constexpr const char* app_secret = "ingestbenchappsecret0123456789ab";

std::string fake_config() { return fake_graph::one_number_config(phone, waba, token, {{"verified_name", "Bench"}}); }

// One notification carrying `k` inbound text messages with ids unique to POST `n`.
std::string notification(const std::string& tag, std::uint64_t n, int k) {
  std::string msgs;
  for (int i = 0; i < k; ++i) {
    if (i) msgs += ',';
    msgs += R"({"from":"1555)" + std::to_string(1000000 + (n * 7 + static_cast<std::uint64_t>(i)) % 1000) +
            R"(","id":"wamid.bench)" + tag + std::to_string(n) + "_" + std::to_string(i) +
            R"(","timestamp":"1764000000","type":"text","text":{"body":"inbound benchmark message"}})";
  }
  return R"({"object":"whatsapp_business_account","entry":[{"id":")" + std::string(waba) +
         R"(","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":")" +
         phone + R"("},"contacts":[{"profile":{"name":"Bench"},"wa_id":"15551000000"}],"messages":[)" + msgs +
         R"(]},"field":"messages"}]}]})";
}

// `tag` keeps the wamids of different phases apart (the same id twice is stored once).
std::function<http_request(std::uint64_t)> webhook_posts(std::string target, int k, std::string tag) {
  return [target = std::move(target), k, tag = std::move(tag)](std::uint64_t n) {
    http_request req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::content_type, "application/json");
    req.body() = notification(tag, n, k);
    req.set("X-Hub-Signature-256", "sha256=" + crypto::hmac_sha256_hex(std::string_view(app_secret), req.body()));
    return req;
  };
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const int connections = argc > 2 ? std::clamp(std::atoi(argv[2]), 1, 1000) : 32;
  const int per_post = argc > 3 ? std::clamp(std::atoi(argv[3]), 1, 1000) : 50;

  gateway gw(fake_config());
  const auto port = gw.port();
  const std::string instance = gw.create_instance(phone, waba, token, app_secret);
  if (instance.empty()) return 1;
  const std::chrono::milliseconds duration(seconds * 1000);
  std::printf("ingest_bench seconds=%d connections=%d updates_per_post=%d\n", seconds, connections, per_post);

  // Baseline: signature check and parse only.
  load_result base;
  {
    bare_server bare(2, [](const http_request& req) {
      http_response res{bhttp::status::ok, 11};
      const bool ok = meta::verify_signature(req.body(), req["X-Hub-Signature-256"], app_secret) &&
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
              base.per_second() * per_post, ingest.per_second() * per_post,
              base.per_second() > 0 ? ingest.per_second() / base.per_second() : 0.0, static_cast<long long>(stored),
              static_cast<unsigned long long>(ingest.ok + paced.ok) * static_cast<unsigned long long>(per_post));

  return 0;
}
