#pragma once
/**
 * @file app::app: the composition root. The only module that knows every other one.
 *
 * Startup order: state directory → store (lock, migrations, integrity) → reactors → routes →
 * listeners → READY=1. Shutdown (SIGTERM/SIGINT or `request_stop`): STOPPING=1 → close the
 * acceptors → close idle connections, let busy ones finish within `limits.drain_timeout_ms` →
 * stop the reactors → flush and close the store → exit 0.
 */
#include <enfinito/config/settings.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace enfinito::store {
class store;
}
namespace enfinito::outbound {
class queue;
}

namespace enfinito::app {

/** A startup failure with an operator-facing message (no secrets). */
struct startup_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class app {
 public:
  explicit app(config::settings s);
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  /** Opens the store, binds the listeners and starts the reactors. Throws startup_error. */
  void start();
  /** Blocks until a signal or `request_stop`, then drains. Returns the process exit code. */
  int run();
  /** Asks `run` to drain and return. Thread-safe. */
  void request_stop();

  std::uint16_t port() const;
  /** Every route as "METHOD /pattern" (the OpenAPI test compares it with the document). */
  std::vector<std::string> route_list() const;
  store::store& database();
  /** The outbound send queue (set once started). */
  outbound::queue* send_queue();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

/** The OpenAPI document embedded at build time. */
std::string_view openapi_document();

}  // namespace enfinito::app
