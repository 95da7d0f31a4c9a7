#pragma once
/**
 * @file upstream::client: the daemon's one outbound HTTP(S) client, with kept-alive
 * connections. Meta's Graph API (meta/client.hpp) and Google's token and key endpoints
 * (auth/google_client.hpp) call through it; nothing else in the daemon opens connections out.
 *
 * One client talks to one origin (scheme, host, port). A call is: take an idle connection of
 * the calling reactor (or resolve → connect → TLS handshake with SNI, host-name verification
 * and TLS session resumption), write the request, read the answer with a header and a body
 * cap, and put the connection back when both sides allow keep-alive.
 *
 * Why per reactor: a socket belongs to one io_context, and each reactor runs its own. Idle
 * connections are kept per io_context, so a call never touches another reactor's socket. The
 * idle lists share one mutex, held for a push or a pop only (never across I/O).
 *
 * Stale connections: an idle connection is checked before reuse (a non-blocking peek sees a
 * close or a stray byte: discarded) and dropped after `idle_timeout`. If a reused connection
 * still breaks before any byte of the answer, a GET/HEAD/DELETE is retried once on a fresh
 * connection; a POST is not (the server may have acted on it): the caller decides.
 *
 * Deadlines: `connect_timeout` bounds resolve + connect + handshake; `timeout` bounds the
 * whole call. When either passes, the socket is closed, which ends the pending operation.
 *
 * Secrets: a bearer token is copied only into the serialized request, which is wiped after
 * the write. Bodies are never logged.
 *
 * *Thread safety:* `call` may run concurrently on any executors. *Lifetime:* call
 * `close_idle()` (or destroy the client) before the io_contexts it ran on are destroyed; keep
 * it alive (shared_ptr) while calls run.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/upstream/outbound.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <utility>

#include <boost/asio/ip/address.hpp>

namespace boost::asio::ssl {
class context;
}

namespace enfinito::upstream {

enum class error {
  timeout = 1,         // the call's deadline (or the connect deadline) passed
  resolve_failed,      // DNS
  connect_failed,      // TCP
  tls_failed,          // handshake or certificate verification
  io_failed,           // write or read broke mid-way
  response_too_large,  // header or body over the cap
  bad_response,        // not parseable HTTP
  bad_url,             // not http(s)://host[:port][/path][?query]
  address_refused,     // a resolved address failed options::address_filter (SSRF guard)
};
const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), category()}; }

/** Where a client connects. */
struct origin {
  bool tls = true;
  std::string host;  // IPv6 literals without brackets
  std::string port;  // always set ("443" / "80" by default)
  /** The Host header value: host[:port], brackets for IPv6, port omitted when default. */
  std::string authority() const;
};

/** An absolute URL split into origin and origin-form target ("/path?query", "/" at least). */
struct url_parts {
  origin where;
  std::string target;
};
/** Parses http(s)://host[:port][/path][?query]. No userinfo, no fragment. Errors: bad_url. */
core::result<url_parts> parse_url(std::string_view url);

struct options {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  std::size_t max_idle_per_reactor = 32;  // 0: no keep-alive (one connection per call)
  std::chrono::milliseconds idle_timeout{30'000};
  std::size_t max_requests_per_connection = 10'000;
  /**
   * Connect-time address check (customer webhooks' SSRF guard): when set, EVERY address the
   * host name resolves to must pass it, or the call fails with `address_refused` before any
   * connection is made; the connection then goes only to those checked addresses (no second
   * lookup, so DNS rebinding between check and connect is impossible). Host header and SNI
   * keep the original host name.
   */
  std::function<bool(const boost::asio::ip::address&)> address_filter;
  /** Why this client connects out (P5, upstream/outbound.hpp); every daemon client sets it. */
  std::optional<purpose> why;
};

struct request {
  std::string_view method = "GET";
  std::string_view target = "/";  // origin-form
  std::string_view body;
  // More of the body after `body`, each sent as its own buffer (a multipart upload: the file
  // between its framing), so a large body is never joined into one string.
  std::array<std::string_view, 2> body_more{};
  std::string_view content_type;  // sent with a body, or with any POST
  std::string_view accept = "application/json";
  const core::secret_string* bearer = nullptr;  // Authorization: Bearer …
  // Per-call overrides (media moves more bytes, more slowly, than a JSON call); 0: the client's.
  std::chrono::milliseconds timeout{0};
  std::size_t max_response_bytes = 0;
  // Extra request headers, "Name: value\r\n" each (CR/LF inside a value is refused).
  std::span<const std::pair<std::string_view, std::string_view>> headers{};
};

struct response {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  // the Retry-After header, as given (empty when absent)
  bool ok() const noexcept { return status >= 200 && status < 300; }
};

/**
 * An answer whose body is read in bounded pieces (media downloads): `open` returns once the
 * head has arrived; `read` then hands out the body a piece at a time, so memory per transfer
 * is one fixed buffer however large the file. The connection is used for this answer only
 * and closed when the reader goes. The call's deadline (`request::timeout`) and body cap
 * (`request::max_response_bytes`) cover the whole transfer, head and body.
 *
 * *Thread safety:* one reader, one coroutine at a time, on the executor that opened it.
 */
class body_reader {
 public:
  struct state;  // client.cpp
  explicit body_reader(std::shared_ptr<state> st);
  ~body_reader();
  body_reader(const body_reader&) = delete;
  body_reader& operator=(const body_reader&) = delete;

  unsigned status() const noexcept;
  const std::string& content_type() const noexcept;
  /** The announced Content-Length, if any (chunked answers have none). */
  std::optional<std::uint64_t> content_length() const noexcept;
  /**
   * Appends the next piece of the body (at most `max` bytes) to `out`; true while more
   * follows, false once the body is complete (`out` may still have received bytes).
   * Errors: timeout, io_failed, response_too_large, bad_response.
   */
  net::awaitable<core::result<bool>> read(std::string& out, std::size_t max);

 private:
  std::shared_ptr<state> st_;
};

/** Counters, for tests, metrics and benchmarks. */
struct client_stats {
  std::uint64_t connections_opened = 0;
  std::uint64_t calls_on_reused_connection = 0;
  std::uint64_t tls_sessions_resumed = 0;
};

class client {
 public:
  /** A client for `where`; `tls` is the client context (crypto::make_client_context). */
  static std::shared_ptr<client> make(origin where, options opts, std::shared_ptr<ssl::context> tls);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /** One request/answer; completes on the caller's executor. Any HTTP status is a success. */
  net::awaitable<core::result<response>> call(request r);
  /**
   * The same request, but the answer's body is left to a `body_reader` (any HTTP status is a
   * success). On a fresh connection, never a kept-alive one, and never retried: the caller
   * streams what it reads onwards, so a second attempt could not be told apart.
   */
  net::awaitable<core::result<std::unique_ptr<body_reader>>> open(request r);

  const origin& where() const noexcept { return origin_; }
  client_stats stats() const noexcept;

  /**
   * Closes every idle connection and stops keeping new ones. The owner calls it after the
   * reactors stopped and before their io_contexts are destroyed (sockets must not outlive
   * their context).
   */
  void close_idle();

  struct pool;  // idle connections per io_context (client.cpp)

 private:
  client(origin where, options opts, std::shared_ptr<ssl::context> tls);
  origin origin_;
  options opts_;
  std::shared_ptr<ssl::context> tls_;
  std::unique_ptr<pool> pool_;
};

}  // namespace enfinito::upstream

template <>
struct boost::system::is_error_code_enum<enfinito::upstream::error> : std::true_type {};
