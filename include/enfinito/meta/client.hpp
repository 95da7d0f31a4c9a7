#pragma once
/**
 * @file meta::client: HTTPS (or plain HTTP, for the fake) calls to the Graph API, on Beast.
 *
 * Shape: the Beast `http/client/async-ssl` example as a coroutine — resolve, connect, TLS
 * handshake with SNI and host-name verification (crypto::prepare_client_stream, TLS 1.2+ from
 * crypto::make_client_context), write, read with a body-size cap. One deadline covers the
 * whole call (`meta.timeout_ms`): a timer closes the socket, so every pending operation ends.
 *
 * Connections: one per call, closed afterwards. That is enough for instance verification
 * (rare); the outbound send queue will need kept-alive connections per instance and reactor
 * (a pool modelled on Boost.MySQL's sans-I/O connection pool) — TODO(instances): add it with
 * the queue.
 *
 * Secrets: the bearer token is copied only into the serialized request, which is wiped after
 * the write. Bodies are never logged; `graph_error` keeps upstream text for diagnostics only.
 *
 * *Thread safety:* a client is immutable after `make`; `send` may run concurrently on any
 * executors. *Lifetime:* keep the shared_ptr alive while calls run (the coroutine holds it).
 * *Errors:* transport failures are `meta::error` codes; Graph errors are `graph_error`.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/meta/graph.hpp>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace enfinito::meta {

enum class error {
  timeout = 1,         // the call's deadline passed
  resolve_failed,      // DNS
  connect_failed,      // TCP
  tls_failed,          // handshake or certificate verification
  io_failed,           // write or read broke mid-way
  response_too_large,  // the body exceeded max_response_bytes
  bad_response,        // not parseable HTTP
  bad_base_url,
};
const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), category()}; }

struct client_options {
  std::string base_url = "https://graph.facebook.com";
  std::string version = "v23.0";
  std::string ca_file;  // extra trust (tests)
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_response_bytes = 4 * 1024 * 1024;
};

/** Per-call overrides (media moves more bytes than a JSON call); 0 keeps the client's default. */
struct call_options {
  std::size_t max_response_bytes = 0;
  std::chrono::milliseconds timeout{0};
};

/** A raw answer: any HTTP status, body capped. */
struct response {
  unsigned status = 0;
  std::string body;
  std::string content_type;  // the answer's Content-Type (media downloads)
  bool ok() const noexcept { return status >= 200 && status < 300; }
};

class client {
 public:
  /** Parses the base URL and builds the TLS context. Errors: bad_base_url, crypto tls_*. */
  static core::result<std::shared_ptr<client>> make(client_options opts);

  /** Sends `r` with `Authorization: Bearer <token>`; completes on the caller's executor. */
  net::awaitable<core::result<response>> send(request r, const core::secret_string& token) const;
  /** The same with a different deadline or body cap (media uploads). */
  net::awaitable<core::result<response>> send(request r, const core::secret_string& token, call_options o) const;

  /**
   * GETs an absolute http(s) URL with `Authorization: Bearer <token>`, body capped at
   * `o.max_response_bytes`: the short-lived media download URL Meta hands out, which lives on another
   * host than the Graph API. The caller checks the URL first (meta::media_url_allowed) so the
   * token only goes to Meta. Errors: bad_base_url for a URL that is not http(s)://host/..., then
   * as `send`.
   */
  net::awaitable<core::result<response>> fetch(std::string url, const core::secret_string& token,
                                               call_options o) const;

  const std::string& version() const noexcept { return opts_.version; }
  const std::string& base_url() const noexcept { return opts_.base_url; }

  struct endpoint {
    bool tls = true;
    std::string host;
    std::string port;
  };

 private:
  explicit client(client_options o) : opts_(std::move(o)) {}
  net::awaitable<core::result<response>> call(endpoint ep, request r, const core::secret_string& token,
                                              call_options o) const;
  client_options opts_;
  endpoint ep_;
  std::shared_ptr<ssl::context> tls_;
};

/** The verdict on a set of credentials (instance create/update). */
enum class verify_outcome {
  ok,
  token_invalid,        // 190 (or 0/104): the token is wrong, expired or revoked
  no_permission,        // 10/200: the token cannot see this number
  unknown_phone_number, // no such object
  not_a_phone_number,   // the id names something else (e.g. a WABA)
  unknown_waba,         // the WABA id does not resolve or the token cannot list it
  waba_not_owner,       // the WABA exists but does not own the number
  upstream_unavailable, // transport failure or a retryable Graph error
  upstream_error,       // any other Graph error
};

struct verification {
  verify_outcome outcome = verify_outcome::upstream_error;
  phone_number_info number;       // filled on ok
  std::optional<graph_error> error;
  core::error_code transport;
};

/**
 * Checks credentials against Meta: `GET /{phone_number_id}` with the token (the token works,
 * the id is a phone number), then `GET /{waba_id}/phone_numbers` (the WABA owns it; follows
 * up to 10 pages of 100).
 */
net::awaitable<verification> verify_number(const client& c, std::string phone_number_id,
                                           std::string waba_id, const core::secret_string& token);

}  // namespace enfinito::meta

template <>
struct boost::system::is_error_code_enum<enfinito::meta::error> : std::true_type {};
