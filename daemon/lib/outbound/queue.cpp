// outbound::queue: per-instance dispatchers on their owning reactors, leases in SQLite, the
// sweep, outcome waiters and the queue's metrics. The design essay is in outbound/queue.hpp.
#include <enfinito/outbound/queue.hpp>

#include <enfinito/broadcasts/opt_out_seam.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/instances/status.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/outbound/pacing.hpp>
#include <enfinito/outbound/queue_metrics.hpp>
#include <enfinito/outbound/send_window.hpp>
#include <enfinito/store/broadcasts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>

namespace enfinito::outbound {
namespace {

constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);
// How often a send's outcome whose commit failed (disk full) is written again.
constexpr std::chrono::milliseconds outcome_retry_every{250};

// What an exception escaping the queue's coroutines does (each holds leases and counters).
constexpr core::on_exception::terminate queue_crashed{"outbound.queue_crashed"};

struct waiter {
  explicit waiter(const executor& ex) : timer(ex) {}
  net::steady_timer timer;
  std::optional<send_outcome> result;
};

}  // namespace

struct dispatcher;

// One reactor's share: the dispatchers of the instances it owns. Touched only on its thread.
struct shard {
  explicit shard(net::io_context& c) : ctx(c), rng(std::random_device{}()) {}
  net::io_context& ctx;
  std::unordered_map<std::string, std::shared_ptr<dispatcher>> dispatchers;
  std::mt19937_64 rng;
  double unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }
};

struct queue::impl : std::enable_shared_from_this<queue::impl> {
  impl(const config::settings& c, store::store& d, core::io_context_pool& r, net::thread_pool& b,
       std::shared_ptr<crypto::vault_source> v, std::shared_ptr<const meta::client> m)
      : cfg(c),
        db(d),
        reactors(r),
        blocking(b),
        vault(std::move(v)),
        meta(std::move(m)),
        run_id("run_" + crypto::random_token(12)),
        policy{c.queue.max_attempts, c.queue.backoff_base, c.queue.backoff_max, c.queue.pair_wait} {
    for (std::size_t i = 0; i < reactors.size(); ++i) shards.push_back(std::make_unique<shard>(reactors.at(i)));
  }

  const config::settings& cfg;
  store::store& db;
  core::io_context_pool& reactors;
  net::thread_pool& blocking;
  std::shared_ptr<crypto::vault_source> vault;
  std::shared_ptr<const meta::client> meta;
  const std::string run_id;
  const retry_policy policy;
  std::vector<std::unique_ptr<shard>> shards;
  std::unique_ptr<net::steady_timer> sweep_timer;  // on reactor 0
  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> in_flight{0};
  queue_metrics stats;
  std::mutex waiters_mu;
  // A waiter's timer belongs to its own executor: others only post to that executor and hold
  // the waiter weakly, so it is never destroyed (nor its timer touched) on another thread.
  struct waiter_ref {
    executor ex;
    std::weak_ptr<waiter> w;
  };
  std::unordered_multimap<std::string, waiter_ref> waiters;

  std::size_t owner(std::string_view instance_id) const {
    // The same choice as core::io_context_pool::owner_of.
    return std::hash<std::string_view>{}(instance_id) % shards.size();
  }
  void notify(std::string_view instance_id, std::int64_t seq, std::string_view peer);
  void deliver(const std::string& message_id, const send_outcome& o);
  net::awaitable<void> sweep();
};

// The send loop of one instance, on its owning reactor: carries out what its send_window
// decides (outbound/send_window.hpp) with the store, the credentials and the Meta client.
struct dispatcher : std::enable_shared_from_this<dispatcher> {
  dispatcher(queue::impl& q_, shard& sh_, std::string id)
      : q(q_), sh(sh_), instance_id(std::move(id)), timer(sh_.ctx), window(options(q_.cfg.queue), core::steady_ms()) {}

  static window_options options(const config::queue_settings& s) {
    return {s.window, s.max_in_flight, static_cast<double>(s.rate_per_instance), static_cast<double>(s.burst),
            s.lease.count()};
  }
  static instant clock_now() { return {core::wall_ms(), core::steady_ms()}; }

  queue::impl& q;
  shard& sh;
  const std::string instance_id;
  std::string user_id;
  net::steady_timer timer;
  bool woken = false;
  bool running = false;
  bool stopping = false;
  std::uint64_t row_generation = 0;  // store::instances::generation() when `row` was read: re-read once it moves
  send_window window;
  store::instances::instance row;
  std::string row_key;    // the credential blobs the row had (detects an update)
  std::string creds_key;  // ... and those `creds` were opened from
  std::shared_ptr<const crypto::graph_credentials> creds;

