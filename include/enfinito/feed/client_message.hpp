#pragma once
/**
 * @file feed::client_reader: what the live feed does with the messages a client sends on its
 * WebSocket, free of I/O (the session feeds it every complete message Beast has read; the
 * fuzz harness feeds it arbitrary bytes).
 *
 * The feed is one-way, server to client; clients send one kind of message, and only once:
 *
 *     {"resume_after": <event id>}
 *
 * as their first text message, for clients that cannot put the resume point in the URL
 * (`GET /v1/stream?after=<id>`). It must arrive while the session still waits for it
 * (feed.resume_wait_ms after the handshake, and only when the URL carried no `after`); the
 * session then sends every stored event after that id, then the live stream, exactly as with
 * `after=`. `{"resume_after": null}` (or any other first message) starts at "now" at once.
 *
 * Rules, in order:
 * - larger than `max_bytes` (Beast already closes past feed.max_client_message_bytes): 1009;
 * - binary messages, and text that is not a JSON object with a `resume_after` key: ignored
 *   (they still end the wait for a first message);
 * - `resume_after` not null and not an integer in 0..2^63-1: close 1008;
 * - `resume_after` when a resume is no longer possible (not the first message, the wait is
 *   over, or the URL had `after`): close 1008, so a client never believes it resumed when it
 *   did not.
 * Close reasons are fixed texts (never echo the client's bytes) and fit a close frame.
 */
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace enfinito::feed {

/** What the session does with one client message. */
struct client_action {
  enum class kind { ignore, resume, close };
  kind what = kind::ignore;
  std::int64_t resume_after = 0;  // kind::resume: send stored events with a greater id
  std::uint16_t close_code = 0;   // kind::close: 1008 or 1009
  std::string_view reason;        // kind::close: a static text of at most 123 bytes
};

/** The protocol state of one socket's inbound direction. Not thread-safe (one reactor). */
class client_reader {
 public:
  /**
   * @param resume_allowed the URL carried no `after` and the session waits for a first message
   * @param max_bytes the client message limit (feed.max_client_message_bytes)
   */
  client_reader(bool resume_allowed, std::size_t max_bytes) noexcept
      : may_resume_(resume_allowed), max_bytes_(max_bytes) {}

  /** One complete client message (`text`: a text frame, else binary). */
  client_action on_message(std::string_view payload, bool text);

  /** The session stopped waiting for a first message: a later resume request is refused. */
  void resume_window_closed() noexcept { may_resume_ = false; }

  /** True once any message arrived. */
  bool seen_message() const noexcept { return seen_; }

 private:
  bool may_resume_;
  bool seen_ = false;
  std::size_t max_bytes_;
};

/** The close reasons (exposed for tests). */
inline constexpr std::string_view reason_too_big = "client message too big";
inline constexpr std::string_view reason_bad_resume = "resume_after must be an event id (an integer, 0 or more)";
inline constexpr std::string_view reason_late_resume =
    "resume_after only as the first message, without after= in the URL";

}  // namespace enfinito::feed
