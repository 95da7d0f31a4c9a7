// app::app: wires config, store, reactors, routes and listeners; owns signals and shutdown.
#include <enfinito/api/instance_cache.hpp>
#include <enfinito/api/routes.hpp>
#include <enfinito/api/services.hpp>
#include <enfinito/app/housekeeping.hpp>
#include <enfinito/templates/send_checks.hpp>
#include <enfinito/templates/sync.hpp>
#include <enfinito/hooks/engine.hpp>
#include <enfinito/inbound/media_fetcher.hpp>
#include <enfinito/limits/tenants.hpp>
#include <enfinito/instances/watch.hpp>
#include <enfinito/app/app.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/sd_notify.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/feed/bus.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/http/server.hpp>
#include <enfinito/store/pg/porting.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/web/routes.hpp>

#include "app/ops_routes.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace enfinito::app {

struct app::impl {
  config::settings cfg;
  std::unique_ptr<store::store> db;
  std::unique_ptr<core::io_context_pool> pool;
  http::router routes;
  std::unique_ptr<http::request_metrics> metrics;
  std::unique_ptr<http::server> server;
  std::unique_ptr<net::thread_pool> blocking;
  std::unique_ptr<api::services> services;
  std::unique_ptr<outbound::queue> queue;  // after pool: destroyed before the contexts are
  std::unique_ptr<hooks::engine> hooks;    // customer webhooks out; likewise
  // The live feed: the store writer publishes to it (db->stop() comes before it goes).
  std::unique_ptr<feed::bus> feed;
  std::unique_ptr<feed::ticket_book> tickets;
  net::io_context control{1};
  bool started = false;
};

namespace {

// Usage counts (limits/usage.hpp) are added to usage_daily this often: a crash loses at most
// this much counting; and rows are kept this many days (the usage API reads at most 90).
constexpr std::chrono::milliseconds usage_flush_interval{5'000};
constexpr std::int64_t usage_keep_days = 400;

core::log::level parse_level(const std::string& s) {
  if (s == "debug") return core::log::level::debug;
  if (s == "warn") return core::log::level::warn;
  if (s == "error") return core::log::level::error;
  return core::log::level::info;
}

// Creates the directory that holds the database (mode 0700) when it does not exist.
void ensure_state_dir(const std::string& db_path) {
  auto dir = std::filesystem::path(db_path).parent_path();
  if (dir.empty() || std::filesystem::exists(dir)) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw startup_error(dir.string() + ": cannot create state directory: " + ec.message());
  ::chmod(dir.c_str(), 0700);
}

std::shared_ptr<ssl::context> tls_context(const config::server_settings& s) {
  if (!s.tls()) return nullptr;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                       ssl::context::single_dh_use,
                   ec);
  ctx->use_certificate_chain_file(s.tls_cert_file, ec);
  if (ec) throw startup_error(s.tls_cert_file + ": cannot load TLS certificate chain");
  ctx->use_private_key_file(s.tls_key_file, ssl::context::pem, ec);
  if (ec) throw startup_error(s.tls_key_file + ": cannot load TLS private key (or it does not match)");
  return ctx;
}

// The credential vault's keys (P1). Outside dev mode a missing, short, malformed or
// group/world-readable key file stops the daemon; dev mode creates one, loudly, when missing.
std::shared_ptr<crypto::vault_source> open_vault(const config::settings& c) {
  const auto path = config::vault_key_path(c);
  if (path.empty())
    throw startup_error("vault.key_file: no secrets directory to find \"" + c.vault.key_file +
                        "\" in: set secrets.dir, run under systemd LoadCredential=, or give an "
                        "absolute path");
  if (c.dev && !std::filesystem::exists(path)) {
    if (auto r = crypto::create_keyring_file(path); !r)
      throw startup_error(path.string() + ": cannot create the dev vault key: " + r.error().message());
    core::log::warn("app.dev_vault_key_created", {{"warning",
                                                   "DEV MODE: generated a new vault key; credentials encrypted with "
                                                   "it are lost if this file is lost. Never use in production."},
                                                  {"path", path.string()}});
  }
  auto v = crypto::vault_source::open(path);
  if (!v)
    throw startup_error(path.string() + ": vault key file refused: " + v.error().message() +
                        " (create one with `enfinitoctl create-key`, mode 0600)");
  core::log::info("app.vault_ready", {{"active_key_id", (*v)->current()->active_key_id()}});
  return std::move(*v);
}

std::shared_ptr<const meta::client> make_meta_client(const config::settings& c) {
  auto m =
      meta::client::make({c.meta.base_url, c.meta.graph_version, c.meta.ca_file, c.meta.timeout, c.meta.connect_timeout,
                          c.meta.max_response_bytes, c.meta.max_idle_connections, c.meta.idle_timeout});
  if (!m) throw startup_error("meta: cannot set up the Graph API client: " + m.error().message());
  return std::move(*m);
}

}  // namespace

