#pragma once
// Operational routes: /healthz, /readyz, /metrics, /v1/openapi.json.
#include <enfinito/http/metrics.hpp>
#include <enfinito/http/router.hpp>
#include <enfinito/http/server.hpp>
#include <enfinito/store/store.hpp>

#include <memory>

namespace enfinito::outbound {
class queue;
}
namespace enfinito::feed {
class bus;
}
namespace enfinito::limits {
class limiter;
class usage_book;
}  // namespace enfinito::limits

namespace enfinito::app {

struct ops_context {
  store::store& db;
  std::unique_ptr<http::server>& server;            // set after routes are registered
  std::unique_ptr<http::request_metrics>& metrics;  // likewise
  outbound::queue* queue = nullptr;                 // the send queue's families, when set
  feed::bus* feed = nullptr;                        // the live feed's families, when set
  limits::limiter* limiter = nullptr;               // rate-limit refusals, when set
  limits::usage_book* usage = nullptr;              // messages counted for usage, when set
};

void register_ops_routes(http::router& r, ops_context ctx);

}  // namespace enfinito::app
