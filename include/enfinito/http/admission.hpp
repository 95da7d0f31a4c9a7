#pragma once
/**
 * @file http::admit: everything the server decides about a request before its body, as one
 * pure function of the head as received, the route match and the limits. No I/O: the server
 * (`server.cpp` serve_one) reads the head, calls it and carries the verdict out; the unit
 * tests drive it row by row and the HTTP fuzz harness calls it on arbitrary bytes.
 *
 * The decisions, in the order the server acts on them:
 *   1. the framing and smuggling verdict (framing.hpp `admit_head`, with the route's body
 *      limit): a refusal is answered at once and the connection closes;
 *   2. the body limit: the route's (`route_options::body_limit`), else the server's;
 *   3. whether there is a body to read and where it goes: in memory, or spooled to an unnamed
 *      file in the route's `spool_dir` (the server then holds one of the route's spool places
 *      first: none free is `media_busy`, a 503 the client may retry);
 *   4. `Expect: 100-continue` with a body to read: send 100 before reading it (never for a
 *      request refused in 1 or 3, so a client never uploads in vain);
 *   5. no route for the request: 400 (bad %-escape in the path), 405 (with Allow) or 404,
 *      answered after the body is read, the connection kept as for any answer;
 *   6. whether the connection closes after the answer (CONNECT: no tunnels here).
 *
 * `head_failure` and `body_failure` say what to answer when the head or the body could not be
 * read (timeouts, limits, malformed bytes, a full disk), so those answers too are decided
 * here and not in the I/O code.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/http/framing.hpp>
#include <enfinito/http/router.hpp>

#include <cstdint>
#include <string_view>

namespace enfinito::http {

/** An answer the server gives without a handler: a problem+json (RFC 9457). */
struct refusal {
  unsigned status = 0;  // 0: nothing to answer
  std::string_view code;
  std::string_view title;
  bool retry_later = false;  // a 503 the client may retry: `Retry-After: 5`
  std::string_view allow;    // a 405: the Allow header (a view into the match result)
  explicit operator bool() const noexcept { return status != 0; }
};

enum class body_plan { none, memory, spool };

/** The verdict on a head. */
struct admission {
  refusal refuse;                    // set: answer it before any body, then close
  framing_verdict framing;           // how the body is framed (reject when `refuse` is set)
  std::uint64_t body_limit = 0;      // for the body parser
  body_plan body = body_plan::none;  // none: the head completed the request
  bool send_continue = false;        // answer 100 Continue before reading the body
  refusal miss;                      // no handler: answer this after the body
  bool close = false;                // close after the answer, whatever the client asked
};

struct admission_limits {
  std::uint64_t body_bytes = 1024 * 1024;  // the body limit of routes that set none
};

/**
 * The verdict on a head Beast parsed (`p.is_header_done()`); `raw` is the head as received
 * (framing.hpp: Beast trims what the framing table must see) and `m` the router's match for
 * the head's method and path. Pure: the same arguments always give the same verdict.
 */
admission admit(std::string_view raw, const beast::http::request_header<>& head,
                const beast::http::basic_parser<true>& p, const match_result& m, const admission_limits& limits);

/**
 * What to answer when the head could not be read with `ec` (`timed_out`: the session's timer
 * fired; `got_bytes`: the request had begun). No status: close without an answer (an idle
 * keep-alive connection timing out, a client that closed).
 */
refusal head_failure(const core::error_code& ec, bool timed_out, bool got_bytes);

/** What to answer when the body could not be read with `ec`. No status: close silently. */
refusal body_failure(const core::error_code& ec, bool timed_out);

/** No spool place free on the route (route_options::spool_max): refused before the body. */
inline constexpr refusal media_busy{503, "media_busy", "Too many media transfers in progress", true, {}};
/** The spool file could not be opened. */
inline constexpr refusal spool_unavailable{503, "upload_spool_unavailable", "Cannot take an upload now", true, {}};

}  // namespace enfinito::http
