// The retention job (privacy promise P9: "message logs older than a configured retention are
// purged"). Every `retention.interval_ms` it deletes messages older than
// `retention.messages_days` (either direction; rows still queued for sending are not history
// yet and stay), events and update receipts older than `retention.events_days`, and status
// webhooks whose message never became known after `retention.pending_statuses_hours`.
// Deletion goes through ordinary store writes of at most `retention.batch_rows` rows each, so
// a large backlog never holds the writer for long and sends and webhooks keep flowing between
// batches. `secure_delete` (store pragmas) overwrites the freed pages.
#include "app/retention.hpp"

#include <enfinito/core/log.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/inbound.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>

namespace enfinito::app {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

enum class what { messages, events, receipts, pending };

// Deletes one batch of `w` older than `before`; returns the rows deleted, or an error.
net::awaitable<core::result<std::size_t>> purge_batch(store::store& db, what w, std::int64_t before,
                                                      std::size_t limit) {
  std::size_t deleted = 0;
  auto fn = [&](store::connection& c) -> core::error_code {
    switch (w) {
      case what::messages: return store::inbound::purge_messages(c, before, limit, deleted);
      case what::events: return store::events::purge(c, before, limit, deleted);
      case what::receipts: return store::inbound::purge_receipts(c, before, limit, deleted);
      case what::pending: return store::inbound::purge_pending(c, before, limit, deleted);
    }
    return {};
  };
  auto ec = co_await db.write(fn);
  if (ec) co_return ec;
  co_return deleted;
}

// Batches until one comes back short. No co_return inside the loop (GCC 12).
net::awaitable<core::result<std::size_t>> purge_all(store::store& db, what w, std::int64_t before,
                                                    std::size_t limit) {
  std::size_t total = 0;
  core::error_code failure;
  bool more = true;
  core::result<std::size_t> r = std::size_t{0};
  while (more) {
    r = co_await purge_batch(db, w, before, limit);
    if (!r) {
      failure = r.error();
      more = false;
    } else {
      total += *r;
      more = *r == limit;
    }
  }
  if (failure) co_return failure;
  co_return total;
}

net::awaitable<void> retention_loop(const config::settings& cfg, store::store& db) {
  net::steady_timer timer(co_await net::this_coro::executor);
  bool running = true;
  while (running) {
    timer.expires_after(cfg.retention.interval);
    auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) {
      running = false;
    } else {
      auto pass = co_await run_retention_once(cfg.retention, db);
      if (pass.failed || pass.messages || pass.events || pass.pending_statuses)
        core::log::info("retention_pass", {{"messages", pass.messages}, {"events", pass.events},
                                           {"pending_statuses", pass.pending_statuses},
                                           {"failed", pass.failed}});
    }
  }
}

}  // namespace

net::awaitable<retention_pass> run_retention_once(const config::retention_settings& r, store::store& db) {
  retention_pass pass;
  const auto now = now_ms();
  const auto limit = r.batch_rows;
  auto m = co_await purge_all(db, what::messages, now - r.messages.count(), limit);
  auto e = co_await purge_all(db, what::events, now - r.events.count(), limit);
  auto u = co_await purge_all(db, what::receipts, now - r.events.count(), limit);
  auto p = co_await purge_all(db, what::pending, now - r.pending_statuses.count(), limit);
  pass.failed = !m || !e || !u || !p;
  if (m) pass.messages = *m;
  if (e) pass.events = *e;
  if (p) pass.pending_statuses = *p;
  if (pass.failed) core::log::warn("retention_failed", {{"reason", "a store write failed; next pass retries"}});
  co_return pass;
}

void start_retention(const config::settings& cfg, store::store& db, executor ex) {
  net::co_spawn(ex, retention_loop(cfg, db), [](std::exception_ptr e) {
    if (e) {
      core::log::error("retention_failed", {{"reason", "exception"}});
      std::terminate();
    }
  });
}

}  // namespace enfinito::app
