// instances::watch: the periodic pass that flushes webhook times, flags silent webhooks and
// mails owners (include/enfinito/instances/watch.hpp).
#include <enfinito/instances/watch.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/instances/owner_alerts.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/instance_health.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::instances {
namespace {

namespace json = boost::json;

std::optional<std::int64_t> newest(std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

bool turned_off(const std::string& alerts_off, std::string_view cause) {
  boost::system::error_code ec;
  auto v = json::parse(alerts_off, ec);
  if (ec || !v.is_array()) return false;
  for (const auto& c : v.get_array())
    if (c.is_string() && c.get_string() == cause) return true;
  return false;
}

bool cause_active(std::string_view cause, const store::instance_health::watch_row& w, std::int64_t now_ms,
                  std::int64_t warn_before_s) {
  if (cause == "needs_reauth") return w.status == "needs_reauth";
  if (cause == "webhooks_silent") return w.health.webhooks_silent;
  if (cause == "endpoint_paused") return w.endpoint_paused;
  const auto& exp = w.health.token_expires_at;  // token_expiring
  return exp && *exp > 0 && *exp - now_ms / 1000 <= warn_before_s;
}

struct pass_counts {
  std::size_t flushed = 0, silenced = 0, recovered = 0, mailed = 0, forgotten = 0;
};

// Step 2 for one instance: the flag and its event.
core::error_code update_silence(store::connection& c, store::instance_health::watch_row& w,
                                const webhook_activity& activity, const watch_options& o, std::int64_t now,
                                pass_counts& n) {
  const auto mem = activity.get(w.instance_id);
  silence_input in;
  in.flagged = w.health.webhooks_silent;
  in.silent_since = w.health.silent_since;
  in.waiting_since = mem.waiting_since;
  in.last_status_at = newest(w.health.last_status_at, mem.status_at);
  in.now = now;
  in.silent_after = o.silent_after_ms;
  const auto change = decide_silence(in);
  if (change == silence_change::none) return {};
  const bool silent = change == silence_change::became_silent;
  const auto since = silent ? mem.waiting_since : std::nullopt;
  if (auto ec = store::instance_health::set_silent(c, w.instance_id, silent, since)) return ec;
  w.health.webhooks_silent = silent;
  const auto last = newest(w.health.last_webhook_at, mem.webhook_at);
  store::events::event e;
  e.user_id = w.user_id;
  e.instance_id = w.instance_id;
  e.type = "instance.webhooks_silent";
  e.data = json::serialize(json::object{{"instance_id", w.instance_id},
                                        {"silent", silent},
                                        {"since", since ? json::value(*since) : json::value(nullptr)},
                                        {"last_webhook_at", last ? json::value(*last) : json::value(nullptr)}});
  e.created_at = now;
  if (auto ec = store::events::append(c, e)) return ec;
  ++(silent ? n.silenced : n.recovered);
  return {};
}

// Step 3 for one instance: each cause's bookkeeping, and its mail when one is due.
core::error_code update_alerts(store::connection& c, const store::instance_health::watch_row& w,
                               const crypto::vault* vault, const watch_options& o, std::int64_t now, pass_counts& n) {
  for (const auto cause : alert_causes) {
    const bool active = cause_active(cause, w, now, o.warn_before_s);
    store::instance_health::alert_state prev_row;
    if (auto ec = store::instance_health::get_alert(c, w.instance_id, cause, prev_row)) return ec;
    const alert_state prev{prev_row.active_since, prev_row.last_mailed_at};
    const bool enabled = o.alerts && vault && !turned_off(w.health.alerts_off, cause);
    const auto step = decide_alert(active, enabled, prev, now);
    if (step.mail) {
      auto user = store::accounts::find_user_by_id(c, w.user_id);
      if (!user) return user.error();
      if (*user && !(*user)->email.empty()) {
        const auto text = alert_mail(cause, w.instance_name, w.instance_id, o.public_url);
        const mail::message m{w.user_id, (*user)->email, text.subject, text.body};
        if (auto ec = mail::enqueue(c, m, *vault)) return ec;
        ++n.mailed;
        core::log::info("instances.owner_alert_mailed",
                        {{"instance", w.instance_id}, {"user", w.user_id}, {"cause", cause}});
      }
    }
    if (step.next == prev) continue;
    if (auto ec = store::instance_health::put_alert(c, w.instance_id, cause,
                                                    {step.next.active_since, step.next.last_mailed_at}))
      return ec;
  }
  return {};
}

core::error_code pass(store::connection& c, const std::vector<std::pair<std::string, webhook_activity::entry>>& dirty,
                      webhook_activity& activity, const crypto::vault* vault, const watch_options& o, std::int64_t now,
                      pass_counts& n) {
  for (const auto& [id, e] : dirty) {
    if (auto ec = store::instance_health::touch(c, id, e.webhook_at, e.status_at)) return ec;
    ++n.flushed;
  }
  // Step 1b: the memory of deleted instances goes (any deletion path: route, user, enfinitoctl).
  // Writes are serial, so an instance created after this read is noted only after this pass.
  std::vector<std::string> live;
  if (auto ec = store::instance_health::instance_ids(c, live)) return ec;
  n.forgotten += activity.forget_all_but(live);
  std::vector<store::instance_health::watch_row> rows;
  if (auto ec = store::instance_health::list_watch(c, rows)) return ec;
  for (auto& w : rows) {
    if (auto ec = update_silence(c, w, activity, o, now, n)) return ec;
    if (auto ec = update_alerts(c, w, vault, o, now, n)) return ec;
  }
  return {};
}

net::awaitable<void> watch_loop(store::store& db, std::shared_ptr<crypto::vault_source> vault,
                                net::thread_pool& blocking, std::shared_ptr<webhook_activity> activity,
                                watch_options o) {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    timer.expires_after(o.interval);
    auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    auto wec = co_await watch_once(db, *vault, blocking, *activity, o, core::wall_ms());
    if (wec) core::log::warn("instances.watch_failed", {{"error", wec.message()}});
  }
}

}  // namespace

