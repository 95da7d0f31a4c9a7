#pragma once
/**
 * @file What a route handler sees (`http::request`) and returns (`http::response`), and the
 * helpers that build JSON and problem+json answers.
 *
 * Errors follow RFC 9457 (`application/problem+json`) with a stable machine-readable `code`;
 * the `detail` is always our own text, never echoed client input or upstream bodies.
 */
#include <enfinito/core/json_strict.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
template <class>
class stream;
}

namespace enfinito::http {

namespace bhttp = boost::beast::http;
using beast_request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;
using status = bhttp::status;
using verb = bhttp::verb;

struct route;
struct prepared_answer;

/**
 * A streamed response body: called repeatedly; appends the next part to `chunk` and returns
 * true while more follows, false after the last part. An error aborts the response mid-way
 * (the connection is closed without the final chunk, so the client sees it incomplete).
 */
using body_producer = std::function<net::awaitable<boost::system::result<bool>>(std::string& chunk)>;

/**
 * Takes over a connection whose request was an accepted `Upgrade` (the WebSocket feed): it
 * receives the socket (plain or TLS, per the listener) and the request, and owns them from
 * then on; the HTTP session ends without answering or closing.
 */
struct upgrade_handler {
  std::function<void(net::ip::tcp::socket&&, beast_request&&)> plain;
  std::function<void(ssl::stream<net::ip::tcp::socket>&&, beast_request&&)> tls;
  explicit operator bool() const noexcept { return plain || tls; }
};

/** A request as a handler sees it. Lives on one reactor for the duration of the handler. */
struct request {
  beast_request& msg;
  std::string_view path;                                         // raw (still percent-encoded) path, without the query
  std::string_view query;                                        // raw query string without '?'
  std::vector<std::pair<std::string_view, std::string>> params;  // path parameters, decoded
  std::string request_id;
  net::ip::address remote;
  std::size_t reactor = 0;
  const route* matched = nullptr;
  /**
   * Set by a handler whose answer is too large to build in memory (the personal-data export):
   * the handler returns the status and headers, and the server sends this producer's parts
   * with chunked transfer encoding, each under the write timeout.
   */
  body_producer stream_body{};
  /**
   * Set by a handler that accepts a WebSocket upgrade (after authenticating and validating):
   * when the request is a valid `Upgrade: websocket`, the server hands the connection to it
   * instead of writing the returned response. The handler must answer the non-upgrade case
   * itself (426), so the returned response is only used when no hand-over happens.
   */
  upgrade_handler upgrade{};
  /** The body of a route with route_options::spool_dir, mapped from its file; else empty. */
  std::string_view spooled_body{};
  /**
   * Set by a handler whose answer was fixed at startup (the web app's embedded files,
   * http::prepare_answer): the server sends its pre-serialised head, the per-request fields and
   * its body from where they are, and ignores the returned response.
   */
  const prepared_answer* prepared = nullptr;

  /** The request body: the spooled file's bytes, or the message's. */
  std::string_view body() const;

  /** A path parameter by name (empty when absent). */
  std::string_view param(std::string_view name) const;
  /** A header value, if present. */
  std::optional<std::string_view> header(std::string_view name) const;
  /** The first query parameter with that name, percent-decoded. */
  std::optional<std::string> query_param(std::string_view name) const;
};

/**
 * An answer fixed for the life of the process: its head serialised once (status line, the
 * handler's fields, Content-Length and the fields every answer carries), so that serving it
 * costs one gathered write and no field is built per request. The server adds only what
 * changes per request: X-Request-Id, Strict-Transport-Security on TLS, `Connection: close`.
 * `body` must outlive the process's servers (the binary's read-only data).
 */
struct prepared_answer {
  std::string head;  // status line and fields, each ending in CRLF; no blank line
  std::string_view body;
  unsigned status = 0;
};
/** Prepares `head` (status and fields; its body is ignored) with `body` (http/server.cpp). */
prepared_answer prepare_answer(response head, std::string_view body);

/** Limits applied when parsing a JSON body. */
struct json_limits {
  std::size_t max_depth = 32;
  std::size_t max_elements = 100'000;
};

/** A JSON response with `Content-Type: application/json`. */
response json_response(status s, const boost::json::value& body);
response json_response(status s, std::string serialized);
/** An RFC 9457 problem: `{type, title, status, code, detail?}`. */
response problem(status s, std::string_view code, std::string_view title, std::string_view detail = {});
/** A problem naming the offending field (validation errors): adds `field`. */
response field_problem(std::string_view field, std::string_view detail, std::string_view code = "invalid_field");
/** 204 No Content. */
response no_content();

/** The outcome of parsing a body: the value, or the problem to answer with. */
struct json_body {
  std::optional<boost::json::value> value;
  std::optional<response> error;
  std::optional<core::json_strict_error> refusal;  // set with `error` when the text was refused
};
/**
 * Checks the content type, then parses as I-JSON (core/json_strict.hpp) within the depth and
 * element limits. A duplicate member or a number that would not round-trip is a 400 naming
 * it (`field` dotted, `pointer` RFC 6901).
 */
json_body parse_json(const request& req, const json_limits& limits);

/**
 * Request headers as one log field: an allowlist is shown, credentials (`Authorization`,
 * `Cookie`, `Set-Cookie`, `Proxy-Authorization`, `X-Api-Key`) become [redacted], anything else
 * shows its name only. Used for debug logging; bodies are never logged.
 */
std::string loggable_headers(const beast_request& msg);

/** The query string as it may be logged: values only for an allow-list of harmless keys
    (paging, filters, `hub.mode`), `[redacted]` for every other value and for key names that do
    not look like parameter names. */
std::string redact_query(std::string_view query);
/** Percent-decodes (`+` as space only in query strings); nullopt on bad escapes or a NUL. */
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space = false);

}  // namespace enfinito::http
