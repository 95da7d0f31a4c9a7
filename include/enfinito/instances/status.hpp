#pragma once
/**
 * @file instances::status: the one place an instance's health changes (active, needs_reauth,
 * disabled; and Meta's messaging limit tier of its number). Every change is committed together with its `instance.status` event, so the live
 * feed and customer webhooks hear of it whichever path noticed it: the send queue (Meta
 * refused the token while sending), the template and media routes (the same refusal on a
 * relayed call), the Graph-compatible routes.
 *
 * The instance caches follow through the change stream: store::instances::set_status marks the
 * instance changed, so the commit that carries it invalidates them (store/changes.hpp).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/meta/graph.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace enfinito::store {
class connection;
class store;
}  // namespace enfinito::store

namespace enfinito::instances {

/**
 * Inside a store write: sets the instance's status and reason and appends its
 * `instance.status` event ({instance_id, status, reason}) in the same transaction. An
 * instance already in `status` is left as it is, without an event (`changed` false);
 * `not_found` when the instance is gone. `now_ms` is unix milliseconds.
 */
core::error_code set_status(store::connection& c, std::string_view instance_id, std::string_view status,
                            std::string_view reason, std::int64_t now_ms, bool& changed);

/**
 * Inside a store write: sets the number's messaging limit tier (Meta's, e.g. TIER_1K) and, when
 * it moved, appends the `instance.messaging_limit` event ({instance_id, messaging_limit_tier,
 * meta_event}) in the same transaction. The one place for both ways Meta tells the tier: its
 * `phone_number_quality_update` webhook (`meta_event` its UPGRADE, DOWNGRADE, ...) and a
 * phone-number read when the instance is verified again (`meta_event` empty: null in the
 * event). An unchanged tier writes nothing and emits nothing (`changed` false); an empty
 * `tier` (Meta did not say) is ignored.
 */
core::error_code set_messaging_limit(store::connection& c, std::string_view instance_id, std::string_view user_id,
                                     std::string_view tier, std::string_view meta_event, std::int64_t now_ms,
                                     bool& changed);

/** The owner's words for Meta refusing an instance's token (190, with its 460/463 subcodes). */
std::string reauth_reason(const meta::graph_error& e);

/**
 * Outside a store write: the instance needs a new access token because Meta refused it (`e`).
 * Commits the status and its event, moves the instance caches on, logs. Never throws.
 */
net::awaitable<core::error_code> mark_needs_reauth(store::store& db, std::string instance_id,
                                                   const meta::graph_error& e);

}  // namespace enfinito::instances
