#pragma once
/**
 * @file The fair-share routes (daemon/lib/api/limits_routes.cpp; flows in limits/tenants.hpp):
 * - `GET /v1/me/limits`, `GET /v1/admin/users/{id}/limits`: effective rate limits and quotas
 *   with what is used, and the stored override;
 * - `PUT /v1/admin/users/{id}/limits`: replaces a tenant's override (administrators, by session);
 * - `GET /v1/me/usage`, `GET /v1/admin/users/{id}/usage`: messages sent and received per UTC day.
 * And the export's part (P8, with accounts/erasure.hpp): the limits and quotas in force and every
 * day of usage still kept.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/http/router.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace enfinito::api {

void register_limits_routes(http::router& r, services& s);

/**
 * The personal-data export's members for `user_id`: "limits" (as GET /v1/me/limits answers) and
 * "usage" (every kept UTC day with messages: date, sent, received). not_found: no such user.
 */
net::awaitable<core::result<boost::json::object>> limits_export(services& s, const std::string& user_id);

}  // namespace enfinito::api
