// outbound::queue_metrics: the queue's counters and latency histogram, and the Prometheus
// text writer that renders them.
#include <enfinito/outbound/queue_metrics.hpp>

#include <vector>

namespace enfinito::outbound {

void prometheus_text::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
  out_.append(name).append(" ").append(type).append("\n");
}

void prometheus_text::sample(std::string_view name, std::initializer_list<label> labels, std::string_view value) {
  out_.append(name);
  if (labels.size() > 0) {
    char sep = '{';
    for (const auto& [key, v] : labels) {
      out_.push_back(sep);
      sep = ',';
      out_.append(key).append("=\"");
      for (char c : v) {
        if (c == '\\' || c == '"') out_.push_back('\\');
        if (c == '\n')
          out_.append("\\n");
        else
          out_.push_back(c);
      }
      out_.push_back('"');
    }
    out_.push_back('}');
  }
  out_.append(" ").append(value).append("\n");
}

void prometheus_text::sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value) {
  sample(name, labels, std::to_string(value));
}

void prometheus_text::counter(std::string_view name, std::string_view help, std::uint64_t value) {
  family(name, "counter", help);
  sample(name, {}, value);
}

void prometheus_text::gauge(std::string_view name, std::string_view help, std::int64_t value) {
  family(name, "gauge", help);
  sample(name, {}, std::to_string(value));
}

void prometheus_text::histogram(std::string_view name, std::string_view help, std::span<const double> bounds,
                                std::span<const std::uint64_t> counts, double sum) {
  family(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size() && i < counts.size(); ++i) {
    cumulative += counts[i];
    sample(bucket, {{"le", std::to_string(bounds[i])}}, cumulative);
  }
  if (counts.size() > bounds.size()) cumulative += counts[bounds.size()];
  sample(bucket, {{"le", "+Inf"}}, cumulative);
  sample(std::string(name) + "_sum", {}, std::to_string(sum));
  sample(std::string(name) + "_count", {}, cumulative);
}

void queue_metrics::observe(std::chrono::steady_clock::duration d) noexcept {
  const double s = std::chrono::duration<double>(d).count();
  std::size_t i = 0;
  while (i < meta_latency_bounds.size() && s > meta_latency_bounds[i]) ++i;
  latency[i].fetch_add(1, std::memory_order_relaxed);
  latency_us.fetch_add(static_cast<std::uint64_t>(s * 1e6), std::memory_order_relaxed);
}

void queue_metrics::failure(const std::optional<std::int64_t>& code) {
  std::lock_guard lock(mu_);
  ++failures_[code ? std::to_string(*code) : std::string("transport")];
}

void queue_metrics::render(prometheus_text& p) const {
  p.counter("enfinito_queue_sent_total", "Messages Meta accepted.", sent.load());
  p.counter("enfinito_queue_failed_total", "Messages failed for good (permanent Graph error).", failed.load());
  p.counter("enfinito_queue_dead_total", "Messages dead after the last allowed attempt.", dead.load());
  p.counter("enfinito_queue_retries_total", "Attempts rescheduled (retryable error, throttle, reauth).",
            retried.load());
  p.counter("enfinito_queue_reauth_total", "Attempts refused with 190/0 (instance paused).", reauth.load());
  p.counter("enfinito_queue_recovered_leases_total", "Jobs leased by an earlier run, requeued as possible duplicates.",
            released.load());
  p.family("enfinito_queue_send_failures_total", "counter", "Failed send attempts by Graph error code.");
  {
    std::lock_guard lock(mu_);
    for (const auto& [code, n] : failures_) p.sample("enfinito_queue_send_failures_total", {{"code", code}}, n);
  }
  std::array<std::uint64_t, meta_latency_bounds.size() + 1> counts{};
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = latency[i].load();
  p.histogram("enfinito_queue_meta_latency_seconds", "Time of one send call to Meta.", meta_latency_bounds, counts,
              static_cast<double>(latency_us.load()) / 1e6);
}

}  // namespace enfinito::outbound
