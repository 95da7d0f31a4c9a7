#pragma once
/**
 * @file http::request_metrics: request counts by route and status, a latency histogram and
 * connection gauges, lock-free (relaxed atomics) so every reactor records without contention.
 * Rendered in the Prometheus text format by `render`.
 */
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace enfinito::http {

class router;

class request_metrics {
 public:
  /** @param routes the route count; one extra slot holds unmatched requests. */
  explicit request_metrics(std::size_t routes);
  /** Records one answered request. `route_index == routes` for unmatched requests. */
  void observe(std::size_t route_index, unsigned status, std::chrono::microseconds latency) noexcept;
  /** Appends Prometheus text for the request families. */
  void render(std::string& out, const router& r) const;

  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_rejected{0};

  static constexpr std::array<double, 12> latency_bounds_s = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                              0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

 private:
  struct per_route {
    std::array<std::atomic<std::uint64_t>, 600> by_status{};
  };
  std::vector<std::unique_ptr<per_route>> routes_;
  std::array<std::atomic<std::uint64_t>, latency_bounds_s.size() + 1> latency_buckets_{};
  std::atomic<std::uint64_t> latency_micros_sum_{0};
  std::atomic<std::uint64_t> latency_count_{0};
};

}  // namespace enfinito::http
