#pragma once
/**
 * @file The live feed's routes (daemon/lib/api/stream_routes.cpp):
 * - `GET /v1/stream`: authenticates, validates the filters, then lets the HTTP server hand the
 *   connection to a feed session (feed/session.hpp), which answers the WebSocket handshake.
 *   Credentials: `Authorization: Bearer <API key>`; `?ticket=` from the route below; or the
 *   session cookie, only with an `Origin` equal to server.public_url's origin (browsers send
 *   cookies on cross-site WebSocket handshakes: no cross-site WebSocket hijacking).
 * - `POST /v1/stream/ticket`: a single-use ticket valid feed.ticket_ttl_ms, for browsers.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_stream_routes(http::router& r, services& s);

}  // namespace enfinito::api
