// hooks::engine: the customer webhook delivery loop, one attempt, and the URL checks.
#include <enfinito/hooks/engine.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/tls.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/hooks/pause_policy.hpp>
#include <enfinito/hooks/signing.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/upstream/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace enfinito::hooks {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t enqueue_window = 10'000;  // event ids per enqueue write
constexpr std::size_t claim_limit = 500;         // deliveries claimed per tick
constexpr std::size_t max_clients = 10'000;      // cached upstream clients (one per endpoint)

}  // namespace

struct engine::state : std::enable_shared_from_this<engine::state> {
  state(const config::settings& c, store::store& d, core::io_context_pool& r, net::thread_pool& b,
        std::shared_ptr<crypto::vault_source> v)
      : cfg(c), db(d), reactors(r), blocking(b), vault(std::move(v)) {
    timer.emplace(r.at(0).get_executor());
    allowed = core::parse_ranges(cfg.customer_webhooks.allow_ranges).value_or(std::vector<core::ip_range>{});
    auto ctx = crypto::make_client_context(std::nullopt);
    if (ctx) tls = std::move(*ctx);
  }

  const config::settings& cfg;
  store::store& db;
  core::io_context_pool& reactors;
  net::thread_pool& blocking;
  std::shared_ptr<crypto::vault_source> vault;
  std::shared_ptr<ssl::context> tls;
  std::vector<core::ip_range> allowed;
  // Reactor 0; the loop's sleep until the next retry or lease is due, cut short by wake().
  // Optional: ~engine destroys it while the reactors' contexts still exist, because in-flight
  // deliveries on other reactors may hold the state until their context goes (ASan: the timer
  // outlived reactor 0's timer service).
  std::optional<net::steady_timer> timer;
  std::atomic<bool> poke{false};
  std::atomic<bool> pacing{false};            // the loop pauses between ticks (see `loop`)
  std::atomic<bool> detached{false};          // ~engine ran: the change stream's news is ignored
  std::atomic<bool> has_endpoints{true};      // without any, new events need no look
  std::atomic<bool> endpoints_changed{true};  // look again whether there is any
  std::atomic<bool> slot_waiting{false};      // due work waits for an in-flight slot: release() wakes

  // Look now rather than when the timer ends. Any thread.
  void wake() {
    poke.store(true);
    if (pacing.load()) return;
    net::post(reactors.at(0).get_executor(), [w = weak_from_this()] {
      if (auto s = w.lock(); s && s->timer) s->timer->cancel();
    });
  }

  // The change stream's news (store writer thread, after COMMIT): deliveries made due, endpoints
  // changed (created, resumed, deleted), or new events while some endpoint may want them.
  void committed(const store::change_set& cs) {
    if (detached.load()) return;
    if (cs.has(store::change::hook_endpoints)) endpoints_changed.store(true);
    if (cs.any(store::change::hook_endpoints | store::change::hook_deliveries) ||
        (!cs.events.empty() && has_endpoints.load()))
      wake();
  }

  mutable std::mutex mu;                                // guards everything below (held for map operations only)
  std::unordered_map<std::string, unsigned> in_flight;  // endpoint id → attempts running
  bool released_since_claim = false;                    // an attempt ended since capacity_json()
  struct cached_client {
    std::string url_origin;
    std::shared_ptr<upstream::client> client;
  };
  std::unordered_map<std::string, cached_client> clients;  // endpoint id → its client
  engine_stats counters;

  // The client of an endpoint (kept-alive connections are per endpoint and origin).
  std::shared_ptr<upstream::client> client_for(const std::string& endpoint_id, const upstream::origin& o) {
    const std::string key = (o.tls ? "https://" : "http://") + o.authority();
    std::lock_guard lk(mu);
    auto it = clients.find(endpoint_id);
    if (it != clients.end() && it->second.url_origin == key) return it->second.client;
    if (clients.size() >= max_clients) clients.clear();  // idle sockets close with their client
    upstream::options opts;
    opts.timeout = cfg.customer_webhooks.timeout;
    opts.connect_timeout = cfg.customer_webhooks.connect_timeout;
    opts.max_response_bytes = cfg.customer_webhooks.max_response_bytes;
    opts.max_idle_per_reactor = 2;
    opts.why = upstream::purpose::customer_webhook;
    opts.address_filter = [allowed = this->allowed](const net::ip::address& a) {
      return core::address_allowed(a, allowed);
    };
    auto c = upstream::client::make(o, opts, tls);
    clients[endpoint_id] = {key, c};
    return c;
  }

