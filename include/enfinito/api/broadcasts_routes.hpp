#pragma once
/**
 * @file The broadcast API (daemon/lib/api/broadcasts_routes.cpp; the flow is
 * broadcasts/broadcasts.hpp): `POST /v1/instances/{id}/broadcasts` (JSON, or a CSV upload
 * spooled to disk), `GET /v1/instances/{id}/broadcasts`, `GET /v1/broadcasts/{id}` (with
 * counts by status), `POST /v1/broadcasts/{id}/pause|resume|cancel` and
 * `GET /v1/broadcasts/{id}/recipients` (per-recipient outcomes as CSV, streamed).
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_broadcast_routes(http::router& r, services& s);

}  // namespace enfinito::api