  void wake() {
    woken = true;
    timer.cancel();
  }

  // New work: a job handed over directly, or (seq 0) "look in the database".
  void offer(std::int64_t seq, std::string peer) {
    window.offer(seq, std::move(peer), core::wall_ms());
    wake();
  }

  net::awaitable<void> sleep(std::chrono::milliseconds d) {
    if (woken) {
      woken = false;
      co_return;
    }
    timer.expires_after(std::max(d, std::chrono::milliseconds(1)));
    auto r = co_await timer.async_wait(tuple_awaitable);
    (void)r;
    woken = false;
  }

  // Reads the instance row and loads queued jobs. False when the instance is gone.
  net::awaitable<bool> refresh() {
    const auto load = window.begin_load();
    const auto generation = store::instances::generation();  // before the read: a change racing it is seen next time
    store::instances::instance r;
    std::vector<store::messages::job_ref> jobs;
    bool found = true;
    auto fn = [&](store::connection& c) -> core::error_code {
      auto ec = store::instances::get_any(c, instance_id, r);
      if (ec == store::error::not_found) {
        found = false;
        return {};
      }
      if (ec) return ec;
      if (load.room == 0) return {};
      return store::messages::queued_jobs(c, instance_id, load.after, load.room, jobs);
    };
    auto ec = co_await q.db.read(fn);
    if (ec) {
      core::log::warn("outbound.queue_load_failed", {{"instance", instance_id}, {"reason", ec.message()}});
      window.load_failed(load);
      co_await sleep(std::chrono::milliseconds(1000));
      co_return true;
    }
    if (!found) co_return false;
    row_generation = generation;
    user_id = r.user_id;
    row_key = r.blobs[crypto::f_phone] + r.blobs[crypto::f_token];
    if (const double rate = send_rate(q.cfg.queue, r.throughput_level); window.set_rate(rate, core::steady_ms()))
      core::log::info("outbound.queue_rate", {{"instance", instance_id},
                                              {"throughput", r.throughput_level},
                                              {"per_second", static_cast<std::int64_t>(rate)}});
    const bool resumed = window.set_paused(r.status != "active");
    if (window.paused() || row_key != creds_key) creds.reset();
    if (resumed) core::log::info("outbound.queue_resumed", {{"instance", instance_id}});
    row = std::move(r);
    for (auto& j : jobs) window.loaded(j.seq, std::move(j.peer), j.next_attempt_at, j.bulk);
    window.end_load(load, jobs.size());
    co_return true;
  }

  net::awaitable<bool> open_credentials() {
    auto r = co_await crypto::open_graph_credentials(*q.vault, q.blocking, row);
    if (!r) co_return false;  // logged by crypto (never the value)
    creds = std::make_shared<const crypto::graph_credentials>(std::move(*r));
    creds_key = row_key;
    co_return true;
  }

  void launch(std::vector<store::messages::leased>& leased, const std::vector<std::int64_t>& pick);
  net::awaitable<void> run();
  net::awaitable<void> send_one(store::messages::leased l, std::shared_ptr<const crypto::graph_credentials> cr);
};

// Starts one send per leased job; the window forgets picked jobs that could not be leased
// (resolved or deleted meanwhile).
void dispatcher::launch(std::vector<store::messages::leased>& leased, const std::vector<std::int64_t>& pick) {
  for (auto& l : leased) {
    window.started(l.seq);
    q.in_flight.fetch_add(1);
    core::spawn(sh.ctx, send_one(std::move(l), creds), queue_crashed);
  }
  // Both lists hold at most queue.max_in_flight jobs: a linear search beats a hash set here.
  for (auto seq : pick)
    if (std::none_of(leased.begin(), leased.end(), [seq](const store::messages::leased& l) { return l.seq == seq; }))
      window.not_leased(seq);
}

