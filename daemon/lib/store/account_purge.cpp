// store::account_purge: the SQL of the purge of never-approved and rejected sign-ups (see
// include/enfinito/store/account_purge.hpp).
#include <enfinito/store/account_purge.hpp>
#include <enfinito/store/error.hpp>
#include "store/prepare.hpp"

namespace enfinito::store::account_purge {

core::result<std::vector<candidate>> candidates(connection& c, std::int64_t cutoff, std::size_t limit) {
  // Two range scans of users_status(status, created_at); a rejection bumps updated_at, which is
  // never before created_at, so the first bound prunes the rejected side too.
  ENF_PREPARE(s,
              "SELECT id, role, status, created_at, updated_at FROM users "
              "WHERE status = 'pending' AND created_at <= ?1 AND role = 'user' "
              "UNION ALL "
              "SELECT id, role, status, created_at, updated_at FROM users "
              "WHERE status = 'rejected' AND created_at <= ?1 AND updated_at <= ?1 AND role = 'user' "
              "LIMIT ?2");
  s->bind(1, cutoff).bind(2, static_cast<std::int64_t>(limit));
  std::vector<candidate> out;
  core::error_code ec;
  while (s->step(ec)) {
    candidate x;
    x.id = s->text(0);
    x.role = s->text(1);
    x.status = s->text(2);
    x.created_at = s->int64(3);
    x.updated_at = s->int64(4);
    out.push_back(std::move(x));
  }
  s->reset();
  if (ec) return ec;
  return out;
}

}  // namespace enfinito::store::account_purge
