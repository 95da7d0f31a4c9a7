// store::media: the SQL of inbound media kept by Enfinito (schema.sql migration 8): fetch
// jobs, their outcome, the trash of deleted rows, retention. See store/media.hpp.
#include <enfinito/core/net.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/media.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

#include <boost/json.hpp>

namespace enfinito::store::media {
namespace {

constexpr column_list cols{
    "f.id, f.instance_id, f.media_id, f.message_id, f.mime_type, f.sha256, f.state, f.attempts, "
    "f.next_attempt_at, f.last_error, f.size, f.created_at, f.stored_at"};

media_file read_row(statement& s) {
  media_file f;
  f.id = s.text(cols["id"]);
  f.instance_id = s.text(cols["instance_id"]);
  f.media_id = s.text(cols["media_id"]);
  f.message_id = s.text(cols["message_id"]);
  f.mime_type = s.text(cols["mime_type"]);
  f.sha256 = s.text(cols["sha256"]);
  f.state = s.text(cols["state"]);
  f.attempts = s.int64(cols["attempts"]);
  f.next_attempt_at = s.int64(cols["next_attempt_at"]);
  if (!s.is_null(cols["last_error"])) f.last_error = s.text(cols["last_error"]);
  if (!s.is_null(cols["size"])) f.size = s.int64(cols["size"]);
  f.created_at = s.int64(cols["created_at"]);
  if (!s.is_null(cols["stored_at"])) f.stored_at = s.int64(cols["stored_at"]);
  return f;
}

// A short string field of Meta's media object, or empty.
std::string field(const json::object& o, std::string_view k, std::size_t max) {
  const auto* v = o.if_contains(k);
  if (!v || !v->is_string() || v->get_string().size() > max) return {};
  return std::string(v->get_string());
}

}  // namespace

bool is_media_type(std::string_view t) noexcept {
  return t == "image" || t == "video" || t == "audio" || t == "document" || t == "sticker";
}

core::error_code enqueue_inbound(connection& c, std::string_view instance_id, std::string_view message_id,
                                 std::string_view type, std::string_view body_json, std::int64_t now_ms) {
  mark(c, change::media_jobs);
  if (!is_media_type(type)) return {};
  boost::system::error_code pec;
  const auto body = json::parse(body_json, pec);
  if (pec || !body.is_object()) return {};
  const auto* obj = body.as_object().if_contains(type);
  if (!obj || !obj->is_object()) return {};
  const std::string media_id = field(obj->as_object(), "id", 64);
  if (media_id.empty()) return {};
  // Only instances that asked for it; one row per (instance, media id).
  ENF_PREPARE(s,
              "INSERT OR IGNORE INTO media_files (id, instance_id, media_id, message_id, mime_type, sha256, "
              "state, attempts, next_attempt_at, created_at) "
              "SELECT ?1, id, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7 FROM instances WHERE id = ?2 AND media_fetch = 1");
  s->bind(1, "med_" + std::string(message_id)).bind(2, instance_id).bind(3, media_id).bind(4, message_id);
  s->bind(5, field(obj->as_object(), "mime_type", 200)).bind(6, field(obj->as_object(), "sha256", 100));
  s->bind(7, now_ms);
  return s->run();
}

core::error_code due(connection& c, std::int64_t now_ms, std::size_t limit, std::vector<media_file>& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM media_files f WHERE f.state = 'pending' AND f.next_attempt_at <= ?1 "
                     "ORDER BY f.next_attempt_at LIMIT ?2");
  s->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
  return read_all(*s, read_row, out);
}

core::error_code mark_stored(connection& c, std::string_view id, std::int64_t size, std::int64_t now_ms, bool& found) {
  ENF_PREPARE(s,
              "UPDATE media_files SET state = 'stored', size = ?2, stored_at = ?3, last_error = NULL, "
              "attempts = attempts + 1 WHERE id = ?1 AND state = 'pending'");
  s->bind(1, id).bind(2, size).bind(3, now_ms);
  if (auto ec = s->run()) return ec;
  found = c.changes() > 0;
  return {};
}

core::error_code mark_attempt_failed(connection& c, std::string_view id, std::string_view reason,
                                     std::optional<std::int64_t> next_at) {
  ENF_PREPARE(s,
              "UPDATE media_files SET attempts = attempts + 1, last_error = ?2, "
              "state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END, "
              "next_attempt_at = COALESCE(?3, next_attempt_at) WHERE id = ?1 AND state = 'pending'");
  s->bind(1, id).bind(2, reason).bind(3, next_at);
  return s->run();
}

core::error_code get(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view media_id,
                     media_file& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM media_files f JOIN instances i ON i.id = f.instance_id "
                     "WHERE f.instance_id = ?1 AND f.media_id = ?2 AND i.user_id = ?3");
  s->bind(1, instance_id).bind(2, media_id).bind(3, user_id);
  return read_one(*s, read_row, out);
}

core::error_code list_for_user(connection& c, std::string_view user_id, std::string_view after, std::size_t limit,
                               std::vector<media_file>& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM media_files f JOIN instances i ON i.id = f.instance_id "
                     "WHERE i.user_id = ?1 AND f.id > ?2 ORDER BY f.id LIMIT ?3");
  s->bind(1, user_id).bind(2, after).bind(3, static_cast<std::int64_t>(limit));
  return read_all(*s, read_row, out);
}

core::error_code exists(connection& c, std::string_view id, bool& found) {
  ENF_PREPARE(s, "SELECT 1 FROM media_files WHERE id = ?1");
  s->bind(1, id);
  return has_row(*s, found);
}

core::error_code trash(connection& c, std::size_t limit, std::vector<trashed>& out) {
  static constexpr column_list trash_cols{"file_id, instance_id"};
  ENF_PREPARE(s, std::string("SELECT ") + trash_cols.sql() + " FROM media_trash LIMIT ?1");
  s->bind(1, static_cast<std::int64_t>(limit));
  core::error_code ec;
  while (s->step(ec)) out.push_back({s->text(trash_cols["file_id"]), s->text(trash_cols["instance_id"])});
  s->reset();
  return ec;
}

core::error_code forget_trash(connection& c, const std::vector<trashed>& done) {
  ENF_PREPARE(s, "DELETE FROM media_trash WHERE file_id = ?1");
  for (const auto& t : done) {
    s->bind(1, t.file_id);
    if (auto ec = s->run()) return ec;
  }
  return {};
}

core::error_code purge(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted) {
  ENF_PREPARE(s,
              "DELETE FROM media_files WHERE id IN (SELECT id FROM media_files WHERE created_at < ?1 "
              "ORDER BY created_at LIMIT ?2)");
  s->bind(1, before_ms).bind(2, static_cast<std::int64_t>(limit));
  if (auto ec = s->run()) return ec;
  deleted = static_cast<std::size_t>(c.changes());
  if (deleted > 0) mark(c, change::media_jobs);  // their files wait in the trash (a trigger)
  return {};
}

core::error_code next_due(connection& c, std::optional<std::int64_t>& at) {
  ENF_PREPARE(s, "SELECT MIN(next_attempt_at) FROM media_files WHERE state = 'pending'");
  at.reset();
  return read_value(*s, at);
}

}  // namespace enfinito::store::media
