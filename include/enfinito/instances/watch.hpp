#pragma once
/**
 * @file instances::watch: the periodic pass over every instance (onboarding.watch_interval_ms,
 * on reactor 0, one store write per pass, never on the send path):
 *
 *   1. flush the webhook times the inbound flow noted in memory (webhook_health.hpp) to
 *      instance_health, for all changed instances together;
 *   2. decide_silence per instance; a change sets or clears `webhooks_silent` with its
 *      `instance.webhooks_silent` event (live feed, customer webhooks);
 *   3. decide_alert per cause and instance (owner_alerts.hpp); a mail due is enqueued in the
 *      mail outbox in the same transaction as its bookkeeping.
 *
 * `follow_sends` feeds webhook_activity with the send path's `message.sent` events from the
 * store's change stream, so the send path itself is untouched.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/instances/webhook_health.hpp>

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace enfinito::store {
class store;
class change_stream;
}  // namespace enfinito::store
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::instances {

struct watch_options {
  std::chrono::milliseconds interval{60'000};
  std::int64_t silent_after_ms = 30 * 60 * 1000;
  std::int64_t warn_before_s = 7 * 86400;
  std::string public_url;
  bool alerts = true;  // owner mails at all (each cause can still be turned off per instance)
};

/** Tells `activity` of every committed `message.sent` (call at startup, before the first write). */
void follow_sends(store::change_stream& changes, std::shared_ptr<webhook_activity> activity);

/** One pass (exposed for tests): flush, silence, alerts. `now_ms` is unix ms. */
net::awaitable<core::error_code> watch_once(store::store& db, crypto::vault_source& vault, net::thread_pool& blocking,
                                            webhook_activity& activity, const watch_options& o, std::int64_t now_ms);

/** Spawns the periodic pass on `ex`; it runs until the executor's context stops. */
void start_watch(store::store& db, std::shared_ptr<crypto::vault_source> vault, net::thread_pool& blocking,
                 std::shared_ptr<webhook_activity> activity, watch_options o, executor ex);

}  // namespace enfinito::instances