  void release(const std::string& endpoint_id) {
    {
      std::lock_guard lk(mu);
      auto it = in_flight.find(endpoint_id);
      if (it != in_flight.end() && --it->second == 0) in_flight.erase(it);
      released_since_claim = true;
    }
    if (slot_waiting.exchange(false)) wake();
  }

  // Did an attempt end since the last claim? (Then the claim may find room now.)
  bool idle_slot() {
    std::lock_guard lk(mu);
    return released_since_claim;
  }

  // {"<endpoint id>": free slots} for endpoints with attempts running.
  std::string capacity_json() {
    json::object o;
    std::lock_guard lk(mu);
    released_since_claim = false;
    for (const auto& [id, n] : in_flight)
      o[id] = n >= cfg.customer_webhooks.max_in_flight
                  ? 0
                  : static_cast<std::int64_t>(cfg.customer_webhooks.max_in_flight - n);
    return json::serialize(o);
  }
};

namespace {

struct prepared {
  bool ok = false;
  bool gone = false;  // endpoint deleted or not active: nothing to do
  std::string fail;   // why the attempt could not be made (event purged, vault error…)
  store::hooks::endpoint ep;
  std::string body;
};

std::string event_json(std::int64_t id, const std::string& instance_id, const std::string& type,
                       const std::string& data, std::int64_t created_at) {
  json::object o;
  o["id"] = id;
  o["type"] = type;
  o["instance_id"] = instance_id;
  o["created_at"] = created_at;
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  if (ec)
    o["data"] = json::object{};
  else
    o["data"] = std::move(v);
  return json::serialize(o);
}

net::awaitable<core::result<core::secret_string>> open_secret(engine::state& st, const store::hooks::endpoint& ep) {
  const crypto::field_ref ref{store::hooks::table, ep.id, store::hooks::secret_field};
  auto v = st.vault->current();
  auto out = v->decrypt(ep.secret_blob, ref);
  if (!out && out.error() == crypto::error::unknown_key_id) {
    auto fresh = co_await crypto::fresh_vault(*st.vault, st.blocking);
    out = fresh->decrypt(ep.secret_blob, ref);
  }
  co_return out;
}

// Loads what the attempt sends (one read).
net::awaitable<prepared> prepare(engine::state& st, const store::hooks::delivery& d) {
  prepared p;
  bool event_missing = false;
  std::string inst, type, data;
  std::int64_t created = 0;
  auto read = [&](store::connection& c) -> core::error_code {
    auto ec = store::hooks::get_any(c, d.endpoint_id, p.ep);
    if (ec == store::error::not_found) {
      p.gone = true;
      return {};
    }
    if (ec) return ec;
    if (p.ep.format == "meta")
      ec = store::hooks::meta_payload(c, p.ep.instance_id, d.event_id, p.body);
    else
      ec = store::hooks::event_row(c, d.event_id, inst, type, data, created);
    if (ec == store::error::not_found) {
      event_missing = true;
      return {};
    }
    return ec;
  };
  auto ec = co_await st.db.read(read);
  if (ec)
    p.fail = "store error";
  else if (p.gone || p.ep.state != "active")
    p.gone = true;
  else if (event_missing)
    p.fail = "the event is no longer retained";
  else if (p.ep.format != "meta" && inst != p.ep.instance_id)
    p.fail = "the event is not this instance's";
  else {
    // Format meta: Meta's bytes as they came, less Enfinito's own status tags (meta/graph.hpp).
    if (p.ep.format == "meta")
      p.body = meta::strip_callback_tags(p.body);
    else
      p.body = event_json(d.event_id, inst, type, data, created);
    p.ok = true;
  }
  co_return p;
}

std::string describe(const core::error_code& ec) {
  if (ec == upstream::error::address_refused) return "refused: the host resolves to a non-public address";
  if (ec == upstream::error::timeout) return "timeout";
  if (ec == upstream::error::resolve_failed) return "cannot resolve the host";
  if (ec == upstream::error::connect_failed) return "cannot connect";
  if (ec == upstream::error::tls_failed) return "TLS handshake failed";
  if (ec == upstream::error::response_too_large) return "response too large";
  if (ec == upstream::error::bad_url) return "bad URL";
  return "connection failed";
}

net::awaitable<void> attempt(std::shared_ptr<engine::state> st, store::hooks::delivery d) {
  const auto& c = st->cfg.customer_webhooks;
  auto p = co_await prepare(*st, d);
  store::hooks::attempt_outcome out;
  std::optional<milliseconds> retry_after;  // the endpoint's Retry-After, when it sent one
  bool skip = p.gone;
  if (!skip && !p.ok) {
    out.error = p.fail;  // nothing can be sent; retried (a store error) or given up below
  } else if (!skip) {
    auto secret = co_await open_secret(*st, p.ep);
    auto parts = upstream::parse_url(p.ep.url);
    if (!secret)
      out.error = "the signing secret cannot be opened";
    else if (!parts)
      out.error = "bad URL";
    else {
      const std::int64_t ts = core::wall_ms() / 1000;
      const std::string stamp = std::to_string(ts);
      std::string sig;
      std::vector<std::pair<std::string_view, std::string_view>> headers;
      headers.emplace_back("webhook-id", d.id);
      headers.emplace_back("webhook-timestamp", stamp);
      if (p.ep.format == "meta") {
        sig = meta_signature(secret->reveal(), p.body);
        headers.emplace_back("X-Hub-Signature-256", sig);
      } else {
        sig = standard_signature(secret->reveal(), d.id, ts, p.body).value_or("");
        headers.emplace_back("webhook-signature", sig);
      }
      auto client = st->client_for(p.ep.id, parts->where);
      upstream::request r;
      r.method = "POST";
      r.target = parts->target;
      r.body = p.body;
      r.content_type = "application/json";
      r.accept = "*/*";
      r.headers = headers;
      auto res = co_await client->call(r);
      {
        std::lock_guard lk(st->mu);
        st->counters.attempts++;
        if (!res && res.error() == upstream::error::address_refused) st->counters.refused_addresses++;
      }
      if (res && res->ok()) {
        out.delivered = true;
        out.status = res->status;
      } else if (res) {
        out.status = res->status;
        out.error =
            res->status >= 300 && res->status < 400 ? "redirect (not followed)" : "HTTP " + std::to_string(res->status);
        if (!res->retry_after.empty()) retry_after = parse_retry_after(res->retry_after, ts);
      } else {
        out.error = describe(res.error());
      }
    }
  }
  if (!skip) {
    // The retry time and the endpoint's failure run: hooks::pause_policy decides, the same
    // write stores the outcome and the run.
    const auto attempts = static_cast<unsigned>(d.attempts + 1);
    const attempt_result result{out.delivered, p.fail != "the event is no longer retained", retry_after, out.error};
    const auto when = core::wall_ms();
    out.retry_at = next_attempt_at({c.max_attempts, c.retry_after_max}, attempts, result,
                                   backoff(attempts, c.retry_base, c.retry_max), when);
    bool paused = false;
    const pause_limits limits{static_cast<std::int64_t>(c.pause_after_failures), c.pause_after.count()};
    auto write = [&](store::connection& conn) -> core::error_code {
      if (auto ec = store::hooks::record_attempt(conn, d, out, when)) return ec;
      store::hooks::failure_run run;
      auto ec = store::hooks::load_run(conn, d.endpoint_id, run);
      if (ec == store::error::not_found) return {};  // deleted meanwhile: no run to keep
      if (ec) return ec;
      auto step = after_attempt(limits, std::move(run), result, when);
      paused = step.paused;
      return store::hooks::save_run(conn, d.endpoint_id, step.run, paused ? std::optional(when) : std::nullopt);
    };
    auto ec = co_await st->db.write(write);
    {
      std::lock_guard lk(st->mu);
      if (out.delivered)
        st->counters.delivered++;
      else
        st->counters.failed_attempts++;
    }
    if (ec) core::log::error("hooks.store_failed", {{"delivery", d.id}, {"error", ec.message()}});
    if (out.delivered)
      core::log::info(
          "hooks.delivered",
          {{"delivery", d.id}, {"endpoint", d.endpoint_id}, {"status", *out.status}, {"attempt", attempts}});
    else
      core::log::warn("hooks.delivery_failed", {{"delivery", d.id},
                                                {"endpoint", d.endpoint_id},
                                                {"reason", out.error},
                                                {"attempt", attempts},
                                                {"retry", out.retry_at.has_value()}});
    if (paused) core::log::warn("hooks.endpoint_paused", {{"endpoint", d.endpoint_id}, {"reason", out.error}});
  }
  st->release(d.endpoint_id);
}

// One pass: enqueue new events, claim due deliveries, start their attempts. Returns false when
// the store stopped, and whether a full claim suggests more work is waiting right now.
struct tick_result {
  bool stop = false;
  bool busy = false;
  bool overdue = false;                  // due work left unclaimed: its endpoint's slots are full
  std::optional<std::int64_t> next_due;  // unix ms of the next retry or lease end, if any
};

net::awaitable<tick_result> tick(std::shared_ptr<engine::state> st) {
  const auto& c = st->cfg.customer_webhooks;
  const milliseconds lease = c.timeout + c.connect_timeout + milliseconds(60'000);
  tick_result r;
  std::vector<store::hooks::delivery> due;
  std::size_t created = 0;
  const auto now = core::wall_ms();
  if (st->endpoints_changed.exchange(false)) {
    bool any = true;
    auto look = [&any](store::connection& conn) { return store::hooks::any_endpoint(conn, any); };
    auto aec = co_await st->db.read(look);
    if (aec == store::error::stopped) r.stop = true;
    st->has_endpoints.store(any || aec);  // on a failed read, assume there may be some
    if (aec && !r.stop) st->endpoints_changed.store(true);
  }
  if (r.stop || !st->has_endpoints.load()) co_return r;
  auto enqueue = [&](store::connection& conn) { return store::hooks::enqueue_new(conn, now, enqueue_window, created); };
  auto ec = co_await st->db.write(enqueue);
  if (ec && ec != store::error::stopped) core::log::error("hooks.enqueue_failed", {{"error", ec.message()}});
  const std::string capacity = st->capacity_json();
  auto claim = [&](store::connection& conn) {
    return store::hooks::claim_due(conn, now, now + lease.count(), c.max_in_flight, claim_limit, capacity, due);
  };
  auto cec = co_await st->db.write(claim);
  if (cec && cec != store::error::stopped) core::log::error("hooks.claim_failed", {{"error", cec.message()}});
  r.stop = ec == store::error::stopped || cec == store::error::stopped;
  for (auto& d : due) {
    {
      std::lock_guard lk(st->mu);
      st->in_flight[d.endpoint_id]++;
    }
    // The endpoint's reactor: its kept-alive connections live there.
    auto& ctx = st->reactors.owner_of(std::hash<std::string>{}(d.endpoint_id));
    // An exception ends this attempt only: its lease runs out and the delivery is claimed again.
    core::spawn(ctx.get_executor(), attempt(st, std::move(d)), core::on_exception::log("hooks.attempt_crashed"));
  }
  r.busy = due.size() >= claim_limit || created >= claim_limit;
  if (r.stop || r.busy) co_return r;
  const auto after = core::wall_ms();
  auto next = [&r, after](store::connection& conn) {
    return store::hooks::next_due(conn, after, r.overdue, r.next_due);
  };
  auto nec = co_await st->db.read(next);
  if (nec && nec != store::error::stopped) {
    core::log::error("hooks.next_due_failed", {{"error", nec.message()}});
    r.next_due = now + 1000;  // the store is in trouble: look again in a second
  }
  r.stop = nec == store::error::stopped;
  co_return r;
}

// After a tick that took `t`, news from the stream waits until `pace_factor * t` has passed
// since it ended (at most 50 ms, a quarter of the old poll interval): an idle engine answers a
// commit at once, a loaded one does not put a claim through the one store writer after every
// commit (40 hanging endpoints made the claim cost milliseconds, and the send path waited
// behind it: degraded_webhooks).
constexpr std::int64_t pace_factor = 4;
constexpr std::int64_t pace_max_ms = 50;

net::awaitable<void> loop(std::shared_ptr<engine::state> st) {
  tick_result r;
  bool stop = false;
  while (!stop) {
    st->poke.store(false);
    const auto started = core::steady_ms();
    r = co_await tick(st);
    const auto ended = core::steady_ms();
    stop = r.stop;
    if (!stop && !r.busy && st->poke.load()) {
      const auto pause = std::min(pace_max_ms, pace_factor * (ended - started));
      if (pause > 0) {
        st->pacing.store(true);  // wake() leaves the timer alone: the loop looks after the pause
        st->timer->expires_after(milliseconds(pause));
        auto [wec] = co_await st->timer->async_wait(net::as_tuple(net::use_awaitable));
        (void)wec;
        st->pacing.store(false);
      }
    }
    // More due right now (a full claim) or news from the change stream: go again.
    // Otherwise sleep until the next retry or lease end; new work wakes the loop earlier.
    if (!stop && !r.busy && !st->poke.load()) {
      // Due, yet not claimed: its endpoint has every slot in flight. An ending attempt wakes us.
      if (r.overdue) st->slot_waiting.store(true);
      const auto now = core::wall_ms();
      if (!r.next_due)
        st->timer->expires_at(net::steady_timer::time_point::max());
      else
        st->timer->expires_after(milliseconds(std::max<std::int64_t>(0, *r.next_due - now)));
      // An attempt may have ended between the claim and here, before slot_waiting was set.
      if (r.overdue && st->idle_slot()) st->poke.store(true);
      if (!st->poke.load()) {
        auto [wec] = co_await st->timer->async_wait(net::as_tuple(net::use_awaitable));
        (void)wec;
      }
    }
  }
}

}  // namespace

engine::engine(const config::settings& cfg, store::store& db, core::io_context_pool& reactors,
               net::thread_pool& blocking, std::shared_ptr<crypto::vault_source> vault)
    : st_(std::make_shared<state>(cfg, db, reactors, blocking, std::move(vault))) {
  db.changes().subscribe([w = std::weak_ptr<state>(st_)](const store::change_set& cs) {
    if (auto s = w.lock()) s->committed(cs);
  });
}

engine::~engine() {
  st_->detached.store(true);
  close_idle();
  st_->timer.reset();  // the reactors are stopped (app::~app), their contexts not yet destroyed
}

void engine::start() {
  if (!st_->tls) {
    core::log::error("hooks.disabled", {{"reason", "no TLS client context"}});
    return;
  }
  core::spawn(st_->reactors.at(0).get_executor(), loop(st_), core::on_exception::terminate("hooks.loop_crashed"));
}

void engine::close_idle() {
  std::lock_guard lk(st_->mu);
  for (auto& [id, c] : st_->clients) c.client->close_idle();
  st_->clients.clear();
}

engine_stats engine::stats() const {
  std::lock_guard lk(st_->mu);
  return st_->counters;
}

std::string check_url(std::string_view url, bool allow_http, const std::vector<core::ip_range>& allowed) {
  if (url.size() > 2048) return "at most 2048 characters";
  auto parts = upstream::parse_url(url);
  if (!parts) return "an absolute http(s) URL without user info or fragment";
  if (!parts->where.tls && !allow_http) return "must be an https URL";
  boost::system::error_code ec;
  auto literal = net::ip::make_address(parts->where.host, ec);
  if (!ec && !core::address_allowed(literal, allowed)) return "the address is not public";
  return {};
}

net::awaitable<std::string> check_host(std::string host, std::string port, std::vector<core::ip_range> allowed) {
  auto ex = co_await net::this_coro::executor;
  net::ip::tcp::resolver resolver(ex);
  net::steady_timer guard(ex);
  guard.expires_after(std::chrono::seconds(5));
  guard.async_wait([&resolver](boost::system::error_code e) {
    if (!e) resolver.cancel();
  });
  auto [ec, results] = co_await resolver.async_resolve(host, port, net::as_tuple(net::use_awaitable));
  guard.cancel();
  std::string why;
  if (ec || results.empty())
    why = "the host name does not resolve";
  else
    for (const auto& e : results)
      if (!core::address_allowed(e.endpoint().address(), allowed)) why = "the host resolves to a non-public address";
  co_return why;
}

}  // namespace enfinito::hooks
