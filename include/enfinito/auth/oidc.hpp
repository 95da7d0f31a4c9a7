#pragma once
/**
 * @file auth::oidc: Google Sign-In (OpenID Connect authorization-code flow with PKCE), sans-I/O.
 *
 * ## The flow
 *
 *   browser ── GET /v1/auth/google/start ──▶ Enfinito: new state, nonce, PKCE verifier
 *                                            (stored server-side, hashed, 10 min expiry)
 *           ◀── 302 authorization_url() ──────┘
 *   browser ── consent at the provider ──▶ provider
 *           ◀── 302 redirect_uri?code&state ──┘
 *   browser ── GET /v1/auth/google/callback?code&state ──▶ Enfinito:
 *       1. the flow row for sha256(state) is deleted and returned in one write (single use);
 *       2. POST token_endpoint (code, PKCE verifier, client secret) → token response;
 *          `parse_token_response` keeps the `id_token` only: the access and refresh tokens
 *          are never copied out of the response buffer (privacy promise P3);
 *       3. `verify_id_token` against the cached JWKS (refetched, rate-limited, on an unknown
 *          `kid`), with the nonce of this flow;
 *       4. identity = `sub`; only sub, name, email and picture URL are kept.
 *
 * ## What `verify_id_token` checks, in order (each failure is its own `oidc::error`)
 * - three base64url segments, JSON objects, at most `max_token_bytes`;
 * - header: `alg` is exactly "RS256" (`none`, HS256 and everything else refused); no
 *   header-supplied key or key location (`jwk`, `jku`, `x5u`, `x5c`); no `crit`; a `kid`;
 * - the `kid` is in the JWKS, as an RSA key usable for signatures (`use` absent or "sig",
 *   `alg` absent or "RS256");
 * - the RS256 signature (crypto::verify_rs256);
 * - `iss` is one of the accepted issuers, `aud` is (or contains) our client id and holds no
 *   other audience unless `azp` is our client id; `azp`, when present, is our client id;
 * - `exp` is in the future and `iat` is not, both within `leeway`;
 * - `nonce` equals the flow's nonce (constant-time compare);
 * - `sub` is a non-empty string of at most 255 characters.
 *
 * Nothing here does I/O or reads a clock: callers pass `now`. *Thread safety:* free functions
 * are reentrant; `jwks_cache` locks internally.
 */
#include <enfinito/core/error.hpp>

#include <boost/system/error_category.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace enfinito::auth::oidc {

/** The scopes Enfinito asks for, exactly (privacy promise P3). */
inline constexpr std::string_view scopes = "openid email profile";
/** Longest ID token accepted, in bytes. */
inline constexpr std::size_t max_token_bytes = 16 * 1024;

enum class error {
  malformed_token = 1,  // not three base64url JSON segments
  bad_algorithm,        // alg is not RS256
  header_supplied_key,  // jwk / jku / x5u / x5c / crit in the header
  missing_kid,
  unknown_kid,  // kid not in the JWKS (after a refresh)
  bad_signature,
  bad_issuer,
  bad_audience,
  bad_azp,
  expired,
  issued_in_future,
  bad_nonce,
  missing_subject,
  malformed_token_response,  // token endpoint answer without a usable id_token
  malformed_jwks,
  provider_error,        // the provider answered an error / non-2xx
  provider_unreachable,  // connect, TLS, timeout
  bad_endpoint,          // an endpoint URL that is not https (or http on loopback)
};

const boost::system::error_category& error_category() noexcept;
inline core::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

/** The relying party's view of one provider. Built once from config. */
struct provider_config {
  std::string client_id;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::vector<std::string> issuers;  // accepted `iss` values
  std::string redirect_uri;          // <server.public_url>/v1/auth/google/callback
  std::chrono::seconds leeway{60};   // clock skew allowed on exp / iat
};

/** The three per-flow secrets, freshly random (256 bits each). */
struct flow_secrets {
  std::string state;
  std::string nonce;
  std::string code_verifier;  // RFC 7636: 43 base64url characters
};
flow_secrets new_flow_secrets();