net::awaitable<void> dispatcher::run() {
  // Every local lives outside the loop (GCC 12 coroutine rule, docs/engineering-notes.md).
  auto self = shared_from_this();
  std::vector<std::int64_t> pick;
  std::vector<store::messages::leased> leased;
  const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(q.cfg.queue.sweep_interval * 4);
  bool gone = false;
  bool ok = true;
  core::error_code ec;
  instant at;
  std::optional<std::int64_t> due_in;
  std::string owner;
  auto lease_fn = [&](store::connection& c) -> core::error_code {
    // Broadcasts (issue 21): give up what expired and skip opted-out recipients before leasing
    // (neither reaches Meta), and mark a broadcast started with its first lease.
    if (auto e = store::broadcasts::settle(c, owner, instance_id, pick, at.wall, broadcasts::opted_out,
                                           store::broadcasts::progress_every_ms))
      return e;
    if (auto e = store::messages::lease(c, instance_id, pick, q.run_id, at.wall, window.lease_expiry(at.wall), leased))
      return e;
    for (std::size_t i = 0; i < leased.size(); ++i) {
      const auto& b = leased[i].broadcast_id;
      if (b.empty() || (i > 0 && leased[i - 1].broadcast_id == b)) continue;
      if (auto e = store::broadcasts::after(c, owner, b, true, at.wall, 0)) return e;
    }
    return {};
  };
  while (!stopping && !gone) {
    // 1. Load what the database holds when the window asks, and read the instance row again
    //    once any instance changed (status, throughput, token).
    if (window.wants_load(row_generation != store::instances::generation())) {
      ok = co_await refresh();
      if (!ok) {
        gone = true;
        continue;
      }
    }
    if (window.idle()) {
      co_await sleep(idle);  // the sweep or a notify wakes us
      continue;
    }
    if (!creds) {
      ok = co_await open_credentials();
      if (!ok) {
        co_await sleep(q.cfg.queue.sweep_interval);
        continue;
      }
    }

    // 2. Pick.
    pick.clear();
    at = clock_now();
    due_in = window.pick(at, pick);

    // 3. Lease in SQLite before calling Meta (bodies come back in the same write).
    if (!pick.empty()) {
      leased.clear();
      owner = user_id;
      ec = co_await q.db.write(lease_fn);
      if (ec) {
        core::log::warn("outbound.queue_lease_failed", {{"instance", instance_id}, {"reason", ec.message()}});
        co_await sleep(std::chrono::milliseconds(1000));
        continue;
      }
      launch(leased, pick);
      continue;
    }

    // 4. Wait for the next due time, token or completion (a notify wakes us earlier).
    co_await sleep(due_in ? std::min(idle, std::chrono::milliseconds(*due_in)) : idle);
  }
  running = false;
  if (gone) {
    // The instance was deleted: its jobs went with it (ON DELETE CASCADE).
    core::log::info("outbound.queue_instance_gone", {{"instance", instance_id}});
    sh.dispatchers.erase(instance_id);
  }
}

namespace {

// The message log's record of a judged attempt (store/messages.hpp `outcome`).
store::messages::outcome to_outcome(const answer& a, std::int64_t now) {
  store::messages::outcome o;
  if (a.accepted) {
    o.what = store::messages::outcome::kind::sent;
    o.wamid = a.wamid;
    return o;
  }
  const auto& v = a.v;
  o.error_code = v.code;
  o.error_title = a.error_title;
  switch (v.what) {
    case verdict::kind::failed:
      o.what = store::messages::outcome::kind::failed;
      break;
    case verdict::kind::dead:
      o.what = store::messages::outcome::kind::dead;
      break;
    case verdict::kind::sent:  // not produced for a failure
    case verdict::kind::retry:
    case verdict::kind::reauth:
      o.what = store::messages::outcome::kind::retry;
      o.next_attempt_at = now + v.delay.count();
      o.undo_attempt = !v.counts;
      o.possible_duplicate = v.possible_duplicate;
      break;
  }
  return o;
}

}  // namespace

