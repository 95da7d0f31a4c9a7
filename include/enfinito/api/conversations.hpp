#pragma once
/**
 * @file The web app's conversations (daemon/lib/api/conversations_routes.cpp):
 * `GET /v1/instances/{id}/conversations` (cursor-paged, newest last message first) and
 * `GET /v1/instances/{id}/conversations/{peer}`. Marking a conversation read
 * (`POST .../conversations/{peer}/read`) calls Meta and lives with the other Graph calls in
 * meta_routes.cpp. The pure parts (the preview, the peer) are here for the tests; the 24-hour
 * window is templates::window_at (templates/checks.hpp), shared with the pre-send checks.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::api {

/** At most this many characters (code points) in a conversation's preview. */
inline constexpr std::size_t preview_max_chars = 120;

/**
 * What the list shows of a message: its text, the media caption, or "[image]" (etc.) from
 * its stored JSON body (outbound: what went to Meta; inbound: Meta's message object).
 */
std::string message_preview(std::string_view type, std::string_view body_json);

/** A peer as a path segment: its recipient key (meta::recipient_key), or nullopt if not one. */
std::optional<std::string> peer_from_path(std::string_view segment);

void register_conversation_routes(http::router& r, services& s);

}  // namespace enfinito::api
