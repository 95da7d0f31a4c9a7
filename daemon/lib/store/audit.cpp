// store::audit: the audit log's writes with their actor, its filtered reads and its purge
// (see include/enfinito/store/audit.hpp).
#include <enfinito/store/audit.hpp>
#include <enfinito/store/error.hpp>
#include "store/audit_row.hpp"
#include "store/prepare.hpp"

#include <limits>
#include <string>

namespace enfinito::store::audit {

core::error_code record(connection& c, const actor& who, std::string_view subject_id, std::string_view action,
                        std::string_view detail) {
  if (who.api_key_id.empty()) return accounts::audit(c, subject_id, who.user_id, action, detail, who.address);
  std::string words = "key=" + who.api_key_id;
  if (!detail.empty()) words.append(" ").append(detail);
  return accounts::audit(c, subject_id, who.user_id, action, words, who.address);
}

core::result<std::vector<accounts::audit_entry>> newest(connection& c, const filter& f) {
  // The admin's search walks the primary key (newest first): filters are rare searches. A
  // user's own page must not walk everyone's entries: `subject_id = ?2 OR actor_id = ?2` with
  // no other alternative lets SQLite take the subject and actor indexes (a multi-index OR).
  static constexpr const char* filters =
      "AND (?3 = '' OR subject_id = ?3 OR actor_id = ?3) "
      "AND (?4 = '' OR actor_id = ?4) AND (?5 = '' OR subject_id = ?5) AND (?6 = '' OR action = ?6) "
      "AND (?7 = 0 OR created_at >= ?7) AND (?8 = 0 OR created_at < ?8) ORDER BY id DESC LIMIT ?9";
  static const std::string columns = std::string("SELECT ") + audit_cols.sql() + " FROM audit_log WHERE id < ?1 ";
  static const std::string everyone = columns + "AND ?2 = '' " + filters;
  static const std::string own = columns + "AND (subject_id = ?2 OR actor_id = ?2) " + filters;
  ENF_PREPARE(s, f.mine.empty() ? everyone : own);
  s->bind(1, f.before_id > 0 ? f.before_id : std::numeric_limits<std::int64_t>::max());
  s->bind(2, f.mine).bind(3, f.user).bind(4, f.actor).bind(5, f.tenant).bind(6, f.action);
  s->bind(7, f.since).bind(8, f.until).bind(9, static_cast<std::int64_t>(f.limit));
  core::error_code ec;
  std::vector<accounts::audit_entry> out;
  while (s->step(ec)) out.push_back(read_audit(*s));
  s->reset();
  if (ec) return ec;
  return out;
}

core::error_code purge(connection& c, std::int64_t before, std::size_t batch, std::size_t& removed) {
  ENF_PREPARE(s, "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE created_at < ?1 LIMIT ?2)");
  s->bind(1, before).bind(2, static_cast<std::int64_t>(batch));
  if (auto ec = s->run()) return ec;
  removed = static_cast<std::size_t>(c.changes());
  return {};
}

}  // namespace enfinito::store::audit
