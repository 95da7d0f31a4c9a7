#pragma once
/**
 * @file accounts::retention: accounts that never became active are not kept forever. The
 * privacy policy keeps data "as long as your account is active"; a sign-up an administrator
 * never approved, or rejected, is deleted `retention.rejected_days` after it was made
 * (pending) or refused (rejected), with the same cascade as a self-delete
 * (accounts::erase_user) and an audit entry that names no one (`account_deleted`,
 * `by=retention`). Active and suspended accounts, and administrators, are never touched here.
 *
 * The decision is a pure function of the account and `now` (unit-tested with a manual
 * clock); the sweep is one bounded store write, run by app's housekeeping.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace enfinito::accounts {

/** What the decision looks at: times in unix seconds. */
struct purge_facts {
  std::string_view status;  // pending | active | rejected | suspended
  std::string_view role;    // admin | user
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;  // a rejection sets it
};

/**
 * Whether the account is due for deletion at `now_s` when unapproved sign-ups are kept
 * `keep_s` seconds: pending since `created_at`, or rejected since `updated_at`, for at least
 * `keep_s`. Never an administrator, an active or a suspended account.
 */
bool due_for_purge(const purge_facts& a, std::int64_t now_s, std::int64_t keep_s) noexcept;

/**
 * Deletes at most `batch` due accounts (the self-delete cascade, audited); sets `removed`.
 * Runs inside a store write.
 */
core::error_code purge_unapproved(store::connection& c, std::int64_t now_s, std::int64_t keep_s, std::size_t batch,
                                  std::size_t& removed);

}  // namespace enfinito::accounts
