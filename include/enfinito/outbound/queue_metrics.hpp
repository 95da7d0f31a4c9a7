#pragma once
/**
 * @file outbound::queue_metrics: the send queue's counters and the latency of its calls to
 * Meta (relaxed atomics: any reactor records without contention), and `prometheus_text`, the
 * writer that renders them (and the queue's gauges) in the Prometheus text format, so no
 * family is assembled by hand.
 */
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace enfinito::outbound {

/** Appends Prometheus text-format families (version 0.0.4) to a string. */
class prometheus_text {
 public:
  using label = std::pair<std::string_view, std::string_view>;

  explicit prometheus_text(std::string& out) noexcept : out_(out) {}
  /** The HELP and TYPE lines of family `name` (`counter`, `gauge`, `histogram`). */
  void family(std::string_view name, std::string_view type, std::string_view help);
  /** One sample of a family; label values are escaped. */
  void sample(std::string_view name, std::initializer_list<label> labels, std::string_view value);
  void sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value);
  /** A family with one unlabelled sample. */
  void counter(std::string_view name, std::string_view help, std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, std::int64_t value);
  /**
   * A histogram: `counts` per bucket (not cumulative), one more than `bounds` (the last is
   * above every bound); `sum` in the family's unit.
   */
  void histogram(std::string_view name, std::string_view help, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum);

 private:
  std::string& out_;
};

// Latency histogram bounds (seconds) of calls to Meta.
inline constexpr std::array<double, 11> meta_latency_bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct queue_metrics {
  std::atomic<std::uint64_t> sent{0}, failed{0}, dead{0}, retried{0}, reauth{0}, released{0};
  std::array<std::atomic<std::uint64_t>, meta_latency_bounds.size() + 1> latency{};
  std::atomic<std::uint64_t> latency_us{0};

  /** One call to Meta took `d`. */
  void observe(std::chrono::steady_clock::duration d) noexcept;
  /** One failed attempt, by Graph code (none: a transport error). */
  void failure(const std::optional<std::int64_t>& code);
  /** The counters, the failures by code and the latency histogram. */
  void render(prometheus_text& p) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> failures_;  // by Graph code, or "transport"
};

}  // namespace enfinito::outbound
