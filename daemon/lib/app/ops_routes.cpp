// Operational routes: liveness, readiness, Prometheus metrics and the OpenAPI document.
#include "app/ops_routes.hpp"

#include <enfinito/limits/limiter.hpp>
#include <enfinito/limits/usage.hpp>
#include <enfinito/app/app.hpp>
#include <enfinito/feed/bus.hpp>
#include <enfinito/outbound/queue.hpp>

#include <boost/json.hpp>

namespace enfinito::app {

namespace detail {
extern const std::string_view openapi_json;
}
std::string_view openapi_document() { return detail::openapi_json; }

namespace {

http::response text(http::status s, std::string body, std::string_view type) {
  http::response res{s, 11};
  res.set(http::bhttp::field::content_type, type);
  res.body() = std::move(body);
  return res;
}

void render_store(std::string& out, const store::store& db) {
  const auto& st = db.stats();
  out += "# HELP enfinito_store_commits_total Group commits (transactions) by the writer.\n";
  out += "# TYPE enfinito_store_commits_total counter\n";
  out += "enfinito_store_commits_total " + std::to_string(st.batches.load()) + "\n";
  out += "# HELP enfinito_store_writes_total Writes committed or refused by the writer.\n";
  out += "# TYPE enfinito_store_writes_total counter\n";
  out += "enfinito_store_writes_total " + std::to_string(st.writes.load()) + "\n";
  out += "# HELP enfinito_store_failed_commits_total Group commits that failed (nothing acknowledged).\n";
  out += "# TYPE enfinito_store_failed_commits_total counter\n";
  out += "enfinito_store_failed_commits_total " + std::to_string(st.failed_commits.load()) + "\n";
  out += "# HELP enfinito_store_commit_batch_size Writes per group commit.\n";
  out += "# TYPE enfinito_store_commit_batch_size histogram\n";
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < std::size(store::writer_stats::batch_bounds); ++i) {
    cum += st.batch_buckets[i].load();
    out += "enfinito_store_commit_batch_size_bucket{le=\"" + std::to_string(store::writer_stats::batch_bounds[i]) +
           "\"} " + std::to_string(cum) + "\n";
  }
  cum += st.batch_buckets[std::size(store::writer_stats::batch_bounds)].load();
  out += "enfinito_store_commit_batch_size_bucket{le=\"+Inf\"} " + std::to_string(cum) + "\n";
  out += "enfinito_store_commit_batch_size_sum " + std::to_string(st.writes.load()) + "\n";
  out += "enfinito_store_commit_batch_size_count " + std::to_string(st.batches.load()) + "\n";
  auto seconds_histogram = [&out](const std::string& name, const char* help, const auto& buckets,
                                  std::uint64_t micros_total, std::uint64_t count) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < std::size(store::writer_stats::bounds_us); ++i) {
      running += buckets[i].load();
      out += name + "_bucket{le=\"" + std::to_string(static_cast<double>(store::writer_stats::bounds_us[i]) / 1e6) +
             "\"} " + std::to_string(running) + "\n";
    }
    running += buckets[std::size(store::writer_stats::bounds_us)].load();
    out += name + "_bucket{le=\"+Inf\"} " + std::to_string(running) + "\n";
    out += name + "_sum " + std::to_string(static_cast<double>(micros_total) / 1e6) + "\n";
    out += name + "_count " + std::to_string(count) + "\n";
  };
  seconds_histogram("enfinito_store_commit_duration_seconds", "Time of one group commit.", st.commit_buckets,
                    st.commit_micros_total.load(), st.batches.load());
  seconds_histogram("enfinito_store_checkpoint_duration_seconds",
                    "Time of one WAL checkpoint the writer ran between groups, fsyncs included.", st.checkpoint_buckets,
                    st.checkpoint_micros_total.load(), st.checkpoints.load());
  out += "# HELP enfinito_store_queue_depth Writes waiting for the writer.\n";
  out += "# TYPE enfinito_store_queue_depth gauge\n";
  out += "enfinito_store_queue_depth " + std::to_string(db.queue_depth()) + "\n";
}

}  // namespace

void register_ops_routes(http::router& r, ops_context ctx) {
  r.add(http::verb::get, "/healthz", "ops.healthz", [](http::request&) -> net::awaitable<http::response> {
    co_return http::json_response(http::status::ok, boost::json::value{{"status", "ok"}});
  });

  r.add(http::verb::get, "/readyz", "ops.readyz", [ctx](http::request&) -> net::awaitable<http::response> {
    // Ready = listeners up, not draining, and the store commits: a real write round trip.
    bool listening = ctx.server && ctx.server->listening() && !ctx.server->draining();
    auto ec = co_await ctx.db.write([](store::connection& c) {
      return c.exec(
          "INSERT INTO meta_kv(key, value) VALUES('readyz', strftime('%s','now')) "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    });
    bool writable = !ec;
    boost::json::object body{{"listening", listening}, {"store_writable", writable}};
    body["status"] = listening && writable ? "ready" : "not_ready";
    co_return http::json_response(listening && writable ? http::status::ok : http::status::service_unavailable, body);
  });

  r.add(http::verb::get, "/metrics", "ops.metrics", [ctx, &r](http::request&) -> net::awaitable<http::response> {
    std::string out;
    if (ctx.metrics) ctx.metrics->render(out, r);
    render_store(out, ctx.db);
    if (ctx.feed) ctx.feed->render_metrics(out);
    if (ctx.limiter) ctx.limiter->render_metrics(out);
    if (ctx.usage) ctx.usage->render_metrics(out);
    if (ctx.queue) co_await ctx.queue->render_metrics(out);
    co_return text(http::status::ok, std::move(out), "text/plain; version=0.0.4; charset=utf-8");
  });

  r.add(http::verb::get, "/v1/openapi.json", "ops.openapi", [](http::request&) -> net::awaitable<http::response> {
    auto res = http::json_response(http::status::ok, std::string(openapi_document()));
    res.set(http::bhttp::field::cache_control, "no-cache");
    co_return res;
  });
}

}  // namespace enfinito::app
