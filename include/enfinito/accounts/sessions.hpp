#pragma once
/**
 * @file accounts sessions: what a credential names, and the session a sign-in opens. These are
 * the store sequences behind api::authenticate and every sign-in route (password, second factor,
 * Google); the decisions they apply are auth/guard.hpp's.
 *
 * - `find_key_principal`: an API key, looked up by SHA-256 in the reactor's cache
 *   (auth/runtime.hpp), else in the store (then cached); only a found, unrevoked key of an
 *   active user names a principal. Its last_used_at is written at most every
 *   auth::touch_every_s, without waiting.
 * - `find_session_principal`: a session token, looked up by SHA-256 with its user and, for an
 *   administrator, whether the session is enrolment-only. Only a usable session
 *   (auth::session_usable) names a principal; its last_seen_at is written (at most every
 *   auth::touch_every_s, without waiting) only when the caller says the request may go on.
 * - `open_session`: a new random 256-bit token, stored hashed with the configured timeouts,
 *   expired sessions swept, an administrator without a second factor restricted to enrolling
 *   one (accounts/second_factor.hpp), the sign-in audited; all in one transaction.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/auth/guard.hpp>
#include <enfinito/core/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::accounts {

/** A credential's lookup: the store failed (`ec`), it names nobody (no `who`), or `who`. */
struct credential_lookup {
  core::error_code ec;
  std::optional<auth::principal> who;
};

/** The principal of API key `key` (as sent), on reactor `reactor`. */
net::awaitable<credential_lookup> find_key_principal(context& ctx, std::size_t reactor, std::string_view key);

/** The principal of session token `token`; `touch`: write last_seen_at (the request goes on). */
net::awaitable<credential_lookup> find_session_principal(context& ctx, std::string_view token, bool touch);

/** Opens a session for `user_id` after a sign-in by `method` ("password", "totp", "recovery_code",
    "google"); returns its token (for the cookie), or the store's error. */
net::awaitable<core::result<std::string>> open_session(context& ctx, const std::string& user_id,
                                                       const std::string& method, const std::string& address);

}  // namespace enfinito::accounts
