// store::notices: the SQL of policy notices (see include/enfinito/store/notices.hpp).
#include <enfinito/store/notices.hpp>
#include <enfinito/store/error.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

namespace enfinito::store::notices {

core::result<std::vector<recipient>> unsent(connection& c, std::string_view notice_id, std::size_t limit) {
  static constexpr column_list recipient_cols{"u.id, u.email"};
  ENF_PREPARE(s, std::string("SELECT ") + recipient_cols.sql() +
                     " FROM users u WHERE u.status = 'active' AND NOT EXISTS "
                     "(SELECT 1 FROM notices_sent n WHERE n.notice_id = ?1 AND n.user_id = u.id) "
                     "ORDER BY u.id LIMIT ?2");
  s->bind(1, notice_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<recipient> out;
  core::error_code ec;
  while (s->step(ec)) out.push_back({s->text(recipient_cols["id"]), s->text(recipient_cols["email"])});
  s->reset();
  if (ec) return ec;
  return out;
}

core::error_code record(connection& c, std::string_view notice_id, std::string_view user_id, std::int64_t now) {
  ENF_PREPARE(s, "INSERT INTO notices_sent(notice_id, user_id, queued_at) VALUES(?1, ?2, ?3)");
  s->bind(1, notice_id).bind(2, user_id).bind(3, now);
  return s->run();
}

core::result<std::vector<sent_notice>> for_user(connection& c, std::string_view user_id, std::size_t limit) {
  static constexpr column_list sent_cols{"notice_id, queued_at"};
  ENF_PREPARE(s, std::string("SELECT ") + sent_cols.sql() +
                     " FROM notices_sent WHERE user_id = ?1 ORDER BY queued_at, notice_id LIMIT ?2");
  s->bind(1, user_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<sent_notice> out;
  core::error_code ec;
  while (s->step(ec)) out.push_back({s->text(sent_cols["notice_id"]), s->int64(sent_cols["queued_at"])});
  s->reset();
  if (ec) return ec;
  return out;
}

core::result<std::int64_t> recorded(connection& c, std::string_view notice_id) {
  ENF_PREPARE(s, "SELECT COUNT(*) FROM notices_sent WHERE notice_id = ?1");
  s->bind(1, notice_id);
  std::int64_t n = 0;
  if (auto ec = read_value(*s, n)) return ec;
  return n;
}

}  // namespace enfinito::store::notices
