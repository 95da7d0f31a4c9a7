#pragma once
// gateway: the benchmarks' system under test — a scratch directory with a vault key, the fake
// Graph API on its own thread, Enfinito (app::app) in this process pointed at it, and a user
// with an API key planted in the store. Torn down (and the directory removed) on destruction.
#include <enfinito/app/app.hpp>
#include <enfinito/config/settings.hpp>
#include <fake_graph/server.hpp>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace enfinito::bench {

class gateway {
 public:
  /** `fake_config_json`: the fake's numbers and tokens; `tweak`: Enfinito's settings. */
  gateway(const std::string& fake_config_json, std::function<void(config::settings&)> tweak = {});
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint16_t fake_port() const { return fake_port_; }
  int fake_tid() const { return fake_tid_; }
  const std::string& api_key() const { return key_; }
  app::app& daemon() { return *daemon_; }
  /** Creates an instance through the API (verified against the fake); returns its id or "". */
  std::string create_instance(const std::string& phone, const std::string& waba, const std::string& token,
                              const std::string& app_secret);
  /** A copy of the daemon's database as it is now (schema, the bench user and key, the instances),
   *  named `file_name` in the scratch directory, for a Node peer; its path, or "" on failure. */
  std::string copy_database(const std::string& file_name);

 private:
  std::filesystem::path dir_;
  boost::asio::io_context fake_ioc_{1};
  std::unique_ptr<fake_graph::server> fake_;
  std::thread fake_thread_;
  std::uint16_t fake_port_ = 0;
  int fake_tid_ = 0;
  std::unique_ptr<app::app> daemon_;
  std::thread runner_;
  std::uint16_t port_ = 0;
  std::string key_;
};

// The one WhatsApp number of the benchmarks that drive a single instance (ingest_bench,
// web_bench): its Meta identifiers and secrets, the fake's configuration for it, and the
// instance created on it.
struct one_number {
  static constexpr const char* phone = "106540352242922";
  static constexpr const char* waba = "102290129340398";
  static constexpr const char* token = "EAAGbenchTOKENoneNUMBERbenchTOKEN0001";
  static constexpr const char* app_secret = "benchappsecret0123456789abcdef01";
  static std::string fake_config();
  /** The instance's id, or "" (said on stderr). */
  static std::string create_instance(gateway& gw);
};

}  // namespace enfinito::bench
