// The real daemon in-process on port 0: health endpoints, headers, every HTTP limit and
// malformed input. Each limit is set low here so that the test is fast and the limit is hit.
#include "support/daemon.hpp"
#include "support/raw_client.hpp"
#include "support/wait.hpp"

#include <enfinito/app/app.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

namespace {
std::string get_request(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}
std::string json_code(const raw_response& r) {
  auto v = boost::json::parse(r.body);
  return std::string(v.at("code").as_string());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(server_basics)

BOOST_AUTO_TEST_CASE(health_ready_and_metrics) {
  running_app app;
  auto h = http_call(app.port(), "GET", "/healthz");
  BOOST_TEST(h.status == 200);
  BOOST_TEST(h.body == R"({"status":"ok"})");
  auto r = http_call(app.port(), "GET", "/readyz");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body.find("\"store_writable\":true") != std::string::npos);
  auto m = http_call(app.port(), "GET", "/metrics");
  BOOST_TEST(m.status == 200);
  BOOST_TEST(m.header("content-type").find("text/plain") == 0u);
  for (auto family : {"enfinito_http_requests_total{route=\"ops.healthz\",status=\"200\"} 1",
                      "enfinito_http_request_duration_seconds_bucket", "enfinito_http_connections_open",
                      "enfinito_store_commit_batch_size_bucket", "enfinito_store_commit_duration_seconds_count",
                      "enfinito_store_checkpoint_duration_seconds_count"})
    BOOST_TEST_CONTEXT(family) { BOOST_TEST(m.body.find(family) != std::string::npos); }
}

BOOST_AUTO_TEST_CASE(every_response_carries_security_headers) {
  running_app app;
  std::set<std::string> ids;
  for (auto target : {"/healthz", "/nope", "/v1/openapi.json"}) {
    auto r = http_call(app.port(), "GET", target);
    BOOST_TEST_CONTEXT(target) {
      BOOST_TEST(r.header("x-request-id").size() == 16u);
      ids.insert(r.header("x-request-id"));
      BOOST_TEST(r.header("x-content-type-options") == "nosniff");
      BOOST_TEST(r.header("referrer-policy") == "no-referrer");
      BOOST_TEST(!r.header("cache-control").empty());
      BOOST_TEST(r.header("server").empty());                     // no version banner
      BOOST_TEST(r.header("strict-transport-security").empty());  // plain HTTP: no HSTS
    }
  }
  BOOST_TEST(ids.size() == 3u);
}

BOOST_AUTO_TEST_CASE(not_found_and_method_not_allowed_are_problems) {
  running_app app;
  auto nf = http_call(app.port(), "GET", "/v1/does-not-exist");
  BOOST_TEST(nf.status == 404);
  BOOST_TEST(nf.header("content-type") == "application/problem+json");
  BOOST_TEST(json_code(nf) == "not_found");
  auto na = http_call(app.port(), "DELETE", "/healthz");
  BOOST_TEST(na.status == 405);
  BOOST_TEST(na.header("allow") == "GET");
  BOOST_TEST(json_code(na) == "method_not_allowed");
}

BOOST_AUTO_TEST_CASE(keep_alive_and_pipelining_answer_in_order) {
  running_app app;
  raw_conn c(app.port());
  c.send(get_request("/healthz") + get_request("/nope") + get_request("/healthz"));
  auto a = c.read_response(), b = c.read_response(), d = c.read_response();
  BOOST_REQUIRE(a && b && d);
  BOOST_TEST(a->status == 200);
  BOOST_TEST(b->status == 404);
  BOOST_TEST(d->status == 200);
}

BOOST_AUTO_TEST_CASE(openapi_document_matches_the_route_table_both_ways) {
  running_app app;
  auto r = http_call(app.port(), "GET", "/v1/openapi.json");
  BOOST_REQUIRE(r.status == 200);
  auto doc = boost::json::parse(r.body).as_object();
  BOOST_TEST(std::string(doc.at("openapi").as_string()).rfind("3.1", 0) == 0u);
  std::set<std::string> documented;
  for (auto& [path, item] : doc.at("paths").as_object())
    for (auto& [method, op] : item.as_object()) {
      static const std::set<std::string> verbs = {"get", "post", "put", "patch", "delete", "head", "options"};
      if (verbs.count(std::string(method))) {
        std::string m(method);
        for (auto& ch : m) ch = static_cast<char>(std::toupper(ch));
        documented.insert(m + " " + std::string(path));
      }
    }
  // The route table of a running daemon, asked route by route: every documented operation
  // must be served (not 404/405), and every served route documented (via the router dump).
  for (const auto& op : documented) {
    auto space = op.find(' ');
    std::string method = op.substr(0, space), path = op.substr(space + 1);
    std::string concrete;
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '{') {
        concrete += "x1";
        i = path.find('}', i);
      } else {
        concrete += path[i];
      }
    }
    raw_conn c(app.port());
    c.send(method + " " + concrete + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    auto res = c.read_response();
    BOOST_TEST_CONTEXT(op) {
      BOOST_REQUIRE(res);
      BOOST_TEST(res->status != 405);
      if (res->status == 404) BOOST_TEST(json_code(*res) != "not_found");  // a resource 404, not a route 404
    }
  }
  auto routes = app.get().route_list();
  for (const auto& rt : routes) {
    BOOST_TEST_CONTEXT(rt) { BOOST_TEST(documented.count(rt) == 1u); }
  }
  BOOST_TEST(routes.size() == documented.size());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_limits)

