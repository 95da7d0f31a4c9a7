// store::optouts: the SQL of the opt-out lists and their settings (schema.sql migration 18;
// include/enfinito/store/optouts.hpp).
#include <enfinito/store/error.hpp>
#include <enfinito/store/optouts.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

namespace enfinito::store::optouts {
namespace {

// An entry of `optouts o`; with its instance for a user's list across instances.
constexpr column_list entry_cols{
    "o.wa_id, o.source, COALESCE(o.keyword, '') AS keyword, COALESCE(o.message_id, '') AS message_id, o.created_at"};
constexpr column_list owned_entry_cols{
    "o.wa_id, o.source, COALESCE(o.keyword, '') AS keyword, COALESCE(o.message_id, '') AS message_id, o.created_at, "
    "o.instance_id"};
static_assert(owned_entry_cols.extends(entry_cols), "read_entry reads the start of an owned entry's row");

entry read_entry(const statement& s) {
  return {s.text(entry_cols["wa_id"]), s.text(entry_cols["source"]), s.text(entry_cols["keyword"]),
          s.text(entry_cols["message_id"]), s.int64(entry_cols["created_at"])};
}

std::optional<std::string> optional_text(const statement& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return s.text(col);
}

}  // namespace

core::error_code get_settings(connection& c, std::string_view instance_id, settings_row& out) {
  static constexpr column_list settings_cols{"enabled, stop_keywords, start_keywords, enforce, updated_at"};
  ENF_PREPARE(s, std::string("SELECT ") + settings_cols.sql() + " FROM optout_settings WHERE instance_id = ?1");
  s->bind(1, instance_id);
  core::error_code ec;
  out = settings_row{};
  if (s->step(ec)) {
    out.found = true;
    out.enabled = s->int64(settings_cols["enabled"]) != 0;
    out.stop_keywords = optional_text(*s, settings_cols["stop_keywords"]);
    out.start_keywords = optional_text(*s, settings_cols["start_keywords"]);
    out.enforce = s->text(settings_cols["enforce"]);
    out.updated_at = s->int64(settings_cols["updated_at"]);
  }
  s->reset();
  return ec;
}

core::error_code put_settings(connection& c, std::string_view instance_id, const settings_row& v) {
  ENF_PREPARE(s,
              "INSERT INTO optout_settings(instance_id, enabled, stop_keywords, start_keywords, enforce, updated_at) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(instance_id) DO UPDATE SET enabled = excluded.enabled, "
              "stop_keywords = excluded.stop_keywords, start_keywords = excluded.start_keywords, "
              "enforce = excluded.enforce, updated_at = excluded.updated_at");
  s->bind(1, instance_id)
      .bind(2, v.enabled ? 1 : 0)
      .bind(3, v.stop_keywords)
      .bind(4, v.start_keywords)
      .bind(5, v.enforce)
      .bind(6, v.updated_at);
  return s->run();
}

core::error_code add(connection& c, std::string_view instance_id, const entry& e, bool& added) {
  ENF_PREPARE(s,
              "INSERT INTO optouts(instance_id, wa_id, source, keyword, message_id, created_at) "
              "VALUES(?1, ?2, ?3, NULLIF(?4, ''), NULLIF(?5, ''), ?6) ON CONFLICT(instance_id, wa_id) DO NOTHING");
  s->bind(1, instance_id)
      .bind(2, e.wa_id)
      .bind(3, e.source)
      .bind(4, e.keyword)
      .bind(5, e.message_id)
      .bind(6, e.created_at);
  if (auto ec = s->run()) return ec;
  added = c.changes() > 0;
  return {};
}

core::error_code remove(connection& c, std::string_view instance_id, std::string_view wa_id, bool& removed) {
  ENF_PREPARE(s, "DELETE FROM optouts WHERE instance_id = ?1 AND wa_id = ?2");
  s->bind(1, instance_id).bind(2, wa_id);
  if (auto ec = s->run()) return ec;
  removed = c.changes() > 0;
  return {};
}

core::error_code contains(connection& c, std::string_view instance_id, std::string_view wa_id, bool& listed) {
  ENF_PREPARE(s, "SELECT 1 FROM optouts WHERE instance_id = ?1 AND wa_id = ?2");
  s->bind(1, instance_id).bind(2, wa_id);
  return has_row(*s, listed);
}

core::error_code get(connection& c, std::string_view instance_id, std::string_view wa_id, entry& out) {
  ENF_PREPARE(s, std::string("SELECT ") + entry_cols.sql() + " FROM optouts o WHERE instance_id = ?1 AND wa_id = ?2");
  s->bind(1, instance_id).bind(2, wa_id);
  return read_one(*s, read_entry, out);
}

core::error_code list(connection& c, std::string_view instance_id, std::string_view after, std::size_t limit,
                      std::vector<entry>& out) {
  ENF_PREPARE(s, std::string("SELECT ") + entry_cols.sql() +
                     " FROM optouts o WHERE instance_id = ?1 AND wa_id > ?2 ORDER BY wa_id LIMIT ?3");
  s->bind(1, instance_id).bind(2, after).bind(3, static_cast<std::int64_t>(limit));
  return read_all(*s, read_entry, out);
}

core::error_code list_for_user(connection& c, std::string_view user_id, std::string_view after_instance,
                               std::string_view after_wa_id, std::size_t limit, std::vector<std::string>& instance_ids,
                               std::vector<entry>& out) {
  ENF_PREPARE(s, std::string("SELECT ") + owned_entry_cols.sql() +
                     " FROM optouts o JOIN instances i ON i.id = o.instance_id WHERE i.user_id = ?1 "
                     "AND (o.instance_id > ?2 OR (o.instance_id = ?2 AND o.wa_id > ?3)) "
                     "ORDER BY o.instance_id, o.wa_id LIMIT ?4");
  s->bind(1, user_id).bind(2, after_instance).bind(3, after_wa_id).bind(4, static_cast<std::int64_t>(limit));
  core::error_code ec;
  while (s->step(ec)) {
    out.push_back(read_entry(*s));
    instance_ids.push_back(s->text(owned_entry_cols["instance_id"]));
  }
  s->reset();
  return ec;
}

}  // namespace enfinito::store::optouts
