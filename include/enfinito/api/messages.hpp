#pragma once
/**
 * @file The REST send API and message log (daemon/lib/api/messages_routes.cpp):
 * `POST /v1/instances/{id}/messages` (202 after the commit, Idempotency-Key),
 * `GET /v1/messages/{id}`, `GET /v1/instances/{id}/messages` (the log, cursor pagination,
 * filters) and `POST /v1/messages/{id}/retry` (requeue a dead message).
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_messages_routes(http::router& r, services& s);

}  // namespace enfinito::api
