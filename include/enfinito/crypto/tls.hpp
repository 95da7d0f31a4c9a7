#pragma once
/**
 * @file TLS contexts for the listener (server) and for upstream calls to Meta/Google (client).
 *
 * Policy, in one place: TLS 1.2 minimum; TLS 1.2 limited to ECDHE + AEAD suites; no TLS
 * compression (CRIME); no renegotiation; the server's cipher order wins. Clients verify the
 * peer against the system trust store (plus an optional extra CA file, which tests use for
 * their throwaway CA), send SNI and check the host name on every connection.
 *
 * *Thread safety:* a built context is shared by every stream of every reactor and is not
 * modified afterwards (OpenSSL's SSL_CTX is safe for that). *Errors:* `crypto::error::tls_*`,
 * never OpenSSL's error strings (which can quote file content).
 */
#include <enfinito/core/error.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::crypto {

/**
 * A server context from a PEM certificate chain and a PEM private key.
 * Errors: `tls_certificate`, `tls_private_key`, `tls_key_mismatch`, `tls_context`.
 */
core::result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const std::filesystem::path& cert_file,
                                                                             const std::filesystem::path& key_file);

/**
 * A client context that verifies peers against the system default trust store and, when
 * given, the PEM CA certificates in `ca_file`. Errors: `tls_trust_store`, `tls_context`.
 */
core::result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(
    std::optional<std::string> ca_file = std::nullopt);

/**
 * Prepares a client stream for its handshake with `host`: SNI (skipped for IP literals, as
 * RFC 6066 requires), `verify_peer`, and host-name (or IP) verification of the certificate.
 * Call once per stream, before `async_handshake`. Errors: `tls_bad_host`.
 */
core::error_code prepare_client_stream(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
                                       std::string_view host);

}  // namespace enfinito::crypto