net::awaitable<void> dispatcher::send_one(store::messages::leased l,
                                          std::shared_ptr<const crypto::graph_credentials> cr) {
  auto self = shared_from_this();
  const auto seq = l.seq;
  const std::string message_id = l.id;
  const std::string broadcast_id = l.broadcast_id;
  const bool tagged = l.callback_tagged;
  auto req = meta::send_message(q.meta->version(), cr->phone_number_id,
                                tagged ? meta::with_callback_tag(std::move(l.body), message_id) : std::move(l.body));
  const auto t0 = steady::now();
  auto res = co_await q.meta->send(std::move(req), cr->access_token);
  q.stats.observe(steady::now() - t0);

  // Judge the attempt.
  const auto at = clock_now();
  const auto now = at.wall;
  const auto a = judge_answer(res, l.attempts, window.pair_repeats(seq), q.policy, sh.unit());
  const auto& v = a.v;
  const store::messages::outcome o = to_outcome(a, now);
  const std::string& wa_id = a.wa_id;
  const unsigned http_status = a.http_status;
  bool first_reauth = false;
  if (!a.accepted) {
    first_reauth = window.judged(seq, v, at);
    if (v.what == verdict::kind::reauth) creds.reset();
    q.stats.failure(v.code);
    core::log::info("outbound.send_attempt_failed",
                    {{"instance", instance_id},
                     {"message", message_id},
                     {"attempt", l.attempts},
                     {"code", v.code ? std::to_string(*v.code) : std::string("transport")},
                     {"http_status", http_status},
                     {"fbtrace_id", a.fbtrace_id},
                     {"transport", res ? std::string() : res.error().message()},
                     {"verdict", static_cast<int>(v.what)}});
  }

  // Commit the outcome (and, on 190, the instance's new status) with its events.
  const std::string reason = "Meta refused the access token (error " +
                             (v.code ? std::to_string(*v.code) : std::string("190")) +
                             ") while sending: update access_token";
  // The work runs on the store writer while this reactor may run refresh(), which reassigns
  // the dispatcher's user_id: the lambda reads a copy in this frame, never the member
  // (ThreadSanitizer found the race).
  const std::string owner = user_id;
  auto fn = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::messages::resolve(c, seq, q.run_id, o, owner, instance_id, now)) return ec;
    // A broadcast's progress and end (store/broadcasts.hpp), in the outcome's own write.
    if (!broadcast_id.empty() && o.what != store::messages::outcome::kind::retry)
      if (auto ec = store::broadcasts::after(c, owner, broadcast_id, false, now, store::broadcasts::progress_every_ms))
        return ec;
    // Statuses Meta posted before this commit wait in pending_statuses (store/inbound.hpp).
    if (o.what == store::messages::outcome::kind::sent)
      if (auto ec = store::inbound::apply_pending(c, instance_id, o.wamid, tagged ? message_id : std::string(),
                                                  meta::status_advances, now))
        return ec;
    if (!first_reauth) return {};
    bool moved = false;  // with its instance.status event (instances/status.hpp)
    return instances::set_status(c, instance_id, "needs_reauth", reason, now, moved);
  };
  auto ec = co_await q.db.write(fn);
  // A commit that failed for want of space or I/O is retried with the same outcome while the
  // job stays in flight: leasing it again would send the message to Meta a second time without
  // the possible_duplicate flag. Bounded by the queue stopping: the lease then stays in the
  // database, and the next start resends the message flagged. (Any other error is a bug that
  // retrying cannot cure: handled below as before.)
  auto retryable = [](core::error_code e) {
    return e == store::error::full || e == store::error::io || e == store::error::busy;
  };
  if (retryable(ec)) {
    // Only here: a timer per send would cost every message a timer-queue registration.
    core::log::warn("outbound.queue_outcome_retrying",
                    {{"instance", instance_id}, {"message", message_id}, {"reason", ec.message()}});
    net::steady_timer pause(sh.ctx);
    std::tuple<boost::system::error_code> waited;  // outside the loop (GCC 12 coroutine rule)
    while (retryable(ec) && !stopping) {
      pause.expires_after(outcome_retry_every);
      waited = co_await pause.async_wait(tuple_awaitable);
      ec = co_await q.db.write(fn);
    }
  }

  // Bring memory in line with what committed.
  q.in_flight.fetch_sub(1);
  if (ec == store::error::not_found) {
    window.gone(seq);  // instance deleted, or the job is not ours any more
  } else if (ec) {
    // Our lease stays in the database; lease() accepts our own lease again later.
    core::log::error("outbound.queue_commit_failed",
                     {{"instance", instance_id}, {"message", message_id}, {"reason", ec.message()}});
    window.commit_failed(seq, first_reauth, now);
  } else if (o.what == store::messages::outcome::kind::retry) {
    q.stats.retried.fetch_add(1, std::memory_order_relaxed);
    if (v.what == verdict::kind::reauth) q.stats.reauth.fetch_add(1, std::memory_order_relaxed);
    window.retry_at(seq, o.next_attempt_at);
    if (first_reauth)
      core::log::warn("outbound.queue_paused_needs_reauth", {{"instance", instance_id}, {"message", message_id}});
  } else {
    window.resolved(seq, o.what == store::messages::outcome::kind::sent);
    send_outcome out;
    if (o.what == store::messages::outcome::kind::sent) {
      q.stats.sent.fetch_add(1, std::memory_order_relaxed);
      out.what = send_outcome::kind::sent;
      out.wamid = o.wamid;
      out.wa_id = wa_id;
    } else {
      (o.what == store::messages::outcome::kind::failed ? q.stats.failed : q.stats.dead)
          .fetch_add(1, std::memory_order_relaxed);
      out.what =
          o.what == store::messages::outcome::kind::failed ? send_outcome::kind::failed : send_outcome::kind::dead;
      out.error_code = o.error_code;
      out.error_title = o.error_title;
      out.http_status = http_status;
    }
    q.deliver(message_id, out);
  }
  wake();
}

