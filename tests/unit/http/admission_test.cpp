// http::admit, head_failure and body_failure (admission.hpp): every decision the server makes
// about a request before its body, one table row per case, over a small route table.
#include <enfinito/http/admission.hpp>

#include "http_framing/routes.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using namespace enfinito;
using http::body_plan;

namespace {

namespace bhttp = boost::beast::http;

constexpr std::uint64_t server_limit = 1024;

// The admission tests' route table (http_framing/routes.hpp).
const http::router& routes() { return test::admission_routes(); }

struct row {
  const char* name;
  std::string head;  // request line and fields, without the final empty line
  unsigned refuse = 0;
  body_plan body = body_plan::none;
  std::uint64_t limit = server_limit;
  bool send_continue = false;
  unsigned miss = 0;
  bool close = false;
  std::string_view allow = {};
};

// Beast parses the head as the server does; the router matches; admit decides.
void check(const row& r) {
  const std::string raw = r.head + "\r\n\r\n";
  bhttp::request_parser<bhttp::string_body> p;
  p.body_limit(boost::none);
  boost::system::error_code ec;
  const auto used = p.put(boost::asio::buffer(raw), ec);
  BOOST_TEST_REQUIRE(!ec, ec.message());
  BOOST_TEST_REQUIRE(p.is_header_done());
  const auto target = p.get().target();
  const auto m = routes().match(p.get().method(), target.substr(0, target.find('?')));
  const auto a = http::admit(std::string_view(raw).substr(0, used), p.get(), p, m, {server_limit});
  BOOST_TEST(a.refuse.status == r.refuse);
  BOOST_TEST(a.close == r.close);
  BOOST_TEST(a.body_limit == r.limit);
  BOOST_TEST((a.body == r.body));
  BOOST_TEST(a.send_continue == r.send_continue);
  BOOST_TEST(a.miss.status == r.miss);
  BOOST_TEST(a.miss.allow == r.allow);
  if (a.refuse) {
    BOOST_TEST(!a.framing.ok());
    BOOST_TEST(!a.refuse.code.empty());
    BOOST_TEST(!a.refuse.title.empty());
  }
}

const std::vector<row> table = {
    // Route and body limit.
    {"GET, no body", "GET /v1/messages HTTP/1.1\r\nHost: x"},
    {"route limit below the server's", "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 10", 0,
     body_plan::memory, 256},
    {"over the route's limit: 413 before the body", "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 300", 413,
     body_plan::none, 256, false, 0, true},
    {"route limit above the server's", "POST /v1/media HTTP/1.1\r\nHost: x\r\nContent-Length: 2000", 0,
     body_plan::spool, 1024 * 1024},
    {"no route: the server's limit", "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 2000", 413, body_plan::none,
     server_limit, false, 0, true},
    // Body plan.
    {"spooling route, chunked", "POST /v1/media HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked", 0, body_plan::spool,
     1024 * 1024},
    {"spooling route, empty body: nothing to spool", "POST /v1/media HTTP/1.1\r\nHost: x\r\nContent-Length: 0", 0,
     body_plan::none, 1024 * 1024},
    {"no route, a body: read into memory, then 404", "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 3", 0,
     body_plan::memory, server_limit, false, 404},
    // Expect: 100-continue.
    {"continue with a body", "POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5", 0,
     body_plan::memory, 256, true},
    {"continue, spooling", "POST /v1/media HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5", 0,
     body_plan::spool, 1024 * 1024, true},
    {"continue without a body: none sent",
     "POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
     "Content-Length: 0",
     0, body_plan::none, 256},
    {"continue refused by the limit: none sent",
     "POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
     "Content-Length: 999",
     413, body_plan::none, 256, false, 0, true},
    {"other expectation: no continue",
     "POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: something\r\n"
     "Content-Length: 5",
     0, body_plan::memory, 256},
    {"continue for a missing route (answered 404 after the body)",
     "POST /nope HTTP/1.1\r\nHost: x\r\n"
     "Expect: 100-continue\r\nContent-Length: 5",
     0, body_plan::memory, server_limit, true, 404},
    // No route.
    {"unknown path: 404", "GET /nope HTTP/1.1\r\nHost: x", 0, body_plan::none, server_limit, false, 404},
    {"known path, other method: 405 with Allow", "DELETE /v1/messages HTTP/1.1\r\nHost: x", 0, body_plan::none,
     server_limit, false, 405, false, "POST, GET"},
    {"bad %-escape in a parameter: 400", "POST /v1/items/%zz HTTP/1.1\r\nHost: x", 0, body_plan::none, server_limit,
     false, 400},
    {"parameter decodes: found", "POST /v1/items/a%20b HTTP/1.1\r\nHost: x"},
    {"query string ignored by the match", "GET /v1/messages?after=1 HTTP/1.1\r\nHost: x"},
    // Framing and smuggling (framing.hpp's table; refusals close).
    {"OWS after chunked (the raw head, not Beast's trimmed one)",
     "POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     "Transfer-Encoding: chunked \t",
     400, body_plan::none, 256, false, 0, true},
    {"two Host fields", "GET /v1/messages HTTP/1.1\r\nHost: x\r\nHost: y", 400, body_plan::none, server_limit, false, 0,
     true},
    {"TE in HTTP/1.0", "POST /v1/messages HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked", 400, body_plan::none, 256,
     false, 0, true},
    {"a coding before chunked: 501", "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked", 501,
     body_plan::none, 256, false, 0, true},
    {"CONNECT: answered, then closed", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443", 0, body_plan::none,
     server_limit, false, 404, true},
    {"Connection: close is the client's, not admission's",
     "GET /v1/messages HTTP/1.1\r\nHost: x\r\n"
     "Connection: close"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_admission)

BOOST_AUTO_TEST_CASE(admit_table) {
  for (const auto& r : table) {
    BOOST_TEST_CONTEXT(r.name) { check(r); }
  }
}

struct failure_row {
  const char* name;
  boost::system::error_code ec;
  bool timed_out;
  bool got_bytes;
  unsigned status;
  std::string_view code = {};
};

BOOST_AUTO_TEST_CASE(head_failures) {
  const std::vector<failure_row> rows = {
      {"timed out mid-head: 408", boost::asio::error::operation_aborted, true, true, 408, "request_timeout"},
      {"idle keep-alive ran out: silent close", boost::asio::error::operation_aborted, true, false, 0},
      {"cancelled (drain), not timed out: silent", boost::asio::error::operation_aborted, false, true, 0},
      {"header limit: 431", bhttp::error::header_limit, false, true, 431, "headers_too_large"},
      {"client closed: silent", boost::asio::error::eof, false, true, 0},
      {"reset: silent", boost::asio::error::connection_reset, false, true, 0},
      {"malformed (obs-fold, bad bytes): 400", bhttp::error::bad_value, false, true, 400, "malformed_http"},
      {"bad method: 400", bhttp::error::bad_method, false, true, 400, "malformed_http"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto f = http::head_failure(r.ec, r.timed_out, r.got_bytes);
      BOOST_TEST(f.status == r.status);
      BOOST_TEST(f.code == r.code);
      BOOST_TEST(!f.retry_later);
    }
  }
}

BOOST_AUTO_TEST_CASE(body_failures) {
  const auto enospc = std::make_error_code(std::errc::no_space_on_device);
  const auto efbig = std::make_error_code(std::errc::file_too_large);
  const std::vector<failure_row> rows = {
      {"stalled: 408", boost::asio::error::operation_aborted, true, true, 408, "request_timeout"},
      {"over the limit: 413", bhttp::error::body_limit, false, true, 413, "body_too_large"},
      {"disk full: 503", boost::system::error_code(enospc), false, true, 503, "storage_full"},
      {"file too large: 503", boost::system::error_code(efbig), false, true, 503, "storage_full"},
      {"body cut short: 400", bhttp::error::partial_message, false, true, 400, "malformed_http"},
      {"bad chunk: 400", bhttp::error::bad_chunk, false, true, 400, "malformed_http"},
      {"client gone: silent", boost::asio::error::connection_reset, false, true, 0},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto f = http::body_failure(r.ec, r.timed_out);
      BOOST_TEST(f.status == r.status);
      BOOST_TEST(f.code == r.code);
      BOOST_TEST(f.retry_later == (r.status == 503));
    }
  }
}

BOOST_AUTO_TEST_CASE(spool_refusals_may_be_retried) {
  for (const auto& r : {http::media_busy, http::spool_unavailable}) {
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(r.retry_later);
  }
  BOOST_TEST(http::media_busy.code == "media_busy");
  BOOST_TEST(http::spool_unavailable.code == "upload_spool_unavailable");
}

BOOST_AUTO_TEST_SUITE_END()
