// TLS: the daemon serves HTTPS with the configured certificate, adds HSTS, refuses TLS 1.1,
// and a plain-HTTP client on the TLS port gets nothing useful.
#include "support/daemon.hpp"
#include "support/http_client.hpp"
#include "support/raw_client.hpp"
#include "support/test_certs.hpp"

#include <enfinito/web/static_files.hpp>

#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

namespace {
// Tries a handshake restricted to one protocol version; true when it succeeds.
bool handshake_with(unsigned short port, int version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_set_security_level(ctx, 0);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
    SSL_free(ssl);
  }
  ::close(fd);
  SSL_CTX_free(ctx);
  return ok;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(server_tls)

BOOST_AUTO_TEST_CASE(serves_https_with_hsts) {
  temp_dir certs;
  auto files = write_self_signed(certs.path());
  running_app app([&](config::settings& s) {
    s.server.tls_cert_file = files.cert_path.string();
    s.server.tls_key_file = files.key_path.string();
  });
  auto r = https_request("localhost", app.port(), "GET", "/healthz", {}, {}, files.cert_path.string());
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.header("Strict-Transport-Security").find("max-age=") == 0u);
  // The web app's files are answers prepared at startup: HSTS is still added per listener.
  const auto asset = "/assets/" + std::string(web::bundle_hash()) + "/app.js";
  auto a = https_request("localhost", app.port(), "GET", asset, {}, {}, files.cert_path.string());
  BOOST_TEST(a.status == 200u);
  BOOST_TEST(a.body == std::string(web::find("app.js")->bytes));
  BOOST_TEST(a.header("Strict-Transport-Security") == r.header("Strict-Transport-Security"));
  BOOST_TEST(handshake_with(app.port(), TLS1_2_VERSION));
  BOOST_TEST(handshake_with(app.port(), TLS1_3_VERSION));
  BOOST_TEST(!handshake_with(app.port(), TLS1_1_VERSION));
  // Plain HTTP on the TLS port: no HTTP answer, the connection is closed.
  raw_conn plain(app.port());
  plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(!plain.read_response(2s));
  // Still serving.
  BOOST_TEST(https_request("localhost", app.port(), "GET", "/readyz", {}, {}, files.cert_path.string()).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_bad_certificate_stops_startup_with_a_clear_message) {
  temp_dir dir;
  write_file(dir / "cert.pem", "not a certificate");
  write_file(dir / "key.pem", "not a key");
  try {
    running_app app([&](config::settings& s) {
      s.server.tls_cert_file = (dir / "cert.pem").string();
      s.server.tls_key_file = (dir / "key.pem").string();
    });
    BOOST_FAIL("startup should have failed");
  } catch (const app::startup_error& e) {
    BOOST_TEST(std::string(e.what()).find("cert.pem") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
