#pragma once
/**
 * @file api::authenticate: who is calling, and may they do this? Every `/v1` handler that is
 * not public starts with it:
 *
 *     auto who = co_await api::authenticate(req, s, api::access::write);
 *     if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
 *     auto& p = std::get<api::principal>(who);
 *
 * Two credentials are accepted:
 * - `Authorization: Bearer <API key>` (programs). Never from the query string. Keys are
 *   looked up by SHA-256 in a per-reactor cache (auth/runtime.hpp) that the store's change
 *   stream invalidates on every reactor once a revocation, suspension or deletion commits.
 * - The session cookie (people, in a browser). For unsafe methods (anything but GET/HEAD)
 *   CSRF is refused by requiring `Content-Type: application/json` (a non-simple type a
 *   cross-site form cannot send) and, when the browser says where the request comes from,
 *   an `Origin` equal to `server.public_url`'s origin and `Sec-Fetch-Site` of `same-origin`
 *   or `none`.
 * Only users whose status is `active` get a principal. Failures answer 401 (no or bad
 * credentials) or 403 (CSRF, read-only key, not an admin) as problem+json. An administrator
 * who signed in without a second factor holds an enrolment-only session: everything but
 * `GET /v1/me`, `/v1/me/totp…` and sign-out answers 403 `second_factor_enrolment_required`.
 *
 * Every sign-in flow (password, second factor, Google) opens its session itself
 * (accounts/sessions.hpp); `session_cookie` makes its `Set-Cookie` value. The lookups are
 * accounts/sessions.hpp's, the decisions auth/guard.hpp's; this adapter turns them into answers.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/api/services.hpp>
#include <enfinito/auth/guard.hpp>
#include <enfinito/http/message.hpp>
#include <enfinito/store/audit.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace enfinito::api {

// Who is calling and what they may reach: auth/guard.hpp's, under the names every route uses.
using auth::access;
using auth::principal;

/**
 * Authenticates `Authorization: Bearer <API key>` or the session cookie (CSRF-checked for
 * unsafe methods). Returns the principal, or the problem response to send (401/403).
 * Thread safety: call on the reactor that runs the request.
 */
net::awaitable<std::variant<principal, http::response>> authenticate(http::request& req, services& s, access need);

/** 401 `unauthenticated` with `WWW-Authenticate: Bearer`: no credential, or an unknown one. */
http::response unauthenticated(std::string_view detail);

/** The name of the session cookie: `__Host-enfinito_session` with TLS, else `enfinito_session`. */
std::string session_cookie_name(const config::settings& cfg);

/** The `Set-Cookie` value of a session a sign-in opened (accounts/sessions.hpp). */
std::string session_cookie(const config::settings& cfg, std::string_view token);

/** A `Set-Cookie` value that deletes the session cookie. */
std::string expired_session_cookie(const config::settings& cfg);

/** The value of cookie `name` in the request, if present. */
std::optional<std::string> request_cookie(const http::request& req, std::string_view name);

/** What the account flows (accounts/) use, from the routes' services. */
accounts::context account_context(services& s);

/** The client address as recorded in the audit log. */
std::string client_address(const http::request& req);

/** The audit log's actor of a request: the principal's user, its API key if any, the address. */
store::audit::actor audit_actor(const principal& p, const http::request& req);

}  // namespace enfinito::api