app::app(config::settings s) : impl_(std::make_unique<impl>()) { impl_->cfg = std::move(s); }

app::~app() {
  // Reactors first: destroying them destroys any session left, which still uses the server
  // state and the metrics.
  // The acceptors belong to the reactors' contexts: they go before the contexts do.
  if (impl_->pool) {
    impl_->pool->stop();
    impl_->pool->join();
    if (impl_->server) impl_->server->release_acceptors();
    // Kept-alive upstream sockets belong to the reactors' contexts too.
    if (impl_->services && impl_->services->meta) impl_->services->meta->close_idle();
    if (impl_->hooks) impl_->hooks->close_idle();
    // Store work still in flight (a started app destroyed without run(): the send queue's
    // first sweep) runs against coroutine frames that live in the contexts and posts its
    // completion to them: finish it while the contexts exist.
    if (impl_->blocking) impl_->blocking->join();
    if (impl_->db) impl_->db->stop();
    impl_->queue.reset();  // its timers belong to the contexts
    impl_->hooks.reset();
    impl_->pool.reset();
  }
  impl_->server.reset();
  if (impl_->blocking) impl_->blocking->join();
  if (impl_->db) impl_->db->stop();
}

void app::start() {
  auto& c = impl_->cfg;
  core::log::set_level(parse_level(c.log_level));
  if (c.dev)
    core::log::warn("app.dev_mode",
                    {{"warning", "DEV MODE: loopback only, local database, not for production"}, {"db", c.store.path}});

  // 1. The store: lock, pragmas, migrations, integrity check.
  if (c.store.backend == "postgres") throw startup_error(store::pg::not_ready_message());
  ensure_state_dir(c.store.path);
  std::string why;
  store::options so{c.store.path, c.store.synchronous == "full", c.store.read_connections, c.store.commit_batch_max,
                    c.store.busy_timeout};
  auto db = store::store::open(so, &why);
  if (!db) throw startup_error(why.empty() ? "cannot open the database" : why);
  impl_->db = std::move(*db);

  // 2. Reactors and routes.
  impl_->pool = std::make_unique<core::io_context_pool>(c.server.reactors);
  impl_->blocking = std::make_unique<net::thread_pool>(2);
  impl_->services = std::make_unique<api::services>(
      api::services{impl_->cfg, *impl_->db, *impl_->pool, *impl_->blocking, nullptr,
                    http::json_limits{c.limits.json_max_depth, c.limits.json_max_elements}});
  impl_->services->auth = std::make_shared<auth::runtime>(
      impl_->pool->size(),
      auth::throttle_policy{c.auth.signin_max_failures_per_account, c.auth.signin_max_failures_per_address,
                            std::chrono::seconds(c.auth.signin_window_s)},
      impl_->db->changes());
  impl_->services->vault = open_vault(c);
  // Fair shares (limits/limiter.hpp): the defaults, then every stored override, before serving.
  if (c.rate_limits.enabled)
    impl_->services->limiter = std::make_shared<limits::limiter>(
        impl_->pool->size(), limits::policy{{c.rate_limits.key_per_s, c.rate_limits.key_burst},
                                            {c.rate_limits.tenant_per_s, c.rate_limits.tenant_burst}});
  if (auto ec = limits::load_overrides({c, *impl_->db, impl_->services->limiter.get()}))
    throw startup_error("rate limits: cannot read the overrides: " + ec.message());
  // Usage per tenant and day, counted from what commits (limits/usage.hpp).
  impl_->services->usage = std::make_shared<limits::usage_book>();
  impl_->db->changes().subscribe([u = impl_->services->usage](const store::change_set& committed) {
    if (!committed.events.empty()) u->count(committed.events);
  });
  impl_->services->instance_rows =
      std::make_shared<api::instance_cache>(impl_->pool->size(), impl_->db->changes(), c.queue.instance_cache_ttl);
  impl_->services->meta = make_meta_client(c);
  impl_->services->send_checks = std::make_shared<templates::send_checks>(
      impl_->pool->size(), impl_->db->changes(),
      templates::parse_window_policy(c.templates.window_policy).value_or(templates::window_policy::automatic));
  // The send queue: requeue what an earlier run left leased (before anything is sent).
  impl_->queue = std::make_unique<outbound::queue>(impl_->cfg, *impl_->db, *impl_->pool, *impl_->blocking,
                                                   impl_->services->vault, impl_->services->meta);
  if (auto ec = impl_->queue->recover()) throw startup_error("send queue: cannot recover leases: " + ec.message());
  impl_->services->queue = impl_->queue.get();
  // A committed change to an instance (status, token, throughput, deletion) reaches its
  // dispatcher at once: the queue re-reads the row and resumes or pauses.
  impl_->db->changes().subscribe([q = impl_->queue.get()](const store::change_set& committed) {
    const auto& ids = committed.instances;
    for (auto it = ids.begin(); it != ids.end(); ++it)
      if (std::find(ids.begin(), it, *it) == it) q->notify(*it);
  });
  impl_->hooks =
      std::make_unique<hooks::engine>(impl_->cfg, *impl_->db, *impl_->pool, *impl_->blocking, impl_->services->vault);
  impl_->services->hooks = impl_->hooks.get();
  // The live feed: committed events go from the store writer to the bus, and nowhere else.
  impl_->feed = std::make_unique<feed::bus>(*impl_->pool);
  impl_->tickets = std::make_unique<feed::ticket_book>(c.feed.ticket_ttl);
  impl_->services->feed = impl_->feed.get();
  impl_->services->tickets = impl_->tickets.get();
  impl_->db->changes().subscribe(
      [bus = impl_->feed.get()](const store::change_set& committed) { bus->publish(committed.events); });
  // Webhook health (instances/watch.hpp): sends from the change stream, webhooks from inbound.
  impl_->services->webhook_activity = std::make_shared<instances::webhook_activity>();
  instances::follow_sends(impl_->db->changes(), impl_->services->webhook_activity);
  register_ops_routes(impl_->routes,
                      ops_context{*impl_->db, impl_->server, impl_->metrics, impl_->queue.get(), impl_->feed.get(),
                                  impl_->services->limiter.get(), impl_->services->usage.get()});
  api::register_all(impl_->routes, *impl_->services);
  web::register_routes(impl_->routes, *impl_->services);  // last: it sets the router's fallback
  impl_->metrics = std::make_unique<http::request_metrics>(impl_->routes.routes().size());

  // 3. Listeners.
  http::server_options ho;
  ho.header_bytes = c.limits.header_bytes;
  ho.body_bytes = c.limits.body_bytes;
  ho.header_timeout = c.limits.header_timeout;
  ho.body_idle_timeout = c.limits.body_idle_timeout;
  ho.write_timeout = c.limits.write_timeout;
  ho.keepalive_timeout = c.limits.keepalive_timeout;
  ho.max_connections = c.limits.max_connections;
  ho.max_requests_per_connection = c.limits.max_requests_per_connection;
  ho.tls = tls_context(c.server);
  impl_->server = std::make_unique<http::server>(*impl_->pool, impl_->routes, ho, *impl_->metrics);
  if (auto ec = impl_->server->listen(c.server.listen, c.server.port, &why)) throw startup_error(why);
  impl_->server->start();
  // 4. Background work on reactor 0 (each only queues store writes or blocking work): the mail
  // outbox sender, the housekeeping sweep and the retention job.
  mail::start_sender(impl_->cfg, *impl_->db, *impl_->blocking, impl_->services->vault,
                     impl_->pool->at(0).get_executor());
  start_housekeeping(*impl_->db, impl_->pool->at(0).get_executor(), c.store.housekeeping_interval,
                     account_sweeps(c.auth.session_idle_timeout_s));
  // Retention (P9): messages, events and stale pending statuses past their configured age.
  start_housekeeping(*impl_->db, impl_->pool->at(0).get_executor(), c.retention.interval, retention_sweeps(c.retention),
                     c.retention.batch_rows);
  // The local template copies (templates/sync.hpp).
  templates::start_sync({c, *impl_->db, *impl_->blocking, impl_->services->vault, impl_->services->meta},
                        impl_->pool->at(0).get_executor());
  // Usage counts reach usage_daily every few seconds, off the send path (limits/usage.hpp).
  start_housekeeping(*impl_->db, impl_->pool->at(0).get_executor(), usage_flush_interval,
                     {sweep_task{"usage_flush",
                                 [u = impl_->services->usage](store::connection& conn, std::int64_t now,
                                                              std::size_t batch, std::size_t& removed) {
                                   return limits::flush_usage(conn, *u, now, usage_keep_days, batch, removed);
                                 }}},
                     c.retention.batch_rows);
  instances::start_watch(
      *impl_->db, impl_->services->vault, *impl_->blocking, impl_->services->webhook_activity,
      {c.onboarding.watch_interval, c.inbound.silent_after.count(), c.onboarding.token_expiry_warning_days * 86400,
       c.server.public_url, c.onboarding.owner_alerts},
      impl_->pool->at(0).get_executor());
  impl_->queue->start();
  impl_->hooks->start();
  // Inbound media kept for instances that asked (inbound/media_fetcher.hpp).
  inbound::start_media_fetcher({c, *impl_->db, *impl_->blocking, impl_->services->vault, impl_->services->meta},
                               impl_->pool->at(0).get_executor());
  impl_->pool->run();
  impl_->started = true;
  core::log::info("app.listening", {{"address", c.server.listen},
                                    {"port", impl_->server->port()},
                                    {"tls", c.server.tls()},
                                    {"reactors", impl_->pool->size()},
                                    {"schema_version", impl_->db->schema_version()}});
}

