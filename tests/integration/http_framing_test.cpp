// Request framing over a real socket (issue 23, finding 1): a head whose framing is refused is
// answered once, the connection closes, and the bytes after it are never served as a request.
// The full table is tests/unit/http/framing_test.cpp; the comparison with another parser is
// tests/http_framing/differential.mjs.
#include "support/daemon.hpp"
#include "support/raw_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

namespace {
const std::string forgot = "POST /v1/auth/password/forgot HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string chunk = "5\r\nhello\r\n0\r\n\r\n";
}  // namespace

BOOST_AUTO_TEST_SUITE(http_framing_wire)

// The exact reproduction from the issue: `Transfer-Encoding: xchunked` used to be answered
// 400 invalid_json with the connection left open, and the "body" then answered 200 as a
// second request.
BOOST_AUTO_TEST_CASE(issue_23_xchunked_is_refused_and_closed) {
  running_app app;
  raw_conn c(app.port());
  BOOST_REQUIRE(c.connected());
  c.send(forgot + "Transfer-Encoding: xchunked\r\n\r\n" + healthz);
  auto r = c.read_response(3s);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 400);
  BOOST_TEST(r->header("content-type") == "application/problem+json");
  BOOST_TEST(std::string(boost::json::parse(r->body).at("code").as_string()) == "malformed_http");
  BOOST_TEST(r->header("connection") == "close");
  BOOST_TEST(!c.read_response(2s));  // no second response: the connection ended
  BOOST_TEST(c.closed_by_peer(2s));
}

BOOST_AUTO_TEST_CASE(every_ambiguous_framing_is_refused_once_and_closed) {
  running_app app;
  struct row {
    const char* name;
    std::string bytes;
    int status;
  };
  const std::vector<row> rows = {
      {"chunked, gzip", forgot + "Transfer-Encoding: chunked, gzip\r\n\r\n" + chunk + healthz, 400},
      {"gzip, chunked (was de-chunked and served)",
       forgot + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunk + healthz, 501},
      {"two TE fields gzip + chunked",
       forgot + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + healthz, 501},
      {"identity", forgot + "Transfer-Encoding: identity\r\n\r\n" + healthz, 400},
      {"chunked;foo=bar", forgot + "Transfer-Encoding: chunked;foo=bar\r\n\r\n" + chunk + healthz, 400},
      {"chunked, chunked", forgot + "Transfer-Encoding: chunked, chunked\r\n\r\n" + chunk + healthz, 400},
      {"empty TE", forgot + "Transfer-Encoding: \r\n\r\n" + healthz, 400},
      {"TE in HTTP/1.0",
       "POST /v1/auth/password/forgot HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: "
       "chunked\r\n\r\n" +
           chunk + healthz,
       400},
      {"CL list 5, 5", forgot + "Content-Length: 5, 5\r\n\r\nhello" + healthz, 400},
      {"two equal CL fields", forgot + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello" + healthz, 400},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      raw_conn c(app.port());
      BOOST_REQUIRE(c.connected());
      c.send(row.bytes);
      auto r = c.read_response(3s);
      BOOST_REQUIRE(r);
      BOOST_TEST(r->status == row.status);
      BOOST_TEST(r->header("content-type") == "application/problem+json");
      BOOST_TEST(!c.read_response(2s));
      BOOST_TEST(c.closed_by_peer(2s));
    }
  }
}

// Valid framing keeps its behaviour: a chunked body and the request after it are both served.
BOOST_AUTO_TEST_CASE(plain_chunked_and_content_length_still_pipeline) {
  running_app app;
  raw_conn c(app.port());
  BOOST_REQUIRE(c.connected());
  c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n" + chunk +
         "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + healthz);
  auto a = c.read_response(3s);
  auto b = c.read_response(3s);
  auto h = c.read_response(3s);
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  BOOST_REQUIRE(h);
  BOOST_TEST(a->status == 405);  // /healthz is GET only; the body was read and skipped
  BOOST_TEST(b->status == 405);
  BOOST_TEST(h->status == 200);
  BOOST_TEST(h->body == R"({"status":"ok"})");
}

// CONNECT is answered (no route takes it) and the connection closes: there is no tunnel here,
// and a peer that took the answer for one must not see our next answer as tunnel bytes.
BOOST_AUTO_TEST_CASE(connect_is_answered_then_closed) {
  running_app app;
  raw_conn c(app.port());
  BOOST_REQUIRE(c.connected());
  c.send("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n" + healthz);
  auto r = c.read_response(3s);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status >= 400);
  BOOST_TEST(!c.read_response(2s));
  BOOST_TEST(c.closed_by_peer(2s));
}

BOOST_AUTO_TEST_SUITE_END()
