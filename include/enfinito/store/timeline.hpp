#pragma once
/**
 * @file store::timeline: what the store holds about one message's life, for
 * `GET /v1/messages/{id}/timeline` (api/messages_routes.cpp shapes it):
 * - the message row itself (store::messages::get): the API call that created it;
 * - `message_attempts` (migration 13): every send attempt that did not end in `sent`;
 * - the events that name the message (`message.accepted`, `.sent`, `.delivered`, ...; a status
 *   event's data holds Meta's status object as it came, under `meta`);
 * - the deliveries of those events to the user's webhook endpoints.
 *
 * Events have no index by message: they are found through `events_age` from the message's
 * creation time on, for at most `max_event_scan` of the user's events after it, so a
 * timeline read is bounded however long the event log is. Tenancy: the caller passes the user
 * id of a message it read with store::messages::get (which checks the owner); events and
 * deliveries are matched by that user id too.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/events.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::timeline {

/** How many of the user's events after the message's creation are looked at. */
inline constexpr std::int64_t max_event_scan = 20000;

struct attempt {
  std::int64_t attempt = 0;
  std::string outcome;  // retry | failed | dead
  std::optional<std::int64_t> error_code;
  std::string error_title;
  std::optional<std::int64_t> next_attempt_at;
  std::int64_t created_at = 0;
};
core::error_code attempts(connection& c, std::int64_t message_seq, std::vector<attempt>& out);

/** The user's events of `instance_id` whose data names `message_id`, from `since_ms` on, id order. */
core::error_code message_events(connection& c, std::string_view user_id, std::string_view instance_id,
                                std::string_view message_id, std::int64_t since_ms, std::vector<events::event>& out);

struct delivery {
  std::string id;           // whd_...
  std::string endpoint_id;  // whk_...
  std::string url;
  std::int64_t event_id = 0;
  std::string event_type;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> last_status;
  std::string last_error;
  std::optional<std::int64_t> last_attempt_at;
  std::optional<std::int64_t> delivered_at;
  std::optional<std::int64_t> next_attempt_at;
  std::int64_t created_at = 0;
};
/** The deliveries (to the user's endpoints of the instance) of the given events, oldest first. */
core::error_code deliveries(connection& c, std::string_view user_id, std::string_view instance_id,
                            const std::vector<std::int64_t>& event_ids, std::vector<delivery>& out);

}  // namespace enfinito::store::timeline
