// store::templates: the SQL of the local template copy and of what the pre-send checks read
// (schema.sql migration 16; see include/enfinito/store/templates.hpp).
#include <enfinito/store/changes.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/templates.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

#include <algorithm>

namespace enfinito::store::templates {
namespace {

// A row of `templates t`.
constexpr column_list cols{
    "t.instance_id, t.name, t.language, t.template_id, t.status, t.category, t.quality, t.parameter_format, "
    "t.components, t.updated_at"};

row read_row(statement& s) {
  row r;
  r.instance_id = s.text(cols["instance_id"]);
  r.name = s.text(cols["name"]);
  r.language = s.text(cols["language"]);
  r.template_id = s.text(cols["template_id"]);
  r.status = s.text(cols["status"]);
  r.category = s.text(cols["category"]);
  r.quality = s.text(cols["quality"]);
  r.parameter_format = s.text(cols["parameter_format"]);
  if (!s.is_null(cols["components"])) r.components = s.text(cols["components"]);
  r.updated_at = s.int64(cols["updated_at"]);
  return r;
}

core::error_code insert_row(connection& c, const row& r) {
  ENF_PREPARE(s,
              "INSERT OR REPLACE INTO templates (instance_id, name, language, template_id, status, category, "
              "quality, parameter_format, components, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  s->bind(1, r.instance_id).bind(2, r.name).bind(3, r.language).bind(4, r.template_id).bind(5, r.status);
  s->bind(6, r.category).bind(7, r.quality).bind(8, r.parameter_format).bind(9, r.components).bind(10, r.updated_at);
  return s->run();
}

}  // namespace

core::error_code replace_all(connection& c, std::string_view instance_id, const std::vector<row>& rows,
                             std::int64_t now) {
  // Each listed template is written with this sync's time; what Meta no longer lists is what
  // is left with an older one. A quality the list does not carry stays as webhooks set it.
  {
    ENF_PREPARE(s,
                "INSERT INTO templates (instance_id, name, language, template_id, status, category, quality, "
                "parameter_format, components, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                "ON CONFLICT (instance_id, name, language) DO UPDATE SET template_id = excluded.template_id, "
                "status = excluded.status, category = excluded.category, "
                "quality = COALESCE(NULLIF(excluded.quality, ''), quality), "
                "parameter_format = excluded.parameter_format, components = excluded.components, "
                "updated_at = excluded.updated_at");
    for (const auto& r : rows) {
      s->bind(1, instance_id).bind(2, r.name).bind(3, r.language).bind(4, r.template_id).bind(5, r.status);
      s->bind(6, r.category).bind(7, r.quality).bind(8, r.parameter_format).bind(9, r.components).bind(10, now);
      if (auto ec = s->run()) return ec;
    }
  }
  {
    ENF_PREPARE(d, "DELETE FROM templates WHERE instance_id = ?1 AND updated_at <> ?2");
    d->bind(1, instance_id).bind(2, now);
    if (auto ec = d->run()) return ec;
  }
  ENF_PREPARE(s,
              "INSERT INTO template_copies (instance_id, synced_at) VALUES (?1, ?2) "
              "ON CONFLICT (instance_id) DO UPDATE SET synced_at = excluded.synced_at");
  s->bind(1, instance_id).bind(2, now);
  if (auto ec = s->run()) return ec;
  mark(c, change::templates);
  return {};
}

core::error_code upsert(connection& c, const row& r) {
  if (auto ec = insert_row(c, r)) return ec;
  mark(c, change::templates);
  return {};
}

core::error_code apply(connection& c, std::string_view instance_id, const update& u, std::int64_t now, bool& applied) {
  applied = false;
  {
    // Each field only when the webhook carries it (COALESCE(NULLIF(..)) keeps the rest).
    ENF_PREPARE(s,
                "UPDATE templates SET status = COALESCE(NULLIF(?3, ''), status), "
                "quality = COALESCE(NULLIF(?4, ''), quality), category = COALESCE(NULLIF(?5, ''), category), "
                "updated_at = ?6 WHERE instance_id = ?1 AND template_id = ?2");
    s->bind(1, instance_id).bind(2, u.template_id).bind(3, u.status).bind(4, u.quality).bind(5, u.category);
    s->bind(6, now);
    if (auto ec = s->run()) return ec;
    applied = c.changes() > 0;
  }
  if (!applied && !u.status.empty() && !u.name.empty() && !u.language.empty()) {
    // Told of before the copy held it: its definition comes with the next sync.
    row r;
    r.instance_id = std::string(instance_id);
    r.name = u.name;
    r.language = u.language;
    r.template_id = u.template_id;
    r.status = u.status;
    r.category = u.category;
    r.quality = u.quality;
    r.updated_at = now;
    ENF_PREPARE(s,
                "INSERT OR IGNORE INTO templates (instance_id, name, language, template_id, status, category, "
                "quality, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    s->bind(1, r.instance_id).bind(2, r.name).bind(3, r.language).bind(4, r.template_id).bind(5, r.status);
    s->bind(6, r.category).bind(7, r.quality).bind(8, r.updated_at);
    if (auto ec = s->run()) return ec;
    applied = c.changes() > 0;
  }
  if (applied) mark(c, change::templates);
  return {};
}

core::error_code set_components(connection& c, std::string_view instance_id, std::string_view template_id,
                                std::string_view components_json, std::int64_t now) {
  ENF_PREPARE(s, "UPDATE templates SET components = ?3, updated_at = ?4 WHERE instance_id = ?1 AND template_id = ?2");
  s->bind(1, instance_id).bind(2, template_id).bind(3, components_json).bind(4, now);
  if (auto ec = s->run()) return ec;
  if (c.changes() > 0) mark(c, change::templates);
  return {};
}

core::error_code remove(connection& c, std::string_view instance_id, std::string_view name,
                        std::string_view template_id, std::size_t& removed) {
  ENF_PREPARE(s, "DELETE FROM templates WHERE instance_id = ?1 AND name = ?2 AND (?3 = '' OR template_id = ?3)");
  s->bind(1, instance_id).bind(2, name).bind(3, template_id);
  if (auto ec = s->run()) return ec;
  removed = static_cast<std::size_t>(c.changes());
  if (removed) mark(c, change::templates);
  return {};
}

core::error_code list(connection& c, std::string_view instance_id, const filter& f, std::vector<row>& out) {
  if (!f.before.empty()) {
    // The page before: read backwards from the cursor, then put it in order.
    const auto sep = f.before.find('\x1f');
    const std::string name = f.before.substr(0, sep);
    const std::string lang = sep == std::string::npos ? std::string() : f.before.substr(sep + 1);
    ENF_PREPARE(s,
                std::string("SELECT ") + cols.sql() +
                    " FROM templates t WHERE instance_id = ?1 "
                    "AND (?2 = '' OR instr(name, ?2) > 0) AND (?3 = '' OR status = ?3) AND (?4 = '' OR language = ?4) "
                    "AND (?5 = '' OR category = ?5) AND (name < ?6 OR (name = ?6 AND language < ?7)) "
                    "ORDER BY name DESC, language DESC LIMIT ?8");
    s->bind(1, instance_id).bind(2, f.name).bind(3, f.status).bind(4, f.language).bind(5, f.category);
    s->bind(6, name).bind(7, lang).bind(8, static_cast<std::int64_t>(f.limit));
    const auto first = out.size();
    auto ec = read_all(*s, read_row, out);
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    return ec;
  }
  const auto sep = f.after.find('\x1f');
  const std::string after_name = sep == std::string::npos ? f.after : f.after.substr(0, sep);
  const std::string after_lang = sep == std::string::npos ? std::string() : f.after.substr(sep + 1);
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM templates t WHERE instance_id = ?1 "
                     "AND (?2 = '' OR instr(name, ?2) > 0) AND (?3 = '' OR status = ?3) AND (?4 = '' OR language = ?4) "
                     "AND (?5 = '' OR category = ?5) AND (?6 = '' OR name > ?6 OR (name = ?6 AND language > ?7)) "
                     "ORDER BY name, language LIMIT ?8");
  s->bind(1, instance_id).bind(2, f.name).bind(3, f.status).bind(4, f.language).bind(5, f.category);
  s->bind(6, after_name).bind(7, after_lang).bind(8, static_cast<std::int64_t>(f.limit));
  return read_all(*s, read_row, out);
}

core::error_code get(connection& c, std::string_view instance_id, std::string_view name, std::string_view language,
                     row& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM templates t WHERE instance_id = ?1 AND name = ?2 AND language = ?3");
  s->bind(1, instance_id).bind(2, name).bind(3, language);
  return read_one(*s, read_row, out);
}

core::error_code find_by_meta_id(connection& c, std::string_view user_id, std::string_view template_id, row& out) {
  ENF_PREPARE(s, std::string("SELECT ") + cols.sql() +
                     " FROM templates t JOIN instances i ON i.id = t.instance_id "
                     "WHERE i.user_id = ?1 AND t.template_id = ?2 ORDER BY t.instance_id LIMIT 1");
  s->bind(1, user_id).bind(2, template_id);
  return read_one(*s, read_row, out);
}

core::error_code state(connection& c, std::string_view instance_id, copy_state& out) {
  out = {};
  static constexpr column_list copy_cols{"synced_at, webhooks_since"};
  ENF_PREPARE(s, std::string("SELECT ") + copy_cols.sql() + " FROM template_copies WHERE instance_id = ?1");
  s->bind(1, instance_id);
  core::error_code ec;
  if (s->step(ec)) {
    if (!s->is_null(copy_cols["synced_at"])) out.synced_at = s->int64(copy_cols["synced_at"]);
    if (!s->is_null(copy_cols["webhooks_since"])) out.webhooks_since = s->int64(copy_cols["webhooks_since"]);
  }
  s->reset();
  return ec;
}

core::error_code note_webhooks(connection& c, std::string_view instance_id, std::int64_t now) {
  // After the first POST this changes nothing: a primary-key probe, no page written.
  ENF_PREPARE(s,
              "INSERT INTO template_copies (instance_id, webhooks_since) VALUES (?1, ?2) "
              "ON CONFLICT (instance_id) DO UPDATE SET webhooks_since = ?2 WHERE webhooks_since IS NULL");
  s->bind(1, instance_id).bind(2, now);
  if (auto ec = s->run()) return ec;
  if (c.changes() > 0) mark(c, change::templates);
  return {};
}

core::error_code last_inbound(connection& c, std::string_view instance_id, std::string_view peer,
                              std::optional<std::int64_t>& out) {
  out.reset();
  ENF_PREPARE(s, "SELECT last_inbound_at FROM conversations WHERE instance_id = ?1 AND peer = ?2");
  s->bind(1, instance_id).bind(2, peer);
  return read_value(*s, out);
}

}  // namespace enfinito::store::templates
