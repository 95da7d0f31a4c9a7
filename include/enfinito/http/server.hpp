#pragma once
/**
 * @file http::server: one acceptor per reactor on a shared port (SO_REUSEPORT), and the
 * HTTP/1.1 session loop (plain or TLS) with every limit explicit.
 *
 * A connection lives on the reactor that accepted it, so its state needs no lock. Limits:
 * headers (431), body per route (413), header and body-idle timeouts (408 and close),
 * keep-alive idle timeout, write timeout, requests per connection, a global connection cap
 * (connections past it are closed at once). Malformed HTTP gets 400 and close.
 *
 * Thread safety: `listen` and `start` at startup on the main thread; `stop_accepting` and
 * `drain` from any thread (they post to each reactor).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/http/metrics.hpp>
#include <enfinito/http/router.hpp>

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace enfinito::http {

struct server_options {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_idle_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds keepalive_timeout{60'000};
  std::size_t max_connections = 10'000;
  std::size_t max_requests_per_connection = 10'000;
  std::shared_ptr<ssl::context> tls;  // null: plain HTTP
};

class server {
 public:
  server(core::io_context_pool& pool, const router& routes, server_options opts, request_metrics& metrics);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /** Binds one acceptor per reactor. Port 0 picks a free port shared by all. Startup only. */
  core::error_code listen(const std::string& address, std::uint16_t port, std::string* why);
  std::uint16_t port() const noexcept { return port_; }
  /** Starts the accept loops (after the pool runs or before; they are posted). */
  void start();
  /** Closes the acceptors: no new connections. */
  void stop_accepting();
  /** Closes idle keep-alive connections now; busy ones close after their current response. */
  void drain();
  bool draining() const noexcept { return draining_.load(); }
  /** Destroys the acceptors. Only once the reactors stopped, before their contexts go. */
  void release_acceptors();
  std::size_t open_connections() const noexcept;
  bool listening() const noexcept { return listening_.load(); }

  struct impl;  // per-reactor state and sessions (server.cpp)

 private:
  core::io_context_pool& pool_;
  std::shared_ptr<impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> listening_{false};
};

}  // namespace enfinito::http
