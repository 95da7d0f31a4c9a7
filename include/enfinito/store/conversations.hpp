#pragma once
/**
 * @file store::conversations: the SQL behind the web app's conversations (schema.sql
 * migration 13): one conversation per (instance, peer), read from the message log.
 *
 * ## What is stored, and where the cost goes
 * - The list walks the instance's newest messages backwards and keeps each one that is its
 *   peer's newest (one probe of the `messages_peer` index (instance_id, peer, seq, direction));
 *   after eight rows per conversation asked for without a full page (one chatty peer) it groups the instance's
 *   messages_peer entries instead, so a page costs at most about that. A page of one peer's
 *   messages walks only that peer's entries. The index is the one cost on the send path (one
 *   more b-tree entry per accepted message); nothing else there changed.
 * - `conversations` holds what the log cannot say cheaply, written only off the send path:
 *   the customer's profile name and the time of their newest message (by the inbound webhook
 *   write, `note_inbound`), and the local read mark (`mark_read`). Unread = inbound messages
 *   of the peer with seq above the read mark.
 *
 * Tenancy: every read takes the owner's user id and matches it through instances.user_id.
 * Times are unix milliseconds.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::conversations {

/** One conversation: the newest message of a peer, and what the app shows with it. */
struct conversation {
  std::string peer;
  std::optional<std::string> profile_name;
  std::int64_t last_seq = 0;  // the cursor of the list
  std::string last_id;        // msg_...
  std::string last_direction;
  std::string last_type;
  std::string last_status;
  std::string last_body;  // JSON as stored (for the preview)
  std::int64_t last_created_at = 0;
  std::int64_t unread_inbound = 0;
  std::optional<std::int64_t> last_inbound_at;  // opens the 24 h window
};

/** The instance's conversations whose newest message has seq < `before_seq` (0: from the
 *  newest), newest first, at most `limit`. */
core::error_code list(connection& c, std::string_view user_id, std::string_view instance_id, std::int64_t before_seq,
                      std::size_t limit, std::vector<conversation>& out);

/** One conversation; `not_found` when the peer has no message in the user's instance. */
core::error_code get(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view peer,
                     conversation& out);

/**
 * Writer: an inbound message of `peer` was stored (store::inbound::store_message, same write).
 * `sent_at_ms` is when the customer sent it (Meta's timestamp): the window runs from there.
 * `profile_name` empty: keep the one known.
 */
core::error_code note_inbound(connection& c, std::string_view instance_id, std::string_view peer,
                              std::int64_t sent_at_ms, std::string_view profile_name);

/**
 * Writer: marks every inbound message of the peer read locally (the read mark moves to the
 * peer's newest message) and sets `newest_inbound_wamid` to the wamid to report to Meta (empty
 * when there is none). `not_found` when the peer has no message in the user's instance.
 */
core::error_code mark_read(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view peer,
                           std::string& newest_inbound_wamid);

}  // namespace enfinito::store::conversations
