#pragma once
/**
 * @file auth::google_client: the I/O half of Google Sign-In. Exchanges an authorization code
 * at the token endpoint and verifies the ID token against the provider's JWKS (cached in an
 * oidc::jwks_cache, refetched on an unknown `kid`, rate-limited). The sans-I/O rules are in
 * auth/oidc.hpp.
 *
 * Each call opens one HTTPS connection (http only to a loopback host, for tests and dev),
 * verifies the peer (crypto::make_client_context with `google.ca_file` added, SNI and host
 * name via crypto::prepare_client_stream) and runs under one deadline (`google.timeout_ms`)
 * that closes the socket when it fires. Bodies over 256 KiB are refused. Nothing here logs a
 * body, a code, a token or the client secret.
 *
 * *Thread safety:* one instance is shared by every reactor; calls may run concurrently.
 * *Lifetime:* hold it in a shared_ptr for as long as routes may call it.
 * *Errors:* oidc::error (provider_unreachable, provider_error, malformed_*, and every ID token
 * refusal).
 */
#include <enfinito/auth/oidc.hpp>
#include <enfinito/config/settings.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace enfinito::auth {

/** One HTTP answer from the provider (status and body, nothing else kept). */
struct provider_answer {
  unsigned status = 0;
  std::string body;
};

/**
 * GET (empty `form_body`) or POST application/x-www-form-urlencoded to `url`, under `timeout`.
 * Exposed for tests. Errors: `oidc::error::bad_endpoint`, `oidc::error::provider_unreachable`.
 */
net::awaitable<core::result<provider_answer>> provider_call(std::string url, std::string form_body,
                                                            std::shared_ptr<ssl::context> tls,
                                                            std::chrono::milliseconds timeout);

class google_client {
 public:
  /**
   * Builds the client from `[google]` settings and the secret file `google.client_secret`.
   * Startup only: throws config::config_error naming what is wrong (never the secret).
   */
  static std::shared_ptr<google_client> from_settings(const config::settings& s);

  google_client(oidc::provider_config provider, core::secret_string client_secret, std::shared_ptr<ssl::context> tls,
                std::chrono::milliseconds timeout, std::chrono::seconds jwks_min_refresh);

  const oidc::provider_config& provider() const noexcept { return provider_; }

  /**
   * Exchanges `code` (with the flow's PKCE verifier) and verifies the ID token against
   * `nonce`. Only the identity comes back: the access and refresh tokens die inside.
   */
  net::awaitable<core::result<oidc::identity>> sign_in(std::string code, std::string code_verifier, std::string nonce);

  /** Verifies an ID token with the cached keys, refreshing them once on an unknown kid. */
  net::awaitable<core::result<oidc::identity>> verify(std::string id_token, std::string nonce);

 private:
  net::awaitable<void> refresh_keys();

  oidc::provider_config provider_;
  core::secret_string client_secret_;
  std::shared_ptr<ssl::context> tls_;
  std::chrono::milliseconds timeout_;
  oidc::jwks_cache cache_;
};

}  // namespace enfinito::auth
