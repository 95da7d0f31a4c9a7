#pragma once
/**
 * @file store::inbound: the SQL of what Meta's webhooks tell us (schema.sql migrations 5 and 7).
 *
 * ## What is stored
 * - An inbound message is a row of `messages` with direction 'inbound', status 'received',
 *   peer = the sender's wa_id, wamid = Meta's id, body = Meta's message object exactly as it
 *   arrived (unknown types and fields kept). The unique (instance_id, wamid) index makes a
 *   redelivery a no-op: `store_message` inserts OR IGNOREs and emits `message.received` only
 *   for a new row.
 * - A status (`sent`, `delivered`, `read`, `failed`) moves an OUTBOUND row found by
 *   (instance_id, wamid) forward, never backwards: the caller passes the order
 *   (meta::status_advances; the store does not depend on the meta module). A status carrying
 *   Enfinito's tag (meta::callback_tag_prefix) is looked up by (instance_id, message id) and
 *   must still name the row's wamid; an untagged one only among the rows whose wamid is indexed
 *   (inbound rows, and messages sent with the customer's own biz_opaque_callback_data). `failed` keeps
 *   Meta's error code and title. Each change emits `message.<status>`; a status that does not
 *   advance (a duplicate, `delivered` after `read`) changes nothing and emits nothing.
 * - Statuses the row cannot hold (`played`, anything Meta adds later) are kept as a receipt in
 *   `pending_statuses` (state 'seen'), once per (instance, wamid, status), and emit
 *   `message.played` or `message.status` once.
 * - A status for a wamid not known yet is kept in `pending_statuses` (state 'pending') and
 *   applied by `apply_pending` when the send queue records that wamid.
 *
 * Every change appends its event (store::events) in the same write, so an event exists iff its
 * change committed. Event `data` objects carry `message_id`, `instance_id`, `wamid` and Meta's
 * own object (`message` or `meta`), so a customer sees everything Meta sent.
 *
 * All functions run on the writer thread inside one `store::write`. Times are unix ms unless
 * named otherwise.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store::inbound {

/** Does `incoming` move a message whose status is `current` forward? (meta::status_advances) */
using status_order = bool (*)(std::string_view current, std::string_view incoming) noexcept;

/** Whose instance an update belongs to (events are the user's). */
struct owner {
  std::string instance_id;
  std::string user_id;
};

/** One inbound message as Meta sent it. */
struct message {
  std::string id;              // msg_… chosen by the caller (used only if the row is new)
  std::string wamid;           // Meta's id; empty: stored without deduplication
  std::string peer;            // the sender's wa_id (or business-scoped user id when no wa_id)
  std::string type;            // Meta's type, as given ("unknown" when absent)
  std::int64_t timestamp = 0;  // Meta's unix seconds
  std::string body;            // the message object, serialized JSON
  std::string contact;         // the matching contacts[] object (name, user_id, …), JSON or empty
};

/** One status of an outbound message as Meta sent it. */
struct status {
  std::string wamid;
  std::string value;                       // sent | delivered | read | failed | played | …
  std::string recipient;                   // recipient_id
  std::int64_t timestamp = 0;              // Meta's unix seconds
  std::optional<std::int64_t> error_code;  // failed: first errors[].code
  std::string error_title;
  std::string raw;             // the status object, serialized JSON
  std::string tagged_message;  // the message id of Enfinito's biz_opaque_callback_data tag, or empty
};

/** What a webhook write did (counters for logs, metrics and tests). */
struct outcome {
  std::size_t stored = 0;      // new inbound messages
  std::size_t duplicates = 0;  // inbound messages already stored
  std::size_t applied = 0;     // statuses that changed a message (or a first receipt)
  std::size_t ignored = 0;     // statuses that did not advance, or repeated receipts
  std::size_t pending = 0;     // statuses kept for a message not known yet
  std::size_t events = 0;      // events appended
};

/** Stores an inbound message once; appends `message.received` when the row is new. */
core::error_code store_message(connection& c, const owner& o, const message& m, std::int64_t now_ms, outcome& out);

/** Applies a status to the instance's outbound message `s.wamid`, or keeps it pending. */
core::error_code apply_status(connection& c, const owner& o, const status& s, status_order order, std::int64_t now_ms,
                              outcome& out);

/**
 * For the send queue: call in the SAME store write that records an outbound message's wamid
 * (after setting its own status), so that statuses Meta posted before that commit are not
 * lost:
 *
 *     messages::resolve(c, seq, ...);                                  // the queue's own SQL
 *     store::inbound::apply_pending(c, instance_id, wamid, message_id, meta::status_advances, now_ms);
 *
 * Applies every pending status of (instance_id, wamid) in Meta's order (sent, delivered, read;
 * failed), each emitting its event as `apply_status` would, then removes them. Cheap when there
 * is none (two primary-key lookups). `applied` (optional) counts the statuses that changed the
 * row or emitted an event. As a safety net, `apply_status` also drains them when the next
 * status for a known wamid arrives, but only this call makes them visible without one.
 * `tagged_message`: the message's id when it was sent with Enfinito's tag, else empty.
 */
core::error_code apply_pending(connection& c, std::string_view instance_id, std::string_view wamid,
                               std::string_view tagged_message, status_order order, std::int64_t now_ms,
                               std::size_t* applied = nullptr);

/** Appends an event about the instance (template status, account update, …). */
core::error_code append_event(connection& c, const owner& o, std::string type, std::string data, outcome& out);

/**
 * Appends the event unless an update with the same `digest` (SHA-256 hex of what identifies
 * it: field, entry time, value) was already recorded for the instance: a redelivered template
 * or account update emits nothing. Counts a repeat in `out.ignored`.
 */
core::error_code append_event_once(connection& c, const owner& o, std::string_view digest, std::string type,
                                   std::string data, std::int64_t now_ms, outcome& out);

/**
 * Retention (privacy promise P9): deletes at most `limit` messages (either direction) created
 * before `before_ms`, oldest first, except those still in the send queue, and the status
 * receipts of that age. Sets `deleted` (messages only).
 */
core::error_code purge_messages(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted);

/** Deletes at most `limit` update receipts older than `before_ms` (with the events). */
core::error_code purge_receipts(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted);

/** Deletes at most `limit` pending statuses older than `before_ms` (wamids never recorded). */
core::error_code purge_pending(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted);

}  // namespace enfinito::store::inbound
