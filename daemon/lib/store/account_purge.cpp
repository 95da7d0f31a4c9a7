// store::account_purge: the SQL of the purge of never-approved and rejected sign-ups (see
// include/enfinito/store/account_purge.hpp).
#include <enfinito/store/account_purge.hpp>
#include <enfinito/store/error.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"

namespace enfinito::store::account_purge {

core::result<std::vector<candidate>> candidates(connection& c, std::int64_t cutoff, std::size_t limit) {
  // Two range scans of users_status(status, created_at); a rejection bumps updated_at, which is
  // never before created_at, so the first bound prunes the rejected side too.
  static constexpr column_list cols{"id, role, status, created_at, updated_at"};
  static const std::string sql = std::string("SELECT ") + cols.sql() +
                                 " FROM users WHERE status = 'pending' AND created_at <= ?1 AND role = 'user' "
                                 "UNION ALL SELECT " +
                                 cols.sql() +
                                 " FROM users WHERE status = 'rejected' AND created_at <= ?1 AND updated_at <= ?1 "
                                 "AND role = 'user' LIMIT ?2";
  ENF_PREPARE(s, sql);
  s->bind(1, cutoff).bind(2, static_cast<std::int64_t>(limit));
  std::vector<candidate> out;
  core::error_code ec;
  while (s->step(ec)) {
    candidate x;
    x.id = s->text(cols["id"]);
    x.role = s->text(cols["role"]);
    x.status = s->text(cols["status"]);
    x.created_at = s->int64(cols["created_at"]);
    x.updated_at = s->int64(cols["updated_at"]);
    out.push_back(std::move(x));
  }
  s->reset();
  if (ec) return ec;
  return out;
}

}  // namespace enfinito::store::account_purge
