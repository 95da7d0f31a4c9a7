#pragma once
/**
 * @file The Graph-compatible routes under `graph.prefix` (default `/graph`): Meta's Cloud API
 * shapes over Enfinito's queue, so existing WhatsApp programs and SDKs work by changing their
 * base URL and token (daemon/lib/api/graph_routes.cpp).
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>
#include <enfinito/meta/message_rules.hpp>

#include <variant>

namespace enfinito::api {

void register_graph_routes(http::router& r, services& s);

/**
 * The pure part of `POST {prefix}/{version}/{phone}/messages`, without sockets or the store
 * (the fuzz harness calls it): parses the body with `limits` and runs meta::check_message.
 * The checked message (a send or a mark-as-read), or Meta's error envelope to answer
 * (100 for an invalid body or parameter, 131008 for a missing one).
 */
std::variant<meta::checked_message, http::response> check_graph_message_body(const http::request& req,
                                                                             const http::json_limits& limits);

}  // namespace enfinito::api
