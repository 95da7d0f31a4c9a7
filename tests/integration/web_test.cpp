// The web app as the daemon serves it (web/static_files, web/routes): the page at `/` and at
// app URLs for browsers only, assets under the bundle hash with immutable caching, strong
// ETags, 304s and gzip; the JSON 404 kept for API clients; `GET /v1/auth/providers`; the dev
// sandbox against the fake Graph API (signed webhooks both ways); the first dev account
// becoming the administrator, and production keeping every sign-up pending.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/raw_client.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/core/log.hpp>
#include <enfinito/web/static_files.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include <fcntl.h>
#include <unistd.h>

using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::map<std::string, std::string> browser = {
    {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};

std::string code_of(const raw_response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("code")) return {};
  return std::string(v.at("code").as_string());
}

json::value body_of(const raw_response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  return ec ? json::value() : v;
}

void is_json_404(const raw_response& r) {
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(r.header("content-type") == "application/problem+json");
  BOOST_TEST(code_of(r) == "not_found");
}

void has_app_headers(const raw_response& r) {
  BOOST_TEST(r.header("content-security-policy") == std::string(web::content_security_policy));
  BOOST_TEST(r.header("x-content-type-options") == "nosniff");
  BOOST_TEST(r.header("referrer-policy") == "no-referrer");
  BOOST_TEST(r.header("set-cookie").empty());
  BOOST_TEST(r.header("vary") == "Accept-Encoding");
  const auto etag = r.header("etag");
  BOOST_TEST(etag.size() > 2u);
  BOOST_TEST(etag.front() == '"');  // strong: no W/
}

std::string gunzip(const temp_dir& dir, const std::string& gz) {
  write_file(dir / "body.gz", gz);
  std::string out;
  BOOST_REQUIRE(run_program({"gzip", "-dc", (dir / "body.gz").string()}, &out) == 0);
  return out;
}

std::string asset_url(const web::file& f) {
  return "/assets/" + std::string(web::bundle_hash()) + "/" + std::string(f.path);
}

// A free loopback port (for a daemon whose public_url must name its own port).
unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// A browser-like client: the session cookie, Origin, JSON bodies.
struct browser_client {
  unsigned short port;
  std::string origin;
  std::string cookie;
  raw_response call(const std::string& method, const std::string& target, const std::string& body = {}) {
    std::map<std::string, std::string> h{{"Origin", origin}};
    if (!body.empty()) h["Content-Type"] = "application/json";
    if (!cookie.empty()) h["Cookie"] = cookie;
    auto r = http_call(port, method, target, body, h);
    auto sc = r.header("set-cookie");
    if (!sc.empty()) cookie = sc.substr(0, sc.find(';'));
    return r;
  }
  raw_response signup(const std::string& email) {
    return call("POST", "/v1/auth/signup", signup_body("Ada", email, "correct horse battery"));
  }
  raw_response signin(const std::string& email) {
    return call("POST", "/v1/auth/signin",
                json::serialize(json::object{{"email", email}, {"password", "correct horse battery"}}));
  }
};

// Captures the daemon's log lines (core::log) for the life of the object.
struct log_capture {
  explicit log_capture(const temp_dir& d) : path(d / "daemon.log") {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    core::log::set_fd(fd);
  }
  ~log_capture() {
    core::log::set_fd(2);
    ::close(fd);
  }
  std::string text() const { return read_file(path); }
  std::filesystem::path path;
  int fd;
};

