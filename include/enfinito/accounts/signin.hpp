#pragma once
/**
 * @file accounts sign-in and sessions: the password check (throttled per account and per
 * client address, run on the blocking pool, a dummy hash for unknown addresses so that timing
 * does not tell), the status gate of accounts/policy.hpp, the rehash of an old password hash,
 * the second factor's gate, and the caller's sessions (list, revoke, sign out). The session itself (token, cookie) is
 * opened by accounts/sessions.hpp after a successful sign-in.
 *
 * `check_password` re-authenticates a signed-in user before a sensitive change (email,
 * password, deletion) under the same throttle, and audits a failure.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/store/accounts.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace enfinito::accounts {

enum class sign_in_outcome {
  signed_in,               // `user` got a session: `session_token`
  second_factor_required,  // `user` has a second factor: no session yet, `challenge` for the second step
  throttled,               // too many failures: retry after `wait`
  invalid_credentials,     // unknown address or wrong password (the caller cannot tell which)
  not_active,              // right password, but `user.status` does not sign in
};
struct sign_in_result {
  core::error_code ec;  // the store failed
  sign_in_outcome outcome = sign_in_outcome::invalid_credentials;
  std::chrono::seconds wait{};
  store::accounts::user user;     // set for signed_in, second_factor_required and not_active
  core::secret_string challenge;  // second_factor_required (accounts/second_factor.hpp)
  std::string session_token;      // signed_in (accounts/sessions.hpp)
};

/** Signs in with `password` for `email` (already normalised): the check, then the second
    factor's challenge if one is enrolled, else a new session. */
net::awaitable<sign_in_result> sign_in(context& ctx, const std::string& email, const std::string& password,
                                       const std::string& address);

enum class password_verdict { ok, throttled, wrong };
struct password_check {
  password_verdict verdict = password_verdict::wrong;
  std::chrono::seconds wait{};  // when throttled
};

/** Re-authenticates `u` with `password`; a failure counts in the throttle and the audit log. */
net::awaitable<password_check> check_password(context& ctx, const store::accounts::user& u, const std::string& password,
                                              const std::string& address);

/** check_password for the user `user_id`, read first; `ec` when the store failed or the user is gone. */
struct identity_check {
  core::error_code ec;
  password_check check;
};
net::awaitable<identity_check> check_password_of(context& ctx, const std::string& user_id, const std::string& password,
                                                 const std::string& address);

/** Ends the session `session_id` of `user_id`, audited. */
net::awaitable<core::error_code> sign_out(context& ctx, const std::string& user_id, const std::string& session_id,
                                          const std::string& address);

/** The user's sessions. */
net::awaitable<core::result<std::vector<store::accounts::session>>> list_sessions(context& ctx,
                                                                                  const std::string& user_id);

/** Ends one of the user's sessions, audited; store::error::not_found when it is not theirs. */
net::awaitable<core::error_code> revoke_session(context& ctx, const std::string& user_id, const std::string& session_id,
                                                const std::string& address);

}  // namespace enfinito::accounts
