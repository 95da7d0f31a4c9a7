#pragma once
/**
 * @file api security routes (daemon/lib/api/security_routes.cpp): the audit log's reads,
 * `GET /v1/me/audit` (the caller's own entries, sign-ins and failed sign-ins included) and
 * `GET /v1/admin/audit` (everyone's, filtered; administrators with a session), and the TOTP
 * second factor: `POST /v1/me/totp` (enrol), `POST /v1/me/totp/confirm`,
 * `DELETE /v1/me/totp` (remove, with a code), `GET /v1/me/totp`, and the sign-in's second
 * step `POST /v1/auth/signin/second-factor`. The flows are accounts/totp.hpp and
 * accounts/audit.hpp.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

/** Registers the audit and second-factor routes (called by register_all). */
void register_security_routes(http::router& r, services& s);

}  // namespace enfinito::api
