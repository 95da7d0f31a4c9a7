#pragma once
/**
 * @file store::media: the SQL of inbound media kept by Enfinito (schema.sql migration 8).
 *
 * A row of `media_files` is one inbound media file of an instance whose `media_fetch` is on:
 * created 'pending' in the same write that stores the inbound message (`enqueue_inbound`, from
 * store::inbound::store_message), so a crash before the fetch loses nothing; then 'stored'
 * (the file is on disk, named by the row id) or, after the last attempt, 'failed'.
 * Deleting a row, however it happens (instance or account deleted by cascade, retention),
 * puts its id in `media_trash` by trigger; the fetcher removes the file and then the entry.
 * The files themselves are not this module's: inbound/media_fetcher.cpp owns the directory.
 *
 * All functions run on a store thread inside `store::write` / `store::read`. Times are unix ms.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::media {

struct media_file {
  std::string id;  // med_…: the file name
  std::string instance_id;
  std::string media_id;  // Meta's
  std::string message_id;
  std::string mime_type;
  std::string sha256;  // Meta's, base64
  std::string state;   // pending | stored | failed
  std::int64_t attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::string last_error;
  std::optional<std::int64_t> size;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> stored_at;
};

/** Message types whose object carries a media id (Meta's webhook reference). */
bool is_media_type(std::string_view type) noexcept;

/**
 * For a new inbound message: when its instance has `media_fetch` on and the message is a media
 * type with an `id`, adds a pending row (once per instance and media id). Nothing otherwise.
 */
core::error_code enqueue_inbound(connection& c, std::string_view instance_id, std::string_view message_id,
                                 std::string_view type, std::string_view body_json, std::int64_t now_ms);

/** Pending rows due at `now_ms`, oldest first, at most `limit`. */
core::error_code due(connection& c, std::int64_t now_ms, std::size_t limit, std::vector<media_file>& out);

/** When the next pending row is due (new rows are due at once), if any. */
core::error_code next_due(connection& c, std::optional<std::int64_t>& at);

/** Marks a pending row stored; `found` false when the row is gone (deleted meanwhile). */
core::error_code mark_stored(connection& c, std::string_view id, std::int64_t size, std::int64_t now_ms, bool& found);
/** Records a failed attempt: pending again at `next_at`, or 'failed' when `next_at` is empty. */
core::error_code mark_attempt_failed(connection& c, std::string_view id, std::string_view reason,
                                     std::optional<std::int64_t> next_at);

/** The user's instance's file for Meta's media id; `not_found` when absent or not theirs. */
core::error_code get(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view media_id,
                     media_file& out);

/** The user's rows (every instance) with id > `after`, ascending, at most `limit` (the export). */
core::error_code list_for_user(connection& c, std::string_view user_id, std::string_view after, std::size_t limit,
                               std::vector<media_file>& out);

/** Whether a row with this id exists (start-up check for files left without one). */
core::error_code exists(connection& c, std::string_view id, bool& found);

/** A deleted row whose file must go. */
struct trashed {
  std::string file_id;
  std::string instance_id;
};
/** At most `limit` deleted rows whose files must go. */
core::error_code trash(connection& c, std::size_t limit, std::vector<trashed>& out);
/** Forgets trash entries whose files are gone. */
core::error_code forget_trash(connection& c, const std::vector<trashed>& done);

/** Retention: deletes at most `limit` rows created before `before_ms` (their files go by the trash). */
core::error_code purge(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted);

}  // namespace enfinito::store::media