// ---- queue::impl -----------------------------------------------------------------------

unsigned send_rate(const config::queue_settings& q, std::string_view level) noexcept {
  return level == "HIGH" ? q.rate_high_throughput : q.rate_per_instance;
}

void queue::impl::notify(std::string_view instance_id, std::int64_t seq, std::string_view peer) {
  if (stopping.load()) return;  // the job is in the database; the next start sends it
  const auto idx = owner(instance_id);
  net::post(shards[idx]->ctx,
            [self = shared_from_this(), idx, id = std::string(instance_id), seq, peer = std::string(peer)]() mutable {
              if (self->stopping.load()) return;
              auto& sh = *self->shards[idx];
              auto& d = sh.dispatchers[id];
              if (!d) d = std::make_shared<dispatcher>(*self, sh, id);
              d->offer(seq, std::move(peer));
              if (!d->running) {
                d->running = true;
                core::spawn(sh.ctx, d->run(), queue_crashed);
              }
            });
}

void queue::impl::deliver(const std::string& message_id, const send_outcome& o) {
  // Posting under the lock: a waiter removes itself under the same lock before it returns,
  // so its executor is still alive here (ASan found a post racing a waiter that had gone).
  std::lock_guard lock(waiters_mu);
  auto [b, e] = waiters.equal_range(message_id);
  for (auto it = b; it != e; ++it)
    net::post(it->second.ex, [wk = it->second.w, o] {
      if (auto w = wk.lock()) {
        if (!w->result) w->result = o;
        w->timer.cancel();
      }
    });
}

