#pragma once
/**
 * @file HTTP/1.1 request framing: where a request's body ends (RFC 9112 §6), decided once, by
 * one pure function, from the head as received. No I/O; the server (through `http::admit`,
 * admission.hpp), the differential test's probe and the fuzzer all call it.
 *
 * Why one function: a request whose length two parsers see differently is a request-smuggling
 * hole (a front proxy and this daemon disagree where the next request starts). So every head
 * that is not plainly one of "no body", "Content-Length N" or "chunked" is refused, and every
 * refusal closes the connection: bytes after a refused head are never parsed as a request.
 *
 * The table (docs/reliability.md, "HTTP framing"):
 *   - HTTP version other than 1.0 / 1.1                        → 505, close
 *   - a Transfer-Encoding or Content-Length value with CR/LF (obs-fold) → 400, close
 *   - Transfer-Encoding (all fields' lists concatenated):
 *       in HTTP/1.0 (§6.1)                                    → 400, close
 *       with Content-Length (§6.3 ¶3: never "prefer TE")      → 400, close
 *       malformed list or coding (not a token, bad parameter) → 400, close
 *       anything after the final coding (OWS, a comma)        → 400, close (RFC 9110 allows
 *                                                                both; llhttp does not, and
 *                                                                two readings are one too many)
 *       final coding not chunked, or no coding at all (§6.3 ¶4) → 400, close
 *       chunked with parameters, or chunked twice (§7)        → 400, close
 *       any other coding before chunked (gzip, identity, …)   → 501, close (§6.1: we decode none)
 *       exactly `chunked` (any case)                          → chunked
 *   - Content-Length:
 *       more than one field, or a list (`5, 5`)               → 400, close (RFC 9110 §8.6
 *                                                                allows either; refusing
 *                                                                leaves nothing to interpret)
 *       not 1*DIGIT (sign, space, trailing OWS, hex, empty)
 *       or above 2^64-1                                       → 400, close
 *       above the route's body limit                          → 413, close
 *       N                                                     → length N
 *   - neither                                                 → no body
 *   - CONNECT: framed as above, but the connection closes after the answer (no tunnel here;
 *     a peer that took the answer for a tunnel would otherwise desynchronise).
 */
#include <enfinito/core/net.hpp>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/message.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

namespace enfinito::http {

/**
 * One header field as received (name and value, in order; repeated names repeat). The value
 * starts after the colon's OWS and keeps whatever trails it; an obs-fold continuation line
 * stays in the value, CRLF and all.
 */
struct header_field {
  std::string_view name;
  std::string_view value;
};

/** What framing needs of a request head. */
struct request_head {
  std::string_view method;
  unsigned version = 11;  // 10 = HTTP/1.0, 11 = HTTP/1.1 (Beast's encoding)
  std::span<const header_field> fields;
};

enum class body_framing { none, length, chunked, reject };

/** The framing decision. For `reject`: the status to answer, a problem code and title. */
struct framing_verdict {
  body_framing kind = body_framing::none;
  std::uint64_t length = 0;  // body_framing::length only
  unsigned status = 0;       // body_framing::reject only: 400, 413, 501 or 505
  std::string_view code;     // problem+json `code` for a reject
  std::string_view reason;   // problem+json `title` for a reject (our text, never client input)
  bool close = false;        // the connection must close after the answer (always on reject)
  bool ok() const noexcept { return kind != body_framing::reject; }
};

inline constexpr std::uint64_t no_body_limit = std::numeric_limits<std::uint64_t>::max();

/** The table above. Pure: the same head always gives the same verdict. */
framing_verdict decide_framing(const request_head& head, std::uint64_t body_limit = no_body_limit);

/** Whether the head (the bytes up to the first empty line) has an obs-fold (RFC 9112 §5.2). */
bool has_obs_fold(std::string_view bytes);

/**
 * The header fields of a raw request head (request line, field lines, up to the empty line),
 * as received. Views into `head`. A line without a colon gives a field with an empty name.
 */
std::vector<header_field> raw_fields(std::string_view head);

/**
 * Whether Beast's parser, its head parsed, frames the body as `v` says: `chunked()` for
 * chunked, `content_length()` for a length, neither for no body. A verdict that is not a
 * rejection must always agree (tests/fuzz/http_request_fuzz.cpp holds it to that).
 */
bool beast_agrees(const framing_verdict& v, const beast::http::basic_parser<true>& p);

/**
 * The server's admission of a head Beast has parsed (`p.is_header_done()`): the verdict for
 * the head's raw bytes (`raw`, as received: Beast trims what the table must see), plus the
 * refusals that are not about framing (two Host fields), plus a check that Beast's own
 * framing of the head (`p.chunked()`, `p.content_length()`) is the verdict's; where they
 * differ, a 400 and close, so the two can never read the body differently.
 */
framing_verdict admit_head(std::string_view raw, const beast::http::request_header<>& head,
                           const beast::http::basic_parser<true>& p, std::uint64_t body_limit);

}  // namespace enfinito::http
