#pragma once
/**
 * @file The web app's conversations (daemon/lib/api/conversations_routes.cpp):
 * `GET /v1/instances/{id}/conversations` (cursor-paged, newest last message first) and
 * `GET /v1/instances/{id}/conversations/{peer}`. Marking a conversation read
 * (`POST .../conversations/{peer}/read`) calls Meta and lives with the other Graph calls in
 * meta_routes.cpp. The pure parts (the 24-hour window, the preview) are here for the tests.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::api {

/** Meta's customer-service window: 24 hours from the customer's newest message. */
inline constexpr std::int64_t service_window_ms = 24 * 60 * 60 * 1000;

struct window {
  bool open = false;
  std::optional<std::int64_t> open_until;  // unix ms; set while open
};

/**
 * Is free-form messaging allowed at `now_ms`? Open from an inbound message for 24 hours (open
 * until exactly last + 24 h, excluded); closed with no inbound message ever.
 */
window window_state(std::optional<std::int64_t> last_inbound_at_ms, std::int64_t now_ms) noexcept;

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