// The safety net: finds instances with due jobs nobody announced, and purges old
// idempotency answers. Runs on reactor 0; the first pass right away (jobs of an earlier run).
net::awaitable<void> queue::impl::sweep() {
  auto self = shared_from_this();
  std::vector<std::string> ids;
  std::int64_t now = 0;
  std::int64_t last_purge = 0;
  std::size_t deleted = 0;
  bool first = true;
  core::error_code ec;
  auto due_fn = [&](store::connection& c) { return store::messages::instances_with_due_jobs(c, now, 100'000, ids); };
  auto purge_fn = [&](store::connection& c) {
    return store::messages::idempotency_purge(c, now / 1000 - cfg.queue.idempotency_retention_s, 5000, deleted);
  };
  while (!stopping.load()) {
    if (!first) {
      sweep_timer->expires_after(cfg.queue.sweep_interval);
      auto r = co_await sweep_timer->async_wait(tuple_awaitable);
      (void)r;
      if (stopping.load()) break;
    }
    first = false;
    ids.clear();
    now = core::wall_ms();
    ec = co_await db.read(due_fn);
    if (ec) core::log::warn("outbound.queue_sweep_failed", {{"reason", ec.message()}});
    for (const auto& id : ids) notify(id, 0, {});
    if (now - last_purge >= 60'000) {
      last_purge = now;
      ec = co_await db.write(purge_fn);
      if (ec) core::log::warn("outbound.idempotency_purge_failed", {{"reason", ec.message()}});
    }
  }
}

// ---- queue -----------------------------------------------------------------------------

queue::queue(const config::settings& cfg, store::store& db, core::io_context_pool& reactors, net::thread_pool& blocking,
             std::shared_ptr<crypto::vault_source> vault, std::shared_ptr<const meta::client> meta)
    : impl_(std::make_shared<impl>(cfg, db, reactors, blocking, std::move(vault), std::move(meta))) {}

queue::~queue() {
  // Reactors are stopped: drop dispatchers (their timers) while the contexts still exist.
  for (auto& sh : impl_->shards) sh->dispatchers.clear();
  impl_->sweep_timer.reset();
}

core::error_code queue::recover() {
  std::size_t released = 0;
  const auto owner = impl_->run_id;
  const auto now = core::wall_ms();
  auto ec = impl_->db.write_sync(
      [&](store::connection& c) { return store::messages::release_leases(c, owner, now, released); });
  if (ec) return ec;
  impl_->stats.released.fetch_add(released);
  if (released > 0)
    core::log::warn(
        "outbound.queue_recovered_leases",
        {{"jobs", released}, {"note", "sent again, flagged possible_duplicate: they may have reached Meta"}});
  return {};
}

void queue::start() {
  auto& ctx = impl_->shards[0]->ctx;
  impl_->sweep_timer = std::make_unique<net::steady_timer>(ctx);
  core::spawn(ctx, impl_->sweep(), queue_crashed);
}

void queue::stop(std::chrono::milliseconds deadline) {
  impl_->stopping.store(true);
  for (auto& sh : impl_->shards)
    net::post(sh->ctx, [s = sh.get(), self = impl_] {
      for (auto& [id, d] : s->dispatchers) {
        d->stopping = true;
        d->wake();
      }
      if (s == self->shards[0].get() && self->sweep_timer) self->sweep_timer->cancel();
    });
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (impl_->in_flight.load() > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (auto left = impl_->in_flight.load(); left > 0)
    core::log::warn("outbound.queue_stopped_with_sends_in_flight",
                    {{"sends", left}, {"note", "resent after restart, flagged possible_duplicate"}});
}

void queue::notify(std::string_view instance_id, std::int64_t seq, std::string_view peer) {
  impl_->notify(instance_id, seq, peer);
}

net::awaitable<std::optional<send_outcome>> queue::wait_for_outcome(std::string message_id,
                                                                    std::chrono::milliseconds timeout) {
  auto self = impl_;
  auto ex = co_await net::this_coro::executor;
  auto w = std::make_shared<waiter>(ex);
  {
    std::lock_guard lock(self->waiters_mu);
    self->waiters.emplace(message_id, impl::waiter_ref{ex, w});
  }
  // An outcome committed before we registered is in the log.
  store::messages::message m;
  bool found = false;
  auto fn = [&](store::connection& c) -> core::error_code {
    auto ec = store::messages::get_by_id(c, message_id, m);
    if (ec == store::error::not_found) return {};
    found = !ec;
    return ec;
  };
  auto ec = co_await self->db.read(fn);
  if (!ec && found && !w->result) {
    if (m.status == "sent" || m.status == "delivered" || m.status == "read") {
      send_outcome o;
      o.wamid = m.wamid.value_or("");
      w->result = o;
    } else if (m.status == "failed" || m.status == "dead") {
      send_outcome o;
      o.what = m.status == "failed" ? send_outcome::kind::failed : send_outcome::kind::dead;
      o.error_code = m.error_code;
      o.error_title = m.error_title.value_or("");
      w->result = o;
    }
  }
  if (!w->result) {
    w->timer.expires_after(timeout);
    auto r = co_await w->timer.async_wait(tuple_awaitable);
    (void)r;
  }
  {
    std::lock_guard lock(self->waiters_mu);
    auto [b, e] = self->waiters.equal_range(message_id);
    for (auto it = b; it != e; ++it)
      if (it->second.w.lock() == w) {
        self->waiters.erase(it);
        break;
      }
  }
  co_return w->result;
}

net::awaitable<void> queue::render_metrics(std::string& out) {
  prometheus_text p(out);
  impl_->stats.render(p);
  // Connections opened against calls that reused one: a high ratio under steady load means
  // the idle pool ([meta] max_idle_connections) is below the sends in flight.
  const auto pool = impl_->meta->stats();
  p.counter("enfinito_meta_connections_opened_total", "Graph API connections opened (TCP, and TLS in production).",
            pool.connections_opened);
  p.counter("enfinito_meta_connections_reused_total", "Graph API calls made on a kept-alive connection.",
            pool.calls_on_reused_connection);
  p.gauge("enfinito_queue_sends_in_flight", "Graph API send calls in flight.", impl_->in_flight.load());
  std::vector<std::pair<std::string, std::int64_t>> depth;
  auto fn = [&](store::connection& c) { return store::messages::depth_by_instance(c, depth); };
  auto ec = co_await impl_->db.read(fn);
  p.family("enfinito_queue_depth", "gauge", "Unresolved outbound messages per instance.");
  if (!ec)
    for (const auto& [id, n] : depth) p.sample("enfinito_queue_depth", {{"instance", id}}, std::to_string(n));
}

const std::string& queue::run_id() const noexcept { return impl_->run_id; }

}  // namespace enfinito::outbound
