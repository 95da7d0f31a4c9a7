// app::housekeeping: the periodic sweep loop, the account tables' sweeps and retention (P9).
#include <enfinito/app/housekeeping.hpp>

#include <enfinito/accounts/retention.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/audit.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/media.hpp>
#include <enfinito/store/google.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace enfinito::app {
namespace {

net::awaitable<void> sweep_loop(store::store& db, std::chrono::milliseconds interval, std::vector<sweep_task> tasks,
                                std::size_t batch) {
  net::steady_timer timer(co_await net::this_coro::executor);
  std::size_t removed = 0;
  std::int64_t now = 0;
  const sweep_task* current = nullptr;
  // The work function reads `current`, `now` and `removed` from this frame (pointers only:
  // docs/engineering-notes.md, GCC 12).
  auto work = [&current, &now, &batch, &removed](store::connection& c) { return current->run(c, now, batch, removed); };
  for (;;) {
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    for (const auto& t : tasks) {
      current = &t;
      now = core::wall_ms();
      std::size_t total = 0;
      core::error_code wec;
      // Batches until one comes back short (no co_return inside the loop: GCC 12).
      do {
        removed = 0;
        wec = co_await db.write(work);
        total += removed;
      } while (!wec && removed == batch);
      if (wec)
        core::log::warn("app.housekeeping_failed", {{"task", t.name}, {"error", wec.message()}});
      else if (total)
        core::log::info("app.housekeeping", {{"task", t.name}, {"removed", total}});
    }
  }
}

}  // namespace

std::vector<sweep_task> account_sweeps(std::int64_t session_idle_timeout_s) {
  namespace acc = store::accounts;
  std::vector<sweep_task> out;
  out.push_back({"sessions", [session_idle_timeout_s](store::connection& c, std::int64_t now, std::size_t batch,
                                                      std::size_t& removed) {
                   return acc::purge_sessions(c, now / 1000, session_idle_timeout_s, batch, removed);
                 }});
  out.push_back(
      {"password_resets", [](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
         return acc::purge_password_resets(c, now / 1000, batch, removed);
       }});
  out.push_back({"google_flows", [](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
                   return store::google::purge_flows(c, now / 1000, batch, removed);
                 }});
  return out;
}

std::vector<sweep_task> retention_sweeps(const config::retention_settings& r) {
  std::vector<sweep_task> out;
  const std::int64_t messages = r.messages.count(), events = r.events.count(), pending = r.pending_statuses.count();
  out.push_back({"retention.messages",
                 [messages](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
                   return store::inbound::purge_messages(c, now - messages, batch, removed);
                 }});
  out.push_back(
      {"retention.events", [events](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
         return store::events::purge(c, now - events, batch, removed);
       }});
  out.push_back({"retention.update_receipts",
                 [events](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
                   return store::inbound::purge_receipts(c, now - events, batch, removed);
                 }});
  out.push_back({"retention.pending_statuses",
                 [pending](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
                   return store::inbound::purge_pending(c, now - pending, batch, removed);
                 }});
  // Customer webhooks out: finished delivery log rows and Meta payloads, as old as events.
  out.push_back({"retention.webhook_deliveries",
                 [events](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
                   return store::hooks::purge(c, now - events, batch, removed);
                 }});
  // Inbound media kept by Enfinito (media_fetch): the rows go here, their files by the
  // fetcher's trash (inbound/media_fetcher.cpp).
  const std::int64_t media = r.inbound_media.count();
  out.push_back({"retention.inbound_media",
                 [media](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
                   return store::media::purge(c, now - media, batch, removed);
                 }});
  // The audit log: `created_at` is in seconds.
  const std::int64_t audit = r.audit.count();
  out.push_back(
      {"retention.audit", [audit](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
         return store::audit::purge(c, (now - audit) / 1000, batch, removed);
       }});
  // Sign-ups never approved or rejected: "kept while the account is active" (accounts/retention.hpp).
  const std::int64_t rejected_s = r.rejected_accounts.count() / 1000;
  out.push_back({"retention.unapproved_accounts",
                 [rejected_s](store::connection& c, std::int64_t now, std::size_t batch, std::size_t& removed) {
                   return accounts::purge_unapproved(c, now / 1000, rejected_s, batch, removed);
                 }});
  return out;
}

void start_housekeeping(store::store& db, executor ex, std::chrono::milliseconds interval,
                        std::vector<sweep_task> tasks, std::size_t batch) {
  core::spawn(ex, sweep_loop(db, interval, std::move(tasks), batch),
              core::on_exception::terminate("app.housekeeping_crashed"));
}

}  // namespace enfinito::app