void dev_mode(config::settings& s, const std::filesystem::path& dir) {
  s.dev = true;
  s.smtp.dev_dir = (dir / "mail").string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(web_app)

BOOST_AUTO_TEST_CASE(the_page_answers_browsers_at_app_urls_with_the_csp) {
  running_app app;
  auto page = web::find("index.html");
  BOOST_REQUIRE(page);
  for (auto target : {"/", "/instances", "/instances/ins_x/conversations/4915112345678", "/reset-password",
                      "/signin?next=%2Finstances", "/nope"}) {
    BOOST_TEST_CONTEXT(target) {
      auto r = http_call(app.port(), "GET", target, {}, browser);
      BOOST_TEST(r.status == 200u);
      BOOST_TEST(r.header("content-type") == "text/html; charset=utf-8");
      BOOST_TEST(r.header("cache-control") == "no-cache");
      has_app_headers(r);
      BOOST_TEST(r.body == page->bytes);
    }
  }
  // The page names the current bundle (the build rewrote "/assets/ to "/assets/<hash>/).
  if (page->bytes.find("\"/assets/") != std::string_view::npos)
    BOOST_TEST(page->bytes.find("\"/assets/" + std::string(web::bundle_hash()) + "/") != std::string_view::npos);

  auto first = http_call(app.port(), "GET", "/", {}, browser);
  auto again = browser;
  again["If-None-Match"] = first.header("etag");
  auto cached = http_call(app.port(), "GET", "/", {}, again);
  BOOST_TEST(cached.status == 304u);
  BOOST_TEST(cached.body.empty());
  BOOST_TEST(cached.header("etag") == first.header("etag"));
  BOOST_TEST(cached.header("content-security-policy") == std::string(web::content_security_policy));

  auto head = http_call(app.port(), "HEAD", "/", {}, browser);
  BOOST_TEST(head.status == 200u);
  BOOST_TEST(head.body.empty());
  BOOST_TEST(head.header("content-type") == "text/html; charset=utf-8");
  BOOST_TEST(head.header("etag") == first.header("etag"));
  BOOST_TEST(head.header("content-length") == first.header("content-length"));  // GET's, not 0
}

BOOST_AUTO_TEST_CASE(api_clients_keep_the_json_404) {
  running_app app;
  // The app's fallback is no API operation: it stays out of the OpenAPI comparison
  // (server_test's openapi_document_matches_the_route_table_both_ways); the JSON routes are in.
  auto routes = app.get().route_list();
  BOOST_TEST(std::count(routes.begin(), routes.end(), "GET /v1/auth/providers") == 1);
  BOOST_TEST(std::none_of(routes.begin(), routes.end(),
                          [](const std::string& r) { return r.find('*') != std::string::npos; }));
  is_json_404(http_call(app.port(), "GET", "/nope", {}, {{"Accept", "application/json"}}));
  is_json_404(http_call(app.port(), "GET", "/nope"));  // no Accept at all (curl's */* neither)
  is_json_404(http_call(app.port(), "GET", "/nope", {}, {{"Accept", "*/*"}}));
  is_json_404(http_call(app.port(), "GET", "/nope", {}, {{"Accept", "text/html;q=0"}}));
  // Under the API's roots a browser gets the API's answer too.
  for (auto target : {"/v1/nope", "/v1", "/webhooks/nope", "/graph/nope"}) BOOST_TEST_CONTEXT(target) {
      is_json_404(http_call(app.port(), "GET", target, {}, browser));
    }
  // Only GET and HEAD fall back to the page.
  is_json_404(http_call(app.port(), "POST", "/instances", "{}",
                        {{"Accept", "text/html"}, {"Content-Type", "application/json"}}));
  // A known path with another method stays a 405.
  BOOST_TEST(http_call(app.port(), "DELETE", "/healthz", {}, browser).status == 405u);
  // API answers keep their own headers (the app's CSP is for the app only).
  auto h = http_call(app.port(), "GET", "/healthz", {}, browser);
  BOOST_TEST(h.status == 200u);
  BOOST_TEST(h.header("content-security-policy") == "default-src 'none'; frame-ancestors 'none'");
  BOOST_TEST(h.header("cache-control") == "no-store");
}

BOOST_AUTO_TEST_CASE(assets_are_immutable_with_etags_304_and_gzip) {
  running_app app;
  temp_dir dir;
  auto all = web::files();
  std::size_t assets = 0, gzipped = 0;
  for (const auto& f : all) {
    if (f.path == "index.html") continue;
    ++assets;
    const auto url = asset_url(f);
    BOOST_TEST_CONTEXT(url) {
      auto r = http_call(app.port(), "GET", url);
      BOOST_TEST(r.status == 200u);
      BOOST_TEST(r.header("content-type") == std::string(f.content_type));
      BOOST_TEST(r.header("cache-control") == "public, max-age=31536000, immutable");
      BOOST_TEST(r.header("content-encoding").empty());
      has_app_headers(r);
      BOOST_TEST(r.body == f.bytes);  // byte-exact, binary files too

      auto nm = http_call(app.port(), "GET", url, {}, {{"If-None-Match", r.header("etag")}});
      BOOST_TEST(nm.status == 304u);
      BOOST_TEST(nm.body.empty());

      auto gz = http_call(app.port(), "GET", url, {}, {{"Accept-Encoding", "gzip, deflate, br"}});
      BOOST_TEST(gz.status == 200u);
      if (!f.gzip.empty()) {
        ++gzipped;
        BOOST_TEST(gz.header("content-encoding") == "gzip");
        BOOST_TEST(gz.body.size() < f.bytes.size());
        BOOST_TEST(gz.header("etag") != r.header("etag"));  // another representation, another tag
        BOOST_TEST(gunzip(dir, gz.body) == f.bytes);
        // A client that refuses gzip gets identity.
        auto no = http_call(app.port(), "GET", url, {}, {{"Accept-Encoding", "gzip;q=0, identity"}});
        BOOST_TEST(no.header("content-encoding").empty());
        BOOST_TEST(no.body == f.bytes);
        // Either representation's tag revalidates.
        auto nm2 =
            http_call(app.port(), "GET", url, {}, {{"If-None-Match", gz.header("etag")}, {"Accept-Encoding", "gzip"}});
        BOOST_TEST(nm2.status == 304u);
      }
      auto head = http_call(app.port(), "HEAD", url);
      BOOST_TEST(head.status == 200u);
      BOOST_TEST(head.body.empty());
      BOOST_TEST(head.header("content-length") == std::to_string(f.bytes.size()));

      // A wrong bundle hash is a 404 (an old page must not get new code under its old URL).
      auto wrong = "/assets/000000000000/" + std::string(f.path);
      is_json_404(http_call(app.port(), "GET", wrong, {}, browser));
    }
  }
  BOOST_TEST(assets > 0u);  // the app has at least its script and style
  BOOST_TEST(gzipped > 0u);
  const std::string base = "/assets/" + std::string(web::bundle_hash()) + "/";
  is_json_404(http_call(app.port(), "GET", base + "no-such-file.js", {}, browser));
  is_json_404(http_call(app.port(), "GET", base + "index.html", {}, browser));  // the page is no asset
  is_json_404(http_call(app.port(), "GET", "/assets/", {}, browser));
  is_json_404(http_call(app.port(), "GET", base + "../index.html", {}, browser));
}

// Asset answers are prepared once (head serialised at startup); what changes per request is
// still per request, and the framing holds on a kept-alive connection: a HEAD sends no body, so
// the next answer starts where it should.
BOOST_AUTO_TEST_CASE(prepared_assets_keep_per_request_fields_and_framing_on_one_connection) {
  running_app app;
  const web::file* js = nullptr;
  auto all = web::files();
  for (const auto& f : all)
    if (f.path == "app.js") js = &f;
  BOOST_REQUIRE(js);
  const auto url = asset_url(*js);
  raw_conn c(app.port());
  BOOST_REQUIRE(c.connected());
  auto ask = [&](const std::string& method, const std::string& extra) {
    BOOST_REQUIRE(
        c.send(method + " " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n" + extra + "\r\n"));
    auto r = c.read_response(5000ms, method == "HEAD");
    BOOST_REQUIRE(r);
    return *r;
  };
  auto first = ask("GET", "");
  auto head = ask("HEAD", "");
  auto second = ask("GET", "");
  auto last = ask("GET", "Connection: close\r\n");
  for (const auto* r : {&first, &second, &last}) {
    BOOST_TEST(r->status == 200);
    BOOST_TEST(r->header("content-encoding") == "gzip");
    BOOST_TEST(r->body == js->gzip);
    has_app_headers(*r);
  }
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.header("content-length") == std::to_string(js->gzip.size()));
  BOOST_TEST(head.header("etag") == first.header("etag"));
  BOOST_TEST(first.header("connection").empty());  // HTTP/1.1 keeps the connection by default
  BOOST_TEST(last.header("connection") == "close");
  BOOST_TEST(c.closed_by_peer());
  std::set<std::string> ids{first.header("x-request-id"), head.header("x-request-id"), second.header("x-request-id"),
                            last.header("x-request-id")};
  BOOST_TEST(ids.size() == 4u);  // one id per answer, never the prepared head's
  BOOST_TEST(!ids.count(""));
}

BOOST_AUTO_TEST_CASE(the_binary_holds_daemon_web_as_it_is_on_disk) {
  // Every embedded file is the source file's bytes (index.html: with the bundle in its asset URLs).
  const std::filesystem::path src = std::filesystem::path(ENFINITO_SOURCE_DIR) / "daemon" / "web";
  for (const auto& f : web::files()) {
    BOOST_TEST_CONTEXT(f.path) {
      std::string disk = read_file(src / std::string(f.path));
      if (f.path == "index.html") {
        std::string rewritten;
        for (std::size_t i = 0; i < disk.size(); ++i) {
          if (disk.compare(i, 9, "\"/assets/") == 0) {
            rewritten += "\"/assets/" + std::string(web::bundle_hash()) + "/";
            i += 8;
          } else {
            rewritten += disk[i];
          }
        }
        disk = rewritten;
      }
      BOOST_TEST(f.bytes == disk);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_generator_embeds_binary_files_byte_exact) {
  // tools/embed_web.cmake on a tree of its own: a file with every byte value, a nested text
  // file, a file type that is not shipped, a dot-file.
  temp_dir d;
  std::filesystem::create_directories(d / "web" / "img");
  std::string every;
  for (int i = 0; i < 256; ++i) every += static_cast<char>(i);
  write_file(d / "web" / "img" / "all.png", every + every, 0644);
  write_file(d / "web" / "index.html", R"(<script type="module" src="/assets/app.js"></script>)", 0644);
  write_file(d / "web" / "app.js", std::string(2000, 'a'), 0644);
  write_file(d / "web" / "notes.md", "not shipped", 0644);
  write_file(d / "web" / ".hidden.js", "not shipped", 0644);
  std::string out;
  const std::string script = std::string(ENFINITO_SOURCE_DIR) + "/tools/embed_web.cmake";
  BOOST_REQUIRE(run_program({"cmake", "-DSRC=" + (d / "web").string(), "-DOUT=" + (d / "out.cpp").string(),
                             "-DWORK=" + (d / "work").string(), "-DGZIP=gzip", "-P", script},
                            &out) == 0);
  const std::string cpp = read_file(d / "out.cpp");
  BOOST_TEST(cpp.find("notes.md") == std::string::npos);
  BOOST_TEST(cpp.find(".hidden.js") == std::string::npos);
  // The table is sorted by path; each row names its arrays.
  const auto app = cpp.find("{\"app.js\""), png = cpp.find("{\"img/all.png\""), index = cpp.find("{\"index.html\"");
  BOOST_TEST((app < png && png < index && index != std::string::npos));
  // Decode the png's array (f1: the second file by path) back to bytes.
  auto start = cpp.find("const unsigned char f1[] = {");
  BOOST_REQUIRE(start != std::string::npos);
  auto end = cpp.find("};", start);
  std::string bytes;
  for (auto p = cpp.find("0x", start); p != std::string::npos && p < end; p = cpp.find("0x", p + 4))
    bytes += static_cast<char>(std::stoi(cpp.substr(p + 2, 2), nullptr, 16));
  BOOST_TEST(bytes.size() == 512u);
  BOOST_TEST((bytes == every + every));
  BOOST_TEST(cpp.find("\"img/all.png\", \"image/png\", f1, 512, g1, 0,") != std::string::npos);  // png: never gzipped
  BOOST_TEST(cpp.find("\"app.js\", \"text/javascript; charset=utf-8\", f0, 2000, g0, 0,") ==
             std::string::npos);  // gzipped
  // The page's asset URLs carry the bundle hash, which the table states.
  auto bundle_at = cpp.find("embedded_bundle = \"");
  BOOST_REQUIRE(bundle_at != std::string::npos);
  const std::string bundle = cpp.substr(bundle_at + 19, 12);
  BOOST_TEST(read_file(d / "work" / "index.html").find("\"/assets/" + bundle + "/app.js\"") != std::string::npos);
  // Same input, same output (gzip -n: no time stamp); another byte, another bundle.
  const std::string before = cpp;
  std::filesystem::remove(d / "out.cpp");
  BOOST_REQUIRE(run_program({"cmake", "-DSRC=" + (d / "web").string(), "-DOUT=" + (d / "out.cpp").string(),
                             "-DWORK=" + (d / "work").string(), "-DGZIP=gzip", "-P", script}) == 0);
  BOOST_TEST(read_file(d / "out.cpp") == before);
  write_file(d / "web" / "app.js", std::string(2000, 'b'), 0644);
  BOOST_REQUIRE(run_program({"cmake", "-DSRC=" + (d / "web").string(), "-DOUT=" + (d / "out.cpp").string(),
                             "-DWORK=" + (d / "work").string(), "-DGZIP=gzip", "-P", script}) == 0);
  BOOST_TEST(read_file(d / "out.cpp").find("embedded_bundle = \"" + bundle) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(providers_say_what_sign_in_offers) {
  {
    running_app app;
    auto r = http_call(app.port(), "GET", "/v1/auth/providers");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == R"({"password":true,"google":false,"dev":false,"sandbox":false})");
  }
  {
    temp_dir d;
    running_app app([&](config::settings& s) { dev_mode(s, d.path()); });
    auto r = http_call(app.port(), "GET", "/v1/auth/providers");
    BOOST_TEST(r.body == R"({"password":true,"google":false,"dev":true,"sandbox":false})");
  }
}

BOOST_AUTO_TEST_CASE(dev_routes_are_404_outside_the_sandbox) {
  temp_dir d;
  for (bool dev : {false, true}) {
    running_app app([&](config::settings& s) {
      if (dev) dev_mode(s, d.path());
    });
    browser_client c{app.port(), "http://127.0.0.1:8080", {}};
    BOOST_TEST_CONTEXT("dev " << dev) {
      for (auto target : {"/v1/dev/sandbox-instance", "/v1/dev/instances/ins_x/inbound"}) {
        auto r = c.call("POST", target, R"({"text":"hi"})");
        BOOST_TEST(r.status == 404u);
        BOOST_TEST(code_of(r) == "sandbox_off");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(first_account_is_admin_in_dev_mode_only) {
  {  // production: every sign-up waits for an administrator (enfinitoctl create-admin)
    running_app app;
    browser_client c{app.port(), "http://127.0.0.1:8080", {}};
    auto r = c.signup("first@example.com");
    BOOST_TEST(r.status == 202u);
    BOOST_TEST(body_of(r).at("status").as_string() == "pending");
    BOOST_TEST(c.signin("first@example.com").status == 403u);
  }
  temp_dir d;
  log_capture log(d);
  running_app app([&](config::settings& s) {
    dev_mode(s, d.path());
    s.log_level = "info";
  });
  browser_client first{app.port(), "http://127.0.0.1:8080", {}};
  auto r = first.signup("first@example.com");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(body_of(r).at("status").as_string() == "active");
  BOOST_TEST(first.signin("first@example.com").status == 200u);
  auto me = first.call("GET", "/v1/me");
  BOOST_TEST(me.status == 200u);
  BOOST_TEST(me.body.find(R"("role":"admin")") != std::string::npos);
  BOOST_TEST(log.text().find("event=accounts.dev_first_user_admin") != std::string::npos);
  // The second one waits for that administrator.
  browser_client second{app.port(), "http://127.0.0.1:8080", {}};
  auto r2 = second.signup("second@example.com");
  BOOST_TEST(body_of(r2).at("status").as_string() == "pending");
  BOOST_TEST(second.signin("second@example.com").status == 403u);
  auto pending = first.call("GET", "/v1/admin/users?status=pending");
  BOOST_TEST(pending.body.find("second@example.com") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sandbox_instance_sends_and_receives_through_the_fake) {
  fake_meta fake;
  temp_dir d;
  const auto port = free_port();
  const std::string public_url = "http://127.0.0.1:" + std::to_string(port);
  running_app app([&](config::settings& s) {
    dev_mode(s, d.path());
    s.server.port = port;
    s.server.public_url = public_url;
    s.sandbox_url = fake.base_url();
    s.meta.base_url = fake.base_url();
  });
  BOOST_TEST(http_call(app.port(), "GET", "/v1/auth/providers").body.find(R"("sandbox":true)") != std::string::npos);
  browser_client ada{app.port(), public_url, {}};
  ada.signup("ada@example.com");
  BOOST_REQUIRE(ada.signin("ada@example.com").status == 200u);

  auto created = ada.call("POST", "/v1/dev/sandbox-instance", "{}");
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  auto inst = body_of(created);
  const std::string id(inst.at("id").as_string());
  BOOST_TEST(inst.at("status").as_string() == "active");
  BOOST_TEST(inst.at("webhook").at("callback_url").as_string() == public_url + "/webhooks/meta/" + id);
  // The fake now posts that number's webhooks to the instance's callback.
  auto cfg = fake.admin_get("config");
  bool configured = false;
  for (const auto& n : cfg.at("phone_numbers").as_array())
    if (n.at("id").as_string() == inst.at("phone_number_id").as_string())
      configured = n.at("callback_url").as_string() == public_url + "/webhooks/meta/" + id;
  BOOST_TEST(configured);

  // A customer writes in: the fake's signed webhook lands as an inbound message.
  auto in =
      ada.call("POST", "/v1/dev/instances/" + id + "/inbound", R"({"from":"4915112345678","name":"Ada","text":"hi"})");
  BOOST_TEST_REQUIRE(in.status == 202u, in.body);
  const std::string list = "/v1/instances/" + id + "/messages?direction=inbound&peer=4915112345678";
  BOOST_TEST(
      wait_until([&] { return ada.call("GET", list).body.find(R"("text":{"body":"hi"})") != std::string::npos; }));

  // A reply (inside the window the inbound opened): Meta's statuses come back, signed.
  auto sent = ada.call("POST", "/v1/instances/" + id + "/messages",
                       R"({"to":"4915112345678","type":"text","text":{"body":"hello"}})");
  BOOST_TEST_REQUIRE(sent.status == 202u, sent.body);
  const std::string msg(body_of(sent).at("id").as_string());
  BOOST_TEST(wait_until(
      [&] { return ada.call("GET", "/v1/messages/" + msg).body.find(R"("status":"read")") != std::string::npos; }));

  // Another user cannot make customers write to Ada's instance, nor bad input reach the fake.
  browser_client eve{app.port(), public_url, {}};
  eve.signup("eve@example.com");
  auto pending = ada.call("GET", "/v1/admin/users?status=pending");
  auto users = body_of(pending);
  BOOST_REQUIRE(users.is_object());
  std::string eve_id;
  for (const auto& u : users.at("users").as_array())
    if (u.at("email").as_string() == "eve@example.com") eve_id = std::string(u.at("id").as_string());
  BOOST_REQUIRE(!eve_id.empty());
  BOOST_TEST(ada.call("POST", "/v1/admin/users/" + eve_id + "/approve", "{}").status < 300u);
  BOOST_REQUIRE(eve.signin("eve@example.com").status == 200u);
  auto theirs = eve.call("POST", "/v1/dev/instances/" + id + "/inbound", R"({"text":"hi"})");
  BOOST_TEST(theirs.status == 404u);
  BOOST_TEST(code_of(theirs) == "instance_not_found");
  BOOST_TEST(code_of(ada.call("POST", "/v1/dev/instances/" + id + "/inbound", R"({"text":""})")) == "invalid_field");
  BOOST_TEST(code_of(ada.call("POST", "/v1/dev/instances/" + id + "/inbound", R"({"text":"x","from":"12ab"})")) ==
             "invalid_field");
  // Every sandbox instance has its own number, so a second one connects too.
  auto second = eve.call("POST", "/v1/dev/sandbox-instance", "{}");
  BOOST_TEST(second.status == 201u, second.body);
  // Without a session: 401, as for any /v1 route.
  browser_client nobody{app.port(), public_url, {}};
  BOOST_TEST(nobody.call("POST", "/v1/dev/sandbox-instance", "{}").status == 401u);
}

BOOST_AUTO_TEST_CASE(a_new_fake_learns_the_sandbox_instances_at_startup) {
  // Each `tools/dev run` starts a fresh fake Graph API, but keeps the database: the daemon
  // tells the new fake about every sandbox instance, so yesterday's instance still works.
  temp_dir d;
  const auto port = free_port();
  const std::string public_url = "http://127.0.0.1:" + std::to_string(port);
  // Both runs keep their database and vault key in `d`, which outlives them (each
  // running_app's own directory goes with it).
  const auto kept = test_settings(d);
  std::string id, phone;
  auto tweak = [&](const fake_meta& f) {
    return [&, url = f.base_url()](config::settings& s) {
      dev_mode(s, d.path());
      s.server.port = port;
      s.server.public_url = public_url;
      s.sandbox_url = url;
      s.meta.base_url = url;
      s.store.path = kept.store.path;
      s.secrets_dir = kept.secrets_dir;
    };
  };
  {
    fake_meta fake;
    running_app app(tweak(fake));
    BOOST_REQUIRE(app.settings.store.path.starts_with(d.path().string()));
    browser_client ada{app.port(), public_url, {}};
    ada.signup("ada@example.com");
    BOOST_REQUIRE(ada.signin("ada@example.com").status == 200u);
    auto created = ada.call("POST", "/v1/dev/sandbox-instance", "{}");
    BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
    id = std::string(body_of(created).at("id").as_string());
    phone = std::string(body_of(created).at("phone_number_id").as_string());
  }
  fake_meta fresh;
  auto knows = [&] {
    const auto cfg = fresh.admin_get("config");
    for (const auto& n : cfg.at("phone_numbers").as_array())
      if (n.at("id").as_string() == phone)
        return n.at("callback_url").as_string() == public_url + "/webhooks/meta/" + id;
    return false;
  };
  BOOST_TEST(!knows());
  running_app app(tweak(fresh));
  BOOST_TEST(wait_until(knows));
  browser_client ada{app.port(), public_url, {}};
  BOOST_REQUIRE(ada.signin("ada@example.com").status == 200u);
  auto in = ada.call("POST", "/v1/dev/instances/" + id + "/inbound", R"({"text":"still here"})");
  BOOST_TEST(in.status == 202u, in.body);
  const std::string list = "/v1/instances/" + id + "/messages?direction=inbound";
  BOOST_TEST(wait_until([&] { return ada.call("GET", list).body.find("still here") != std::string::npos; }));
  // The token works with the new fake too: the instance still verifies.
  auto verified = ada.call("POST", "/v1/instances/" + id + "/verify", "{}");
  BOOST_TEST(verified.status == 200u, verified.body);
}

BOOST_AUTO_TEST_SUITE_END()
