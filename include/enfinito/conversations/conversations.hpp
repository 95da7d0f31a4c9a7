#pragma once
/**
 * @file conversations: the web app's conversations (api/conversations_routes.cpp parses,
 * authenticates and shapes). A conversation is a peer of the instance with its newest message,
 * the unread inbound count and Meta's 24-hour customer-service window; the store reads them
 * (store/conversations.hpp), each read together with the instance's ownership; this module
 * makes the JSON, whose window is templates::window_at, the one the pre-send checks decide with.
 * The pure parts (the preview, the peer as a path segment) have unit tests.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/conversations.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::conversations {

/** At most this many characters (code points) in a conversation's preview. */
inline constexpr std::size_t preview_max_chars = 120;

/**
 * What the list shows of a message: its text, the media caption, or "[image]" (etc.) from
 * its stored JSON body (outbound: what went to Meta; inbound: Meta's message object).
 */
std::string message_preview(std::string_view type, std::string_view body_json);

/** A peer as a path segment: its recipient key (meta::recipient_key), or nullopt if not one. */
std::optional<std::string> peer_from_path(std::string_view segment);

/** The conversation as the API shows it at `now` (unix ms). */
boost::json::object conversation_json(const store::conversations::conversation& v, std::int64_t now);

/**
 * A page of the list as the API shows it at `now`: `rows` as read (up to `limit` + 1: one more
 * says a next page exists, and is not shown), `data` and `next_cursor` (null on the last page).
 */
boost::json::object page_json(std::vector<store::conversations::conversation>& rows, std::size_t limit,
                              std::int64_t now);

/** Whose conversations: the caller's user id and one of their instances. */
struct owner {
  std::string user_id;
  std::string instance_id;
};

/**
 * The instance's conversations, newest last message first, below `before_seq` (0: none), at
 * most `limit`; store::error::not_found when the instance is not the user's. One read.
 */
net::awaitable<core::error_code> list(store::store& db, const owner& o, std::int64_t before_seq, std::size_t limit,
                                      std::vector<store::conversations::conversation>& rows);

struct found {
  core::error_code ec;
  bool instance = false;  // the instance is the user's (ec not_found then: no such conversation)
  store::conversations::conversation conversation;
};
/** The conversation with `peer` (a key from peer_from_path). One read. */
net::awaitable<found> get(store::store& db, const owner& o, std::string peer);

}  // namespace enfinito::conversations