void follow_sends(store::change_stream& changes, std::shared_ptr<webhook_activity> activity) {
  changes.subscribe([activity](const store::change_set& committed) {
    for (const auto& e : committed.events)
      if (e.type == "message.sent" && !e.instance_id.empty()) activity->note_sent(e.instance_id, e.created_at);
  });
}

net::awaitable<core::error_code> watch_once(store::store& db, crypto::vault_source& vault, net::thread_pool& blocking,
                                            webhook_activity& activity, const watch_options& o, std::int64_t now_ms) {
  std::shared_ptr<const crypto::vault> sealing;
  if (o.alerts) sealing = co_await crypto::fresh_vault(vault, blocking);
  const auto dirty = activity.take_dirty();
  pass_counts n;
  const crypto::vault* v = sealing.get();
  const auto* dirty_p = &dirty;
  auto* act = &activity;
  const auto* opts = &o;
  auto* counts = &n;
  auto work = [dirty_p, act, v, opts, now_ms, counts](store::connection& c) {
    *counts = {};
    return pass(c, *dirty_p, *act, v, *opts, now_ms, *counts);
  };
  auto ec = co_await db.write(work);
  if (!ec && (n.silenced || n.recovered || n.mailed || n.forgotten))
    core::log::info("instances.watch", {{"flushed", n.flushed},
                                        {"silenced", n.silenced},
                                        {"recovered", n.recovered},
                                        {"mailed", n.mailed},
                                        {"forgotten", n.forgotten}});
  co_return ec;
}

void start_watch(store::store& db, std::shared_ptr<crypto::vault_source> vault, net::thread_pool& blocking,
                 std::shared_ptr<webhook_activity> activity, watch_options o, executor ex) {
  core::spawn(ex, watch_loop(db, std::move(vault), blocking, std::move(activity), std::move(o)),
              core::on_exception::terminate("instances.watch_crashed"));
}

}  // namespace enfinito::instances
