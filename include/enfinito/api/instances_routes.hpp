#pragma once
/**
 * @file The /v1/instances routes: create (verified with Meta), list, get, update, delete and
 * re-verify a user's WhatsApp instances. See daemon/lib/api/instances_routes.cpp.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_instance_routes(http::router& r, services& s);

}  // namespace enfinito::api
