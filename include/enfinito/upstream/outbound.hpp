#pragma once
/**
 * @file upstream::outbound: every connection the daemon opens to another host, with its
 * purpose (privacy promise P5: "no third-party calls except Meta, Google (when used) and the
 * SMTP provider"; customers' webhook URLs are the customer's own choice).
 *
 * The list of purposes is closed: the enum below and `purposes()` name every reason the daemon
 * has to connect out, a unit test fails when they disagree, and docs/security.md lists them. Each
 * place that opens connections says why: upstream::client takes the purpose in its options and
 * calls `note_connect` before each new connection (resolve, connect, handshake); the SMTP
 * sender (libcurl) calls it before each submission. A client made without a purpose still
 * connects (test tools use the same client) but is recorded as `unnamed` and logged as
 * `outbound_connect_unnamed`, which the P5 tests look for.
 *
 * Each connection is logged (`outbound_connect`, purpose, host, port: at debug level, as kept-
 * alive connections make it rare) and counted per endpoint, so a test can read back exactly
 * where a daemon connected. At most `max_endpoints` distinct endpoints are kept; further ones
 * are counted per purpose only.
 *
 * *Thread safety:* every function may be called from any thread (one mutex, held for a map
 * update; connections are rare next to requests, which reuse them).
 */
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::upstream {

enum class purpose : std::uint8_t {
  meta_graph,        // Meta's Graph API (meta.base_url): sends, verification, templates, media
  meta_media,        // media downloads from the URL Meta's API returned (Meta's CDN)
  google,            // Google's OpenID endpoints (sign-in, when configured)
  smtp,              // the configured SMTP server (transactional mail)
  customer_webhook,  // a customer's own webhook URL (their choice, SSRF-checked)
  dev_sandbox,       // dev mode only: the local fake Graph API (`dev.sandbox_url`)
};

struct purpose_info {
  purpose what;
  std::string_view name;  // as logged and counted
};

/** Every purpose, once each, in enum order: the closed list. */
std::span<const purpose_info> purposes() noexcept;
std::string_view name(purpose p) noexcept;

inline constexpr std::size_t max_endpoints = 4096;

/** Records (and logs) a connection about to be opened for `p` to host:port. */
void note_connect(purpose p, std::string_view host, std::string_view port);
/** Records (and warns of) a connection opened by a client made without a purpose. */
void note_unnamed_connect(std::string_view host, std::string_view port);

struct endpoint_count {
  std::string purpose;  // a purpose's name, or "unnamed"
  std::string host;
  std::string port;
  std::uint64_t connects = 0;
};

/** Where this process connected since start (or `forget_connections`): one row per endpoint. */
std::vector<endpoint_count> connections();
/** Connections past `max_endpoints`, not itemised. */
std::uint64_t connections_not_itemised();
/** Empties the record (tests that check one flow). */
void forget_connections();

}  // namespace enfinito::upstream
