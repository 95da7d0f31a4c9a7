#pragma once
// server: the fake Graph API on the network. Accepts HTTP or HTTPS on a loopback address,
// runs one coroutine per connection feeding graph_core, and delivers webhooks (one
// connection at a time per callback URL, a timeout on every operation).
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace enfinito::fake_graph {

class graph_core;

struct server_options {
  std::string listen = "127.0.0.1";  // must be a loopback address
  std::uint16_t port = 0;            // 0 = pick a free port
  std::string tls_cert_file;         // both set = HTTPS
  std::string tls_key_file;
  std::string config_json;  // empty = graph_core::default_config()
  /** CA file used to verify HTTPS webhook targets; empty = system store. */
  std::string webhook_ca_file;
  /** Skip certificate verification of webhook targets (never the default). */
  bool webhook_insecure = false;
};

/** Thread safety: construct, start and stop from any one thread; everything else runs on
 *  the io_context given to the constructor (run it on a single thread).
 *  Lifetime: the io_context must outlive the server. */
class server {
 public:
  /** Throws on a bad config, TLS files, or a non-loopback listen address. */
  server(boost::asio::io_context& ioc, server_options opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /** Binds and starts accepting; returns the bound port. Throws on bind failure. */
  std::uint16_t start();
  /** Closes the acceptor and stops webhook delivery; safe from any thread. */
  void stop();

  std::uint16_t port() const noexcept;
  bool tls() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/** Runs a server until SIGINT/SIGTERM, printing "listening port=N" on stdout. Returns the
 *  process exit code. */
int run(server_options opts);

}  // namespace enfinito::fake_graph
