#pragma once
/**
 * @file store::events: the SQL of the event log (schema.sql migration 5, table `events`).
 *
 * An event is something a customer can observe: a message accepted, sent, delivered, read,
 * failed, dead or received, an instance's status changing. Writers append inside the same
 * store write as the state change itself (one transaction: an event exists iff its change
 * committed). Readers page by id: ids only grow and are never reused, so "everything after
 * id N" has no gap and no repeat. The live feed and customer webhooks read from here.
 *
 * Every reading function takes the owner's user id. Times are unix milliseconds.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::events {

struct event {
  std::int64_t id = 0;
  std::string user_id;
  std::string instance_id;  // empty: not about an instance
  std::string type;         // message.accepted, message.sent, ..., instance.status
  std::string data;         // a JSON object, serialized
  std::int64_t created_at = 0;
};

/** Appends; sets `id` to the new event's id. `e.created_at` 0 means now. */
core::error_code append(connection& c, event& e);

struct filter {
  std::string user_id;                    // required
  std::int64_t after = 0;                 // ids strictly greater
  std::vector<std::string> instance_ids;  // empty: all of the user's
  std::vector<std::string> types;         // empty: all types
  std::size_t limit = 100;
};
/** The user's events after `f.after`, ascending by id, at most `f.limit`. */
core::error_code list(connection& c, const filter& f, std::vector<event>& out);

/** The newest event id of the user (0 when none): where a live feed starts. */
core::error_code newest_id(connection& c, std::string_view user_id, std::int64_t& out);

/** Deletes events older than `before_ms`, at most `limit` rows; sets `deleted`. */
core::error_code purge(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted);

}  // namespace enfinito::store::events
