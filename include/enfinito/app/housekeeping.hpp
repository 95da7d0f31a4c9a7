#pragma once
/**
 * @file app::housekeeping: the periodic sweep of rows whose time is up — expired or idle
 * sessions, expired password-reset tokens, abandoned Google sign-in flows (and, as modules
 * register them, old idempotency keys, events and message logs past their retention).
 *
 * Why a sweep and not only checks at use: an expired session is already refused when it is
 * presented, but its row (hashed token, client address) would otherwise stay in the database
 * for as long as nobody signs in again. Data is kept only while it serves a purpose (P9).
 *
 * Each tick runs every task in store writes of at most `batch` rows each, repeating a task
 * until a write comes back short: a large backlog is drained in short transactions, so sends
 * and webhooks keep flowing between them. `secure_delete` overwrites the freed pages.
 *
 * Two schedules use it: the account sweeps (`store.housekeeping_interval_ms`) and the
 * retention job of privacy promise P9 (`retention.*`: message logs, events, update receipts
 * and status webhooks whose message never became known, each past its configured age).
 *
 * *Thread safety:* `start` is called once, from the app; the loop runs on the given executor.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/connection.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::app {

struct sweep_task {
  std::string name;  // for the log line
  /** Removes at most `batch` rows due at `now_ms`; sets `removed`. Runs on the store writer. */
  std::function<core::error_code(store::connection&, std::int64_t now_ms, std::size_t batch, std::size_t& removed)> run;
};

/** The account tables' tasks (sessions, password resets, Google flows). */
std::vector<sweep_task> account_sweeps(std::int64_t session_idle_timeout_s);

/**
 * Retention (P9): messages of either direction older than `messages` (rows still queued for
 * sending are not history yet and stay), events and update receipts older than `events`,
 * pending statuses older than `pending_statuses`, kept inbound media older than
 * `inbound_media` (their files follow through the media trash, inbound/media_fetcher.hpp),
 * sign-ups never approved or rejected older than `rejected_accounts` (accounts/retention.hpp).
 */
std::vector<sweep_task> retention_sweeps(const config::retention_settings& r);

/** Runs every task every `interval`, forever (until the executor stops). */
void start_housekeeping(store::store& db, executor ex, std::chrono::milliseconds interval,
                        std::vector<sweep_task> tasks, std::size_t batch = 1000);

}  // namespace enfinito::app
