#pragma once
/** @file The one place that lists every group of REST routes (daemon/lib/api/routes.cpp). */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

/** Registers every public API route. Called once by app::app at startup. */
void register_all(http::router& r, services& s);

}  // namespace enfinito::api