/**
 * How a flow is kept server-side without the database holding what completes it: the row is
 * found by `flow_state_hash(state)` (HMAC-SHA256 keyed by `state`, hex), and the nonce and
 * PKCE verifier are sealed (AES-256-GCM) under another key derived from `state`. The state
 * itself travels only through the browser.
 */
std::string flow_state_hash(std::string_view state);
std::string seal_flow(std::string_view state, std::string_view nonce, std::string_view code_verifier);
/** The (nonce, code_verifier) sealed by `seal_flow`; `crypto::error::decrypt_failed` otherwise. */
core::result<std::pair<std::string, std::string>> open_flow(std::string_view state, std::string_view sealed);

/** RFC 7636 S256: base64url(SHA-256(verifier)). */
std::string code_challenge_s256(std::string_view verifier);

/**
 * The URL the browser is sent to: response_type=code, client_id, redirect_uri, scope exactly
 * `scopes`, state, nonce, code_challenge (S256). Query values are percent-encoded.
 */
std::string authorization_url(const provider_config& p, const flow_secrets& s);

/** application/x-www-form-urlencoded body of the token request (RFC 6749 section 4.1.3). */
std::string token_request_body(const provider_config& p, std::string_view code, std::string_view code_verifier,
                               std::string_view client_secret);

/**
 * The `id_token` of a token endpoint's JSON answer. The access and refresh tokens in the
 * same answer are deliberately not extracted (P3). Errors: `malformed_token_response`,
 * `provider_error` when the JSON carries an `error` member.
 */
core::result<std::string> parse_token_response(std::string_view body);

/** One RSA signing key of a JWKS. */
struct jwk {
  std::string kid;
  std::string n;  // base64url modulus
  std::string e;  // base64url exponent
};

/** A parsed JWKS: RSA signature keys only (others are skipped). Error: `malformed_jwks`. */
core::result<std::vector<jwk>> parse_jwks(std::string_view body);

/** The verified identity from an ID token. */
struct identity {
  std::string sub;
  std::string email;  // empty when absent
  bool email_verified = false;
  std::string name;     // empty when absent
  std::string picture;  // https URL or empty
};

/** What an ID token is checked against. */
struct verify_context {
  const provider_config& provider;
  std::string_view expected_nonce;
  std::chrono::system_clock::time_point now;
};

/**
 * The `kid` of a token's header, without verifying anything (to pick or refresh keys).
 * Errors: `malformed_token`, `missing_kid`.
 */
core::result<std::string> token_kid(std::string_view id_token);

/** Verifies an ID token fully (see the file comment); the identity, or why it was refused. */
core::result<identity> verify_id_token(std::string_view id_token, const std::vector<jwk>& keys,
                                       const verify_context& ctx);

/**
 * The provider's keys, shared by every reactor. Sans-I/O: the caller fetches, this decides
 * when. A fetch is due when the cache is empty, older than `max_age`, or a token names an
 * unknown `kid` — but never more often than once per `min_refresh_interval`, so forged
 * tokens with random kids cannot turn Enfinito into a load generator against the provider.
 *
 * *Thread safety:* all members lock an internal mutex; `keys()` returns a snapshot.
 */
class jwks_cache {
 public:
  using clock = std::chrono::steady_clock;
  explicit jwks_cache(std::chrono::seconds min_refresh_interval = std::chrono::seconds(30),
                      std::chrono::seconds max_age = std::chrono::hours(1))
      : min_interval_(min_refresh_interval), max_age_(max_age) {}

  std::shared_ptr<const std::vector<jwk>> keys() const;
  /** Holds a key with this id? */
  bool has(std::string_view kid) const;
  /**
   * Should the caller fetch now, to verify a token with key id `kid`? Marks the attempt when
   * it answers true (so concurrent callers do not all fetch).
   */
  bool begin_fetch(std::string_view kid, clock::time_point now);
  /** Installs freshly fetched keys. */
  void update(std::vector<jwk> keys, clock::time_point now);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<jwk>> keys_;
  std::optional<clock::time_point> fetched_at_;
  std::optional<clock::time_point> last_attempt_;
  std::chrono::seconds min_interval_;
  std::chrono::seconds max_age_;
};

}  // namespace enfinito::auth::oidc

template <>
struct boost::system::is_error_code_enum<enfinito::auth::oidc::error> : std::true_type {};
