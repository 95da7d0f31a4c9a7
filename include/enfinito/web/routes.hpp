#pragma once
/**
 * @file web::register_routes: what the web app needs from the daemon besides the REST API.
 *
 * - The app itself (web/static_files.hpp), as the router's fallback: GET/HEAD of `/assets/…`,
 *   and of any other path outside the API roots (`/v1`, the Graph-compatible prefix,
 *   `/webhooks`) when the client asks for HTML (a browser opening an app URL). Everything
 *   else keeps the JSON 404.
 * - `GET /v1/auth/providers`: which sign-in methods the sign-in page offers.
 * - The dev sandbox routes `/v1/dev/…` (web/sandbox.hpp; 404 unless the sandbox is on).
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::web {

/** Registers the routes above. Called once by app::app at startup, after the API routes. */
void register_routes(http::router& r, api::services& s);

}  // namespace enfinito::web