BOOST_AUTO_TEST_CASE(oversized_headers_get_431) {
  running_app app;
  raw_conn c(app.port());
  c.send(get_request("/healthz", "X-Big: " + std::string(9000, 'a') + "\r\n"));
  auto r = c.read_response();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 431);
  BOOST_TEST(c.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(oversized_body_gets_413) {
  running_app app([](config::settings& s) { s.limits.body_bytes = 4096; });
  {  // declared by Content-Length: refused before reading
    raw_conn c(app.port());
    c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    auto r = c.read_response();
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 413);
    BOOST_TEST(json_code(*r) == "body_too_large");
    BOOST_TEST(c.closed_by_peer());
  }
  {  // chunked: refused once it grows past the limit
    raw_conn c(app.port());
    std::string chunk(3000, 'a');
    c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n" + chunk + "\r\nbb8\r\n" +
           chunk + "\r\n0\r\n\r\n");
    auto r = c.read_response();
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 413);
  }
  {  // within the limit: read, then answered by the route (405 here)
    raw_conn c(app.port());
    c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" + std::string(4000, 'a'));
    auto r = c.read_response();
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 405);
  }
}

BOOST_AUTO_TEST_CASE(slow_headers_get_408_and_close) {
  running_app app([](config::settings& s) { s.limits.header_timeout = 300ms; });
  raw_conn c(app.port());
  auto t0 = std::chrono::steady_clock::now();
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  auto r = c.read_response(3s);
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 408);
  BOOST_TEST(c.closed_by_peer());
  BOOST_TEST((took >= 250ms));
  BOOST_TEST((took < 2s));
}

BOOST_AUTO_TEST_CASE(a_byte_at_a_time_does_not_extend_the_header_deadline) {
  running_app app([](config::settings& s) { s.limits.header_timeout = 400ms; });
  raw_conn c(app.port());
  auto t0 = std::chrono::steady_clock::now();
  std::string req = get_request("/healthz", "X-Slow: " + std::string(200, 'a') + "\r\n");
  std::optional<raw_response> r;
  for (char ch : req) {
    if (!c.send(std::string(1, ch))) break;
    // A real wait: the request trickles in one byte at a time.
    std::this_thread::sleep_for(20ms);
    if (std::chrono::steady_clock::now() - t0 > 1s) break;
  }
  r = c.read_response(2s);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 408);
}

BOOST_AUTO_TEST_CASE(stalled_body_gets_408) {
  running_app app([](config::settings& s) { s.limits.body_idle_timeout = 300ms; });
  raw_conn c(app.port());
  c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-part");
  auto r = c.read_response(3s);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 408);
  BOOST_TEST(json_code(*r) == "request_timeout");
  BOOST_TEST(c.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(idle_keep_alive_connections_are_closed_silently) {
  running_app app([](config::settings& s) { s.limits.keepalive_timeout = 300ms; });
  raw_conn c(app.port());
  c.send(get_request("/healthz"));
  BOOST_REQUIRE(c.read_response());
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(c.closed_by_peer(3s));  // no 408 for an idle connection: just closed
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 2s));
}

BOOST_AUTO_TEST_CASE(connections_past_the_cap_are_closed_and_the_daemon_stays_up) {
  running_app app([](config::settings& s) { s.limits.max_connections = 4; });
  std::vector<std::unique_ptr<raw_conn>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<raw_conn>(app.port()));
    held.back()->send(get_request("/healthz"));
    BOOST_REQUIRE(held.back()->read_response());  // each is open and served
  }
  raw_conn extra(app.port());
  BOOST_TEST(extra.closed_by_peer(2s));
  held.clear();
  // Once the held connections close, new ones are served again.
  raw_response r;
  wait_until(
      [&] {
        try {
          r = http_call(app.port(), "GET", "/healthz");
        } catch (...) {}
        return r.status == 200;
      },
      2s);
  BOOST_TEST(r.status == 200);
  auto m = http_call(app.port(), "GET", "/metrics");
  BOOST_TEST(m.body.find("enfinito_http_connections_rejected_total 0") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(requests_per_connection_are_bounded) {
  running_app app([](config::settings& s) { s.limits.max_requests_per_connection = 3; });
  raw_conn c(app.port());
  std::string reqs;
  for (int i = 0; i < 5; ++i) reqs += get_request("/healthz");
  c.send(reqs);
  int answered = 0;
  while (auto r = c.read_response(1s)) {
    ++answered;
    if (answered == 3) BOOST_TEST(r->header("connection") == "close");
  }
  BOOST_TEST(answered == 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_malformed_http)

BOOST_AUTO_TEST_CASE(malformed_requests_get_400_and_close) {
  running_app app;
  struct row {
    const char* name;
    std::string bytes;
  };
  std::vector<row> rows = {
      {"content-length and chunked",
       "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"two content-lengths", "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"},
      {"bad chunk size",
       "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
      {"NUL in a header", std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 40)},
      {"bare CR in a header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"},
      {"bad request line", "GET\r\n\r\n"},
      {"bad version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"},
      {"negative content-length", "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
      {"space before colon", "GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n"},
      {"obsolete line folding", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"},
      {"two hosts", "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"},
  };
  for (auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      raw_conn c(app.port());
      c.send(row.bytes);
      auto r = c.read_response(3s);
      BOOST_REQUIRE(r);
      BOOST_TEST(r->status == 400);
      BOOST_TEST(r->header("content-type") == "application/problem+json");
      BOOST_TEST(c.closed_by_peer(3s));
    }
  }
  BOOST_TEST(http_call(app.port(), "GET", "/healthz").status == 200);  // still serving
}

BOOST_AUTO_TEST_CASE(bad_percent_encoding_in_a_path_parameter_is_400) {
  running_app app;
  // No parameterised route exists in the foundation; a literal path with a bad escape is a 404.
  auto r = http_call(app.port(), "GET", "/v1/openapi.json%zz");
  BOOST_TEST(r.status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
