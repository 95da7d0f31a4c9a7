#pragma once
/**
 * @file The fair-share routes (daemon/lib/api/limits_routes.cpp; flows in limits/tenants.hpp):
 * - `GET /v1/me/limits`, `GET /v1/admin/users/{id}/limits`: effective rate limits and quotas
 *   with what is used, and the stored override;
 * - `PUT /v1/admin/users/{id}/limits`: replaces a tenant's override (administrators, by session);
 * - `GET /v1/me/usage`, `GET /v1/admin/users/{id}/usage`: messages sent and received per UTC day.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_limits_routes(http::router& r, services& s);

}  // namespace enfinito::api
