#pragma once
/**
 * @file store::account_purge: the SQL that finds sign-ups never approved or rejected long ago
 * (retention of accounts that never became active; accounts/retention.hpp decides, app's
 * housekeeping deletes). Same conventions as store::accounts: the `connection&` of a store
 * write, unix seconds.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace enfinito::store::account_purge {

/** An account that never became (or no longer may become) active. */
struct candidate {
  std::string id;
  std::string role;
  std::string status;  // pending | rejected
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;  // for a rejected account: when it was rejected
};

/**
 * At most `limit` accounts of role user: pending accounts created at or before `cutoff`, and rejected accounts last
 * changed at or before `cutoff`.
 */
core::result<std::vector<candidate>> candidates(connection& c, std::int64_t cutoff, std::size_t limit);

}  // namespace enfinito::store::account_purge
