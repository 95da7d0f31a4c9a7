// http::request_metrics: lock-free counters and their Prometheus rendering.
#include <enfinito/http/metrics.hpp>
#include <enfinito/http/router.hpp>

#include <cstdio>

namespace enfinito::http {

request_metrics::request_metrics(std::size_t routes) {
  for (std::size_t i = 0; i <= routes; ++i) routes_.push_back(std::make_unique<per_route>());
}

void request_metrics::observe(std::size_t route_index, unsigned status, std::chrono::microseconds latency) noexcept {
  if (route_index >= routes_.size()) route_index = routes_.size() - 1;
  if (status >= 600) status = 599;
  routes_[route_index]->by_status[status].fetch_add(1, std::memory_order_relaxed);
  double secs = static_cast<double>(latency.count()) / 1e6;
  std::size_t b = 0;
  while (b < latency_bounds_s.size() && secs > latency_bounds_s[b]) ++b;
  latency_buckets_[b].fetch_add(1, std::memory_order_relaxed);
  latency_micros_sum_.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
}

void request_metrics::render(std::string& out, const router& r) const {
  out += "# HELP enfinito_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE enfinito_http_requests_total counter\n";
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    std::string name = i < r.routes().size() ? r.routes()[i]->name : "unmatched";
    for (unsigned s = 0; s < 600; ++s) {
      auto n = routes_[i]->by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "enfinito_http_requests_total{route=\"" + name + "\",status=\"" + std::to_string(s) + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  out += "# HELP enfinito_http_request_duration_seconds Time from request headers to response written.\n";
  out += "# TYPE enfinito_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  char buf[64];
  for (std::size_t b = 0; b < latency_bounds_s.size(); ++b) {
    cumulative += latency_buckets_[b].load(std::memory_order_relaxed);
    std::snprintf(buf, sizeof buf, "%g", latency_bounds_s[b]);
    out += "enfinito_http_request_duration_seconds_bucket{le=\"" + std::string(buf) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += latency_buckets_.back().load(std::memory_order_relaxed);
  out += "enfinito_http_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(latency_micros_sum_.load()) / 1e6);
  out += "enfinito_http_request_duration_seconds_sum " + std::string(buf) + "\n";
  out += "enfinito_http_request_duration_seconds_count " + std::to_string(latency_count_.load()) + "\n";
  out += "# HELP enfinito_http_connections_open Open client connections.\n";
  out += "# TYPE enfinito_http_connections_open gauge\n";
  out += "enfinito_http_connections_open " + std::to_string(connections_open.load()) + "\n";
  out += "# HELP enfinito_http_connections_total Connections accepted.\n";
  out += "# TYPE enfinito_http_connections_total counter\n";
  out += "enfinito_http_connections_total " + std::to_string(connections_total.load()) + "\n";
  out += "# HELP enfinito_http_connections_rejected_total Connections closed at once: over the cap.\n";
  out += "# TYPE enfinito_http_connections_rejected_total counter\n";
  out += "enfinito_http_connections_rejected_total " + std::to_string(connections_rejected.load()) + "\n";
}

}  // namespace enfinito::http
