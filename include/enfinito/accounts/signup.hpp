#pragma once
/**
 * @file accounts sign-up and approval: a new account waits as `pending` until an
 * administrator (the admin API or `enfinitoctl approve`) approves it, which mails the user;
 * administrators also reject, suspend (every session ends) and reinstate, along the
 * transitions of accounts/policy.hpp, each with its audit entry.
 *
 * A sign-up for an address that is taken gets the same answer, after the same hashing work,
 * as a fresh one; only the audit log records it (no mail: no mail bomb). In dev mode the very
 * first account becomes an active administrator, decided inside the insert's transaction.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>

#include <string>
#include <string_view>

namespace enfinito::accounts {

enum class signup_outcome {
  pending,      // stored (or the address was taken: the caller cannot tell)
  first_admin,  // dev mode: this first account is an active administrator
  busy,         // the password could not be hashed now
};
struct signup_result {
  core::error_code ec;  // the store failed
  signup_outcome outcome = signup_outcome::pending;
  std::string user_id;  // set for first_admin
};

/** Signs up `email` (already normalised) with a valid name and password. */
net::awaitable<signup_result> sign_up(context& ctx, const std::string& name, const std::string& email,
                                      const std::string& password, const std::string& address);

/** The outcome of an administrator action on a user. */
enum class user_action_result { done, not_found, invalid_transition };

/**
 * Runs inside a store write: moves the user `user_id` through `action` ("approve": pending →
 * active and the approval mail; "reject": pending → rejected; "suspend": active → suspended and
 * every session ended; "reinstate": suspended → active), with an audit entry by `actor_id`
 * (empty: the operator via enfinitoctl); `vault` seals the mail's body. After a suspend commits,
 * the caller invalidates the API-key cache so the user's keys fail at once.
 */
core::error_code apply_user_action(store::connection& c, const config::settings& cfg, const crypto::vault& vault,
                                   std::string_view user_id, std::string_view action, std::string_view actor_id,
                                   std::string_view address, user_action_result& outcome);

struct administer_result {
  core::error_code ec;
  user_action_result outcome = user_action_result::done;
  store::accounts::user user;  // when done: the account as it is now
};

/** apply_user_action by an administrator, in its own write; then the account read back. */
net::awaitable<administer_result> administer(context& ctx, const std::string& user_id, const std::string& action,
                                             const std::string& actor_id, const std::string& address);

}  // namespace enfinito::accounts
