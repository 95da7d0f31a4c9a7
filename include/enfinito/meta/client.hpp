#pragma once
/**
 * @file meta::client: Graph API calls, over the daemon's outbound client (upstream/client.hpp):
 * kept-alive TLS connections per reactor, TLS session resumption, SNI and host-name
 * verification, connect and call deadlines, a response-size cap.
 *
 * This file adds what is Meta's: the base URL and Graph version, and the bearer token on
 * every call. Requests are built and answers parsed in meta::graph (sans-I/O).
 *
 * Secrets: the bearer token is copied only into the serialized request, which is wiped after
 * the write. Bodies are never logged; `graph_error` keeps upstream text for diagnostics only.
 *
 * *Thread safety:* a client is immutable after `make`; `send` may run concurrently on any
 * executors. *Lifetime:* keep the shared_ptr alive while calls run; `close_idle()` before the
 * reactors' io_contexts are destroyed.
 * *Errors:* transport failures are `upstream::error` codes; Graph errors are `graph_error`.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/upstream/client.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace enfinito::meta {

/** Transport failures of Graph API calls are the outbound client's (timeout, connect_failed, …). */
using error = upstream::error;

struct client_options {
  std::string base_url = "https://graph.facebook.com";
  std::string version = "v23.0";
  std::string ca_file;  // extra trust (tests)
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  std::size_t max_idle_per_reactor = 32;  // kept-alive connections per reactor; 0: none
  std::chrono::milliseconds idle_timeout{30'000};
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
  std::string content_type;
  bool ok() const noexcept { return status >= 200 && status < 300; }
};

class client {
 public:
  /** Parses the base URL (scheme://host[:port], no path) and builds the TLS context. Errors: upstream bad_url, crypto tls_*. */
  static core::result<std::shared_ptr<client>> make(client_options opts);

  /** Sends `r` with `Authorization: Bearer <token>`; completes on the caller's executor. */
  net::awaitable<core::result<response>> send(request r, const core::secret_string& token) const;
  /** The same with a different deadline or body cap (media uploads). */
  net::awaitable<core::result<response>> send(request r, const core::secret_string& token, call_options o) const;

  /**
   * GETs an absolute http(s) URL with `Authorization: Bearer <token>`: the short-lived media
   * download URL Meta hands out, which lives on another host than the Graph API. One
   * connection per call (nothing kept alive to that host). The caller checks the URL first
   * (meta::media_url_allowed) so the token only goes to Meta. The body is left to a reader
   * that hands it out in bounded pieces (upstream::body_reader), so a large file is never held
   * whole. `o.max_response_bytes` caps the body and `o.timeout` bounds the whole transfer.
   * Errors: bad_url, then as `send`.
   */
  net::awaitable<core::result<std::unique_ptr<upstream::body_reader>>> open_fetch(std::string url,
                                                                                  const core::secret_string& token,
                                                                                  call_options o) const;

  const std::string& version() const noexcept { return opts_.version; }
  const std::string& base_url() const noexcept { return opts_.base_url; }
  upstream::client_stats stats() const noexcept { return http_->stats(); }
  /** Closes idle connections (shutdown, before the reactors' contexts go). */
  void close_idle() const { http_->close_idle(); }

 private:
  explicit client(client_options o) : opts_(std::move(o)) {}
  client_options opts_;
  std::shared_ptr<ssl::context> tls_;
  std::shared_ptr<upstream::client> http_;
};

/** The verdict on a set of credentials (instance create/update). */
enum class verify_outcome {
  ok,
  token_invalid,         // 190 (or 0/104): the token is wrong, expired or revoked
  no_permission,         // 10/200: the token cannot see this number
  unknown_phone_number,  // no such object
  not_a_phone_number,    // the id names something else (e.g. a WABA)
  unknown_waba,          // the WABA id does not resolve or the token cannot list it
  waba_not_owner,        // the WABA exists but does not own the number
  upstream_unavailable,  // transport failure or a retryable Graph error
  upstream_error,        // any other Graph error
};

struct verification {
  verify_outcome outcome = verify_outcome::upstream_error;
  phone_number_info number;  // filled on ok
  std::optional<graph_error> error;
  core::error_code transport;
};

/**
 * Checks credentials against Meta: `GET /{phone_number_id}` with the token (the token works,
 * the id is a phone number), then `GET /{waba_id}/phone_numbers` (the WABA owns it; follows
 * up to 10 pages of 100).
 */
net::awaitable<verification> verify_number(const client& c, std::string phone_number_id, std::string waba_id,
                                           const core::secret_string& token);

}  // namespace enfinito::meta
