#pragma once
/**
 * @file feed::start_session: one WebSocket subscriber of the live feed (`GET /v1/stream`).
 *
 * The HTTP server hands over the connection once the route accepted the upgrade
 * (http::request::upgrade); the session then answers the WebSocket handshake and runs:
 *
 * 1. subscribe to the bus first, buffering live events;
 * 2. catch up: with `after`, every stored event after it (store::events::list, paged); without,
 *    start at the newest stored id ("now"), unless the client's first message, within
 *    `resume_wait` of the handshake, is `{"resume_after": <id>}` (feed/client_message.hpp):
 *    then every stored event after that id, as with `after`;
 * 3. go live: buffered events with an id already sent are dropped, the rest queued. Events
 *    commit in id order and are published after commit, so there is neither gap nor duplicate.
 *
 * Per socket: one writer coroutine and a bounded outbound queue (messages and bytes). When several
 * events wait, the writer sends them in one socket write of ready-made frames (feed/frames.hpp,
 * at most `max_gather_bytes` unless one event alone is larger; each event is still its own
 * WebSocket message, in id order). The queue bounds count the events not yet taken by a write,
 * as before. A consumer
 * that lets the queue fill is closed with 4008 and the last id it was sent in the reason, to
 * resume with `after`. Pings (Beast's keep-alive) every `ping_interval`; a peer silent for twice
 * that is dropped. A single write stalled past `write_timeout` drops the connection. Client
 * messages larger than `max_client_message` close with 1009; a malformed or late resume request
 * closes with 1008; anything else is ignored.
 *
 * Close codes: 1000 normal, 1001 daemon stopping, 1008 bad or late resume request, 1009 client
 * message too big,
 * 4008 too slow (reason "too slow, resume with after=<id>"), 1011 database error.
 */
#include <enfinito/core/net.hpp>
#include <enfinito/feed/bus.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio::ssl {
template <class>
class stream;
}

namespace enfinito::store {
class store;
}

namespace enfinito::feed {

/** The socket's close code when its consumer is too slow. */
constexpr std::uint16_t close_too_slow = 4008;

/** What one socket receives (validated by the route). */
struct subscription {
  std::string user_id;
  std::vector<std::string> scope;      // the API key's instances; empty: all of the user's
  std::vector<std::string> instances;  // ?instances= filter; empty: all (within scope)
  std::vector<std::string> types;      // ?types= filter; empty: all
  std::optional<std::int64_t> after;   // resume point; none: from now
};

struct session_options {
  std::size_t max_queued_messages = 4096;
  std::size_t max_queued_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds ping_interval{30'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  std::size_t max_client_message = 4096;
  std::size_t catchup_page = 500;
  std::chrono::milliseconds resume_wait{1'000};  // wait for a first-message resume; 0: none
  std::size_t max_gather_bytes = 64 * 1024;      // frame bytes one gathered socket write carries at most
};

struct session_context {
  bus* events = nullptr;
  store::store* db = nullptr;  // null: no catch-up, start at id 0 (benchmarks)
  std::size_t reactor = 0;     // the reactor the socket lives on
  subscription sub;
  session_options opts;
  bool holds_slot = false;  // release a bus connection slot when done
};

using beast_request = boost::beast::http::request<boost::beast::http::string_body>;
using tcp_socket = net::ip::tcp::socket;

/** Starts a session on a socket whose Upgrade request `req` was accepted. Runs on its reactor. */
void start_session(tcp_socket socket, beast_request req, session_context ctx);
void start_session(ssl::stream<tcp_socket> socket, beast_request req, session_context ctx);

}  // namespace enfinito::feed
