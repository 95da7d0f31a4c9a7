// accounts::retention: the purge of never-approved and rejected sign-ups (see
// accounts/retention.hpp).
#include <enfinito/accounts/retention.hpp>
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/store/account_purge.hpp>

#include <string>

namespace enfinito::accounts {

bool due_for_purge(const purge_facts& a, std::int64_t now_s, std::int64_t keep_s) noexcept {
  if (a.role == "admin") return false;
  if (a.status == "pending") return now_s - a.created_at >= keep_s;
  if (a.status == "rejected") return now_s - a.updated_at >= keep_s;
  return false;
}

core::error_code purge_unapproved(store::connection& c, std::int64_t now_s, std::int64_t keep_s, std::size_t batch,
                                  std::size_t& removed) {
  removed = 0;
  auto due = store::account_purge::candidates(c, now_s - keep_s, batch);
  if (!due) return due.error();
  for (const auto& x : *due) {
    // The query is the index's pre-filter; this is the rule.
    if (!due_for_purge({x.status, x.role, x.created_at, x.updated_at}, now_s, keep_s)) continue;
    const std::string detail = "by=retention status=" + x.status;
    if (auto ec = erase_user(c, x.id, "", detail, "")) return ec;
    ++removed;
  }
  return {};
}

}  // namespace enfinito::accounts
