#pragma once
/**
 * @file inbound::mapping: Meta's updates (meta/webhook.hpp) become the rows one store write
 * commits. Pure: no I/O, no clock; everything is prepared before the store write, which then
 * only runs SQL.
 *
 * Routing. An update belongs to the instance when it names the instance's phone number id
 * (`messages`, and any field that names a number), else when it names its WABA. Others are
 * counted as misrouted and dropped: one Meta app serves every number of the WABAs subscribed
 * to it, so a payload signed with this instance's App Secret may carry another number's
 * updates, and those are never stored under this instance. A batch with misrouted updates
 * gets one `webhook.misrouted` event for the instance's owner (who owns that Meta app).
 *
 * What each kind becomes:
 *  - message: an inbound row (`msg_` + a time-ordered token; the store keeps it once per wamid);
 *  - status: a status change of an outbound message (the store never moves it backwards);
 *  - error (value-level `errors[]`): a `meta.error` event, not deduplicated (no id, no time);
 *  - other field: an event named by `field_event_type`, emitted once per instance and
 *    `update_digest` (Meta redelivers the same bytes); a THROUGHPUT_UPGRADE naming the
 *    instance's number also raises its throughput to HIGH, and any phone_number_quality_update
 *    naming it with a `current_limit` sets its messaging limit tier; a template status, quality or
 *    category update also changes the local template copy (templates/updates.hpp).
 */
#include <enfinito/inbound/credentials.hpp>
#include <enfinito/meta/webhook.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/templates.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::inbound {

/** Everything one POST will write. */
struct batch {
  store::inbound::owner owner;
  std::vector<store::inbound::message> messages;
  std::vector<store::inbound::status> statuses;
  struct event {
    std::string type;
    std::string data;    // JSON
    std::string digest;  // non-empty: emitted once per instance (redeliveries are ignored)
  };
  std::vector<event> events;
  std::size_t misrouted = 0;                               // updates of another number or WABA, dropped
  std::string throughput_level;                            // non-empty: Meta raised this number's throughput to it
  std::string messaging_limit_tier;                        // non-empty: Meta's current messaging limit of this number
  std::string messaging_limit_event;                       // the update's `event` (UPGRADE, DOWNGRADE, ...) with it
  std::vector<store::templates::update> template_updates;  // changes of the local template copy
};

/** Maps `n`'s updates (moved from) to the rows of instance `who`. */
batch map_updates(meta::notification& n, const identity& who);

/** The event type of a non-`messages` field: a stable name for known ones, else `meta.<field>`
    (validated: it becomes part of a type customers filter on), else `meta.unknown`. */
std::string field_event_type(std::string_view field);

/** What identifies an update that has no id (field, entry time, WABA, value); empty without an
    entry time, since nothing then tells a redelivery from a new, identical update. */
std::string update_digest(const meta::update& u);

/** Is `u` Meta's automatic upgrade to higher throughput [D-TP] for `who`'s number? */
bool throughput_upgrade_for(const meta::update& u, const identity& who);

/**
 * The messaging limit tier (`current_limit`, e.g. TIER_1K) a phone_number_quality_update
 * naming `who`'s number carries [D-ML], with the update's `event`; an empty tier when it is
 * another number's, has none, or the value does not look like a tier name (TIER_ and capitals,
 * digits, underscores, at most 32 bytes).
 */
struct limit_update {
  std::string tier, event;
};
limit_update messaging_limit_for(const meta::update& u, const identity& who);

}  // namespace enfinito::inbound
