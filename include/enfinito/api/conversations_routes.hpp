#pragma once
/**
 * @file The web app's conversations (daemon/lib/api/conversations_routes.cpp):
 * `GET /v1/instances/{id}/conversations` (cursor-paged, newest last message first) and
 * `GET /v1/instances/{id}/conversations/{peer}`. Marking a conversation read
 * (`POST .../conversations/{peer}/read`) calls Meta and lives with the other Graph calls in
 * meta_routes.cpp. The reads, the JSON and the pure parts (the preview, the peer) are
 * conversations/conversations.hpp.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/conversations/conversations.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_conversation_routes(http::router& r, services& s);

}  // namespace enfinito::api
