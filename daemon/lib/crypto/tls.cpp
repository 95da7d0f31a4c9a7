// TLS context construction (server and client) and per-stream client preparation.
#include <enfinito/crypto/tls.hpp>

#include <enfinito/crypto/error.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <new>

namespace enfinito::crypto {
namespace ssl = boost::asio::ssl;
namespace {

// Mozilla "intermediate" TLS 1.2 suites without DHE (we configure no DH parameters). TLS 1.3
// suites are OpenSSL's defaults, all AEAD.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Options shared by both sides. Errors from OpenSSL are cleared, never turned into messages.
bool apply_common_policy(ssl::context& ctx) {
  boost::system::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                      ssl::context::single_dh_use,
                  ec);
  if (ec) return false;
  SSL_CTX* h = ctx.native_handle();
  SSL_CTX_set_options(h, SSL_OP_NO_RENEGOTIATION);
  return SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION) == 1 && SSL_CTX_set_cipher_list(h, tls12_ciphers) == 1;
}

// Asio's context constructor throws when SSL_CTX_new fails (out of memory); report it instead.
std::shared_ptr<ssl::context> new_context(ssl::context::method m) {
  try {
    return std::make_shared<ssl::context>(m);
  } catch (const std::exception&) {
    return nullptr;
  }
}

core::error_code fail(error e) {
  ERR_clear_error();
  return e;
}

}  // namespace

core::result<std::shared_ptr<ssl::context>> make_server_context(const std::filesystem::path& cert_file,
                                                                const std::filesystem::path& key_file) {
  auto ctx = new_context(ssl::context::tls_server);
  if (!ctx || !apply_common_policy(*ctx)) return fail(error::tls_context);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);

  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file.string(), ec);
  if (ec) return fail(error::tls_certificate);
  ctx->use_private_key_file(key_file.string(), ssl::context::pem, ec);
  if (ec) {
    // OpenSSL reports a key that does not match the loaded certificate from this call; Asio
    // has already popped the packed OpenSSL error into `ec`.
    const bool mismatch = ec.category() == boost::asio::error::get_ssl_category() &&
                          ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
    return fail(mismatch ? error::tls_key_mismatch : error::tls_private_key);
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) return fail(error::tls_key_mismatch);
  return ctx;
}

core::result<std::shared_ptr<ssl::context>> make_client_context(std::optional<std::string> ca_file) {
  auto ctx = new_context(ssl::context::tls_client);
  if (!ctx || !apply_common_policy(*ctx)) return fail(error::tls_context);

  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) return fail(error::tls_trust_store);
  if (ca_file) {
    ctx->load_verify_file(*ca_file, ec);
    if (ec) return fail(error::tls_trust_store);
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return fail(error::tls_context);
  return ctx;
}

core::error_code prepare_client_stream(ssl::stream<boost::asio::ip::tcp::socket>& stream, std::string_view host) {
  if (host.empty() || host.find('\0') != std::string_view::npos) return fail(error::tls_bad_host);
  const std::string name(host);

  // SNI carries DNS names only (RFC 6066 section 3); an IP literal is verified but not sent.
  boost::system::error_code addr_ec;
  boost::asio::ip::make_address(name, addr_ec);
  if (addr_ec && SSL_set_tlsext_host_name(stream.native_handle(), name.c_str()) != 1) return fail(error::tls_bad_host);

  boost::system::error_code ec;
  stream.set_verify_mode(ssl::verify_peer, ec);
  if (!ec) stream.set_verify_callback(ssl::host_name_verification(name), ec);
  if (ec) return fail(error::tls_bad_host);
  return {};
}

}  // namespace enfinito::crypto
