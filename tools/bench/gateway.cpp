// gateway: see gateway.hpp.
#include "gateway.hpp"

#include "loadgen.hpp"

#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <fake_graph/core.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace enfinito::bench {

gateway::gateway(const std::string& fake_config_json, std::function<void(config::settings&)> tweak) {
  core::log::set_level(core::log::level::error);
  // A scratch directory with the vault key, as systemd's LoadCredential= would give it.
  char tmpl[] = "/tmp/enfinito_bench.XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  std::filesystem::create_directories(dir_ / "credentials");
  std::filesystem::permissions(dir_ / "credentials", std::filesystem::perms::owner_all);
  if (!crypto::create_keyring_file(dir_ / "credentials" / "vault.key")) throw std::runtime_error("vault key");

  fake_ = std::make_unique<fake_graph::server>(fake_ioc_, fake_graph::server_options{.config_json = fake_config_json});
  fake_port_ = fake_->start();
  std::atomic<int> tid{0};
  fake_thread_ = std::thread([this, &tid] {
    tid = this_tid();
    fake_ioc_.run();
  });
  while (tid == 0) std::this_thread::yield();
  fake_tid_ = tid;

  config::settings s;
  s.server.listen = "127.0.0.1";
  s.server.port = 0;
  s.store.path = (dir_ / "enfinito.db").string();
  s.secrets_dir = (dir_ / "credentials").string();
  s.log_level = "error";
  s.meta.base_url = "http://127.0.0.1:" + std::to_string(fake_port_);
  // The benchmarks drive one key as fast as the machine goes: the limiter runs on every
  // request (its cost is in the figures) but never refuses.
  s.rate_limits.key_per_s = s.rate_limits.tenant_per_s = 1'000'000;
  s.rate_limits.key_burst = s.rate_limits.tenant_burst = 10'000'000;
  // One bench tenant may own as many instances and endpoints as a benchmark connects (send_bench
  // spreads its load over 100 numbers; the default quota is 20).
  s.quotas.instances = s.quotas.webhook_endpoints = 1'000'000;
  if (tweak) tweak(s);
  daemon_ = std::make_unique<app::app>(s);
  daemon_->start();
  port_ = daemon_->port();
  runner_ = std::thread([this] { daemon_->run(); });

  key_ = "enf_live_" + crypto::random_token(32);
  auto ec = daemon_->database().write_sync([this](store::connection& c) -> core::error_code {
    namespace acc = store::accounts;
    acc::user u;
    u.id = "usr_bench";
    u.email = "bench@example.com";
    u.name = "Bench";
    u.status = "active";
    u.created_at = u.updated_at = acc::now_s();
    if (auto e = acc::insert_user(c, u)) return e;
    acc::api_key k;
    k.id = "key_bench";
    k.user_id = u.id;
    k.name = "bench";
    k.prefix = key_.substr(0, 16);
    k.created_at = u.created_at;
    return acc::insert_api_key(c, k, crypto::sha256_hex(key_));
  });
  if (ec) throw std::runtime_error("planting the bench user: " + ec.message());
}

gateway::~gateway() {
  daemon_->request_stop();
  runner_.join();
  daemon_.reset();
  fake_->stop();
  fake_ioc_.stop();
  fake_thread_.join();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string gateway::create_instance(const std::string& phone, const std::string& waba, const std::string& token,
                                     const std::string& app_secret) {
  json::object body{{"name", "bench " + phone}, {"phone_number_id", phone}, {"waba_id", waba},
                    {"access_token", token},    {"app_secret", app_secret}, {"app_id", "1234567890123"}};
  auto r = call(port_, "POST", "/v1/instances", json::serialize(body), {{"Authorization", "Bearer " + key_}});
  if (r.status != 201) {
    std::fprintf(stderr, "instance %s: %u %s\n", phone.c_str(), r.status, r.body.c_str());
    return {};
  }
  return std::string(json::parse(r.body).at("id").as_string());
}

std::string gateway::copy_database(const std::string& file_name) {
  const auto to = (dir_ / file_name).string();
  std::string why;
  if (auto ec = store::backup((dir_ / "enfinito.db").string(), to, &why)) {
    std::fprintf(stderr, "copying the database: %s\n", why.c_str());
    return {};
  }
  return to;
}

std::string one_number::fake_config() {
  return fake_graph::one_number_config(phone, waba, token, {{"verified_name", "Bench"}});
}

std::string one_number::create_instance(gateway& gw) { return gw.create_instance(phone, waba, token, app_secret); }

}  // namespace enfinito::bench
