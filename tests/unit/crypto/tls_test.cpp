// Unit tests for crypto/tls: server contexts refuse missing, garbage and mismatched files and
// accept a valid pair; client contexts and streams set up verification; a loopback handshake
// succeeds for the right host name and fails for a wrong one. The certificates are throwaway
// self-signed ones made here with the OpenSSL API.
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/tls.hpp>

#include "support/temp_dir.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <thread>

using namespace enfinito;
using namespace enfinito::crypto;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed P-256 certificate for CN=localhost, SAN DNS:localhost and IP:127.0.0.1.
struct self_signed {
  std::string cert_pem, key_pem;
  self_signed() {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    BOOST_TEST_REQUIRE((key && x));
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
    X509_set_pubkey(x.get(), key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(x.get(), name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
      BOOST_TEST_REQUIRE(ext != nullptr);
      X509_add_ext(x.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
    BOOST_TEST_REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);
    cert_pem = pem_of(x.get());
    key_pem = pem_of(key.get());
  }
};

struct tls_fixture {
  test::temp_dir dir;
  self_signed a, b;
  std::filesystem::path cert = dir / "cert.pem", key = dir / "key.pem";
  std::filesystem::path other_key = dir / "other-key.pem", garbage = dir / "garbage.pem";
  tls_fixture() {
    test::write_file(cert, a.cert_pem, 0644);
    test::write_file(key, a.key_pem, 0600);
    test::write_file(other_key, b.key_pem, 0600);
    test::write_file(garbage, "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n", 0600);
  }
};

// Runs one TLS handshake over loopback; returns the client's handshake error.
core::error_code loopback_handshake(asio::ssl::context& server_ctx, asio::ssl::context& client_ctx,
                                    std::string_view verify_host) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::thread server([&] {
    asio::io_context sio;
    tcp::socket s(sio);
    boost::system::error_code ec;
    acceptor.accept(s, ec);
    if (ec) return;
    asio::ssl::stream<tcp::socket> stream(std::move(s), server_ctx);
    stream.handshake(asio::ssl::stream_base::server, ec);  // fails when the client refuses
  });
  asio::ssl::stream<tcp::socket> client(io, client_ctx);
  boost::system::error_code ec;
  client.next_layer().connect(acceptor.local_endpoint(), ec);
  if (!ec) ec = prepare_client_stream(client, verify_host);
  if (!ec) client.handshake(asio::ssl::stream_base::client, ec);
  client.next_layer().close();
  server.join();
  return ec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crypto_tls)

BOOST_FIXTURE_TEST_CASE(server_context_accepts_valid_pair, tls_fixture) {
  auto ctx = make_server_context(cert, key);
  BOOST_TEST_REQUIRE(ctx.has_value());
  SSL_CTX* h = (*ctx)->native_handle();
  BOOST_TEST(SSL_CTX_get_min_proto_version(h) == TLS1_2_VERSION);
  const auto opts = SSL_CTX_get_options(h);
  BOOST_TEST((opts & SSL_OP_NO_COMPRESSION) != 0u);
  BOOST_TEST((opts & SSL_OP_NO_RENEGOTIATION) != 0u);
  BOOST_TEST((opts & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0u);
}

BOOST_FIXTURE_TEST_CASE(server_context_refuses_bad_files, tls_fixture) {
  auto missing = make_server_context(dir / "nope.pem", key);
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error() == make_error_code(error::tls_certificate));

  auto bad_cert = make_server_context(garbage, key);
  BOOST_TEST_REQUIRE(!bad_cert.has_value());
  BOOST_TEST(bad_cert.error() == make_error_code(error::tls_certificate));

  auto missing_key = make_server_context(cert, dir / "nope.pem");
  BOOST_TEST_REQUIRE(!missing_key.has_value());
  BOOST_TEST(missing_key.error() == make_error_code(error::tls_private_key));

  auto bad_key = make_server_context(cert, garbage);
  BOOST_TEST_REQUIRE(!bad_key.has_value());
  BOOST_TEST(bad_key.error() == make_error_code(error::tls_private_key));

  auto mismatch = make_server_context(cert, other_key);
  BOOST_TEST_REQUIRE(!mismatch.has_value());
  BOOST_TEST(mismatch.error() == make_error_code(error::tls_key_mismatch));
}

BOOST_FIXTURE_TEST_CASE(client_context_and_stream_setup, tls_fixture) {
  auto plain = make_client_context();
  BOOST_TEST_REQUIRE(plain.has_value());
  BOOST_TEST(SSL_CTX_get_verify_mode((*plain)->native_handle()) == SSL_VERIFY_PEER);
  BOOST_TEST(SSL_CTX_get_min_proto_version((*plain)->native_handle()) == TLS1_2_VERSION);

  auto bad_ca = make_client_context(garbage.string());
  BOOST_TEST_REQUIRE(!bad_ca.has_value());
  BOOST_TEST(bad_ca.error() == make_error_code(error::tls_trust_store));
  auto missing_ca = make_client_context((dir / "nope.pem").string());
  BOOST_TEST_REQUIRE(!missing_ca.has_value());
  BOOST_TEST(missing_ca.error() == make_error_code(error::tls_trust_store));

  asio::io_context io;
  asio::ssl::stream<tcp::socket> s1(io, **plain);
  BOOST_TEST(!prepare_client_stream(s1, "graph.facebook.com"));
  const char* sni = SSL_get_servername(s1.native_handle(), TLSEXT_NAMETYPE_host_name);
  BOOST_TEST_REQUIRE(sni != nullptr);
  BOOST_TEST(std::string(sni) == "graph.facebook.com");

  asio::ssl::stream<tcp::socket> s2(io, **plain);
  BOOST_TEST(!prepare_client_stream(s2, "127.0.0.1"));
  BOOST_TEST(SSL_get_servername(s2.native_handle(), TLSEXT_NAMETYPE_host_name) == nullptr);

  asio::ssl::stream<tcp::socket> s3(io, **plain);
  BOOST_TEST(prepare_client_stream(s3, "") == make_error_code(error::tls_bad_host));
}

BOOST_FIXTURE_TEST_CASE(handshake_verifies_host_name, tls_fixture) {
  auto server = make_server_context(cert, key);
  auto trusting = make_client_context(cert.string());
  auto untrusting = make_client_context();
  BOOST_TEST_REQUIRE((server.has_value() && trusting.has_value() && untrusting.has_value()));

  BOOST_TEST(!loopback_handshake(**server, **trusting, "localhost"));
  BOOST_TEST(!loopback_handshake(**server, **trusting, "127.0.0.1"));
  // Right CA, wrong name: refused by host-name verification.
  BOOST_TEST(loopback_handshake(**server, **trusting, "graph.facebook.com"));
  // Right name, unknown CA: refused by chain verification.
  BOOST_TEST(loopback_handshake(**server, **untrusting, "localhost"));
}

BOOST_AUTO_TEST_SUITE_END()
