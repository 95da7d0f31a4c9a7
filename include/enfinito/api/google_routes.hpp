#pragma once
/**
 * @file Google Sign-In routes (daemon/lib/api/google_routes.cpp):
 * `GET /v1/auth/google/start`, `GET /v1/auth/google/callback`, `POST /v1/me/google/link`,
 * `GET /v1/me/google`, `DELETE /v1/me/google`. With `google.enabled = false` they exist but
 * answer 404 `google_signin_disabled`.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

/** Registers the Google routes. Throws config::config_error when Google is enabled but its
    configuration or the secret file `google.client_secret` is unusable (startup). */
void register_google_routes(http::router& r, services& s);

}  // namespace enfinito::api