void app::request_stop() {
  net::post(impl_->control, [this] { impl_->control.stop(); });
}

int app::run() {
  if (!impl_->started) start();
  auto& control = impl_->control;
  net::signal_set signals(control, SIGTERM, SIGINT);
  signals.async_wait([&](core::error_code ec, int sig) {
    if (ec) return;
    core::log::info("app.signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    control.stop();
  });
  // Watchdog: ping at half the interval systemd expects, from the control thread, but only
  // while reactor 0 answers (a wedged reactor stops the pings and systemd restarts us).
  net::steady_timer watchdog(control);
  std::function<void()> ping;
  if (auto interval = core::systemd::watchdog_interval()) {
    ping = [&, half = *interval / 2] {
      watchdog.expires_after(half);
      watchdog.async_wait([&](core::error_code ec) {
        if (ec) return;
        net::post(impl_->pool->at(0), [] { core::systemd::watchdog(); });
        ping();
      });
    };
    ping();
  }
  core::systemd::ready();
  control.run();

  // Drain.
  core::systemd::stopping();
  core::log::info("app.draining", {{"open_connections", impl_->server->open_connections()},
                                   {"deadline_ms", impl_->cfg.limits.drain_timeout.count()}});
  impl_->server->stop_accepting();
  impl_->server->drain();
  impl_->feed->shutdown();  // feed sockets close with 1001; clients resume elsewhere by id
  auto deadline = std::chrono::steady_clock::now() + impl_->cfg.limits.drain_timeout;
  while ((impl_->server->open_connections() > 0 || impl_->feed->connections() > 0) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto left = impl_->server->open_connections();
  // Sends in flight commit their outcome; what is left keeps its lease for the next start.
  impl_->queue->stop(std::max(std::chrono::milliseconds(100), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  deadline - std::chrono::steady_clock::now())));
  impl_->pool->stop();
  impl_->pool->join();
  impl_->blocking->join();
  impl_->db->stop();  // commits everything already queued
  core::log::info("app.stopped", {{"connections_cut", left}});
  return 0;
}

std::uint16_t app::port() const { return impl_->server ? impl_->server->port() : 0; }
store::store& app::database() { return *impl_->db; }
outbound::queue* app::send_queue() { return impl_->queue.get(); }

std::vector<std::string> app::route_list() const {
  std::vector<std::string> out;
  for (const auto& r : impl_->routes.routes())
    if (r->options.public_doc) out.push_back(std::string(http::bhttp::to_string(r->method)) + " " + r->pattern);
  return out;
}

}  // namespace enfinito::app
