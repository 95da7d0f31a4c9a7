#pragma once
/**
 * @file The Graph-compatible routes under `graph.prefix` (default `/graph`): Meta's Cloud API
 * shapes over Enfinito's queue, so existing WhatsApp programs and SDKs work by changing their
 * base URL and token (daemon/lib/api/graph_routes.cpp).
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_graph_routes(http::router& r, services& s);

}  // namespace enfinito::api
