// server.cpp owns the network side of the fake: the acceptor, one coroutine per connection
// (HTTP or HTTPS), and webhook delivery (a queue per callback URL drained by one coroutine,
// so one connection at a time per target). Every read, write, connect and handshake runs
// under a tcp_stream deadline. Request handling itself is graph_core::handle (sans-I/O).
#include "fake_graph/server.hpp"

#include "fake_graph/core.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <deque>
#include <iostream>
#include <map>
#include <set>

namespace enfinito::fake_graph {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto io_timeout = 30s;
constexpr std::size_t max_requests_per_connection = 100000;
constexpr std::size_t max_queue_per_target = 100000;
constexpr auto tick_interval = 5ms;

struct call_result {
  bool ok = false;  // transport succeeded and a response was read
  unsigned status = 0;
  std::string body;
};

// A session or webhook coroutine that throws is a bug in the fake; it is logged and the rest
// of the server keeps running, because a test tool that dies mid-run hides the real failure.
void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::cerr << "fake-graph: coroutine failed: " << ex.what() << "\n";
  }
}

std::string host_for_url(const asio::ip::address& a) { return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string(); }

}  // namespace

struct server::impl : std::enable_shared_from_this<impl> {
  asio::io_context& ioc;
  server_options opts;
  graph_core core;
  std::optional<ssl::context> tls_ctx;
  ssl::context client_ctx{ssl::context::tls_client};
  tcp::acceptor acceptor;
  asio::steady_timer tick;
  std::uint16_t bound_port = 0;
  bool stopped = false;
  std::map<std::string, std::deque<webhook_post>> queues;
  std::set<std::string> draining;

  impl(asio::io_context& io, server_options o)
      : ioc(io), opts(std::move(o)), core(opts.config_json), acceptor(io), tick(io) {
    if (!opts.tls_cert_file.empty() || !opts.tls_key_file.empty()) {
      tls_ctx.emplace(ssl::context::tls_server);
      tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      tls_ctx->use_certificate_chain_file(opts.tls_cert_file);
      tls_ctx->use_private_key_file(opts.tls_key_file, ssl::context::pem);
    }
    if (!opts.webhook_ca_file.empty())
      client_ctx.load_verify_file(opts.webhook_ca_file);
    else
      client_ctx.set_default_verify_paths();
    client_ctx.set_verify_mode(opts.webhook_insecure ? ssl::verify_none : ssl::verify_peer);
  }

  std::uint16_t start() {
    auto addr = asio::ip::make_address(opts.listen == "localhost" ? "127.0.0.1" : opts.listen);
    if (!addr.is_loopback())
      throw std::invalid_argument("fake-graph listens on loopback addresses only, not " + opts.listen);
    tcp::endpoint ep(addr, opts.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
    bound_port = acceptor.local_endpoint().port();
    core.set_base_url(std::string(tls_ctx ? "https://" : "http://") + host_for_url(addr) + ":" +
                      std::to_string(bound_port));
    auto self = shared_from_this();
    asio::co_spawn(ioc, accept_loop(self), log_exception);
    asio::co_spawn(ioc, tick_loop(self), log_exception);
    return bound_port;
  }

  void stop() {
    asio::post(ioc, [self = shared_from_this()] {
      self->stopped = true;
      boost::system::error_code ec;
      self->acceptor.close(ec);
      self->tick.cancel();
    });
  }

  // ------------------------------------------------------------------ inbound HTTP
  static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
    while (!self->stopped) {
      auto [ec, sock] = co_await self->acceptor.async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || self->stopped) co_return;
      if (ec) continue;
      asio::co_spawn(self->ioc, session(self, std::move(sock)), log_exception);
    }
  }

  static asio::awaitable<void> session(std::shared_ptr<impl> self, tcp::socket sock) {
    if (!self->tls_ctx) {
      beast::tcp_stream stream(std::move(sock));
      co_await serve(self, stream);
      boost::system::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *self->tls_ctx);
    beast::get_lowest_layer(stream).expires_after(io_timeout);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (ec) co_return;
    if (!co_await serve(self, stream)) co_return;  // reset: no TLS close_notify
    beast::get_lowest_layer(stream).expires_after(5s);
    co_await stream.async_shutdown(use_tuple);
  }

  // Serves requests on one connection; returns false when the connection was reset.
  template <class Stream>
  static asio::awaitable<bool> serve(std::shared_ptr<impl> self, Stream& stream) {
    beast::flat_buffer buffer;
    for (std::size_t n = 0; n < max_requests_per_connection && !self->stopped; ++n) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(graph_core::max_body_bytes());
      beast::get_lowest_layer(stream).expires_after(io_timeout);
      auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (ec) {
        if (ec == http::error::body_limit || ec == http::error::header_limit) {
          http::response<http::string_body> too_big{http::status::payload_too_large, 11};
          too_big.set(http::field::content_type, "text/plain");
          too_big.body() = "request too large";
          too_big.keep_alive(false);
          too_big.prepare_payload();
          co_await http::async_write(stream, too_big, use_tuple);
        }
        co_return true;
      }
      auto& req = parser.get();
      http_request in;
      in.method = std::string(req.method_string());
      in.target = std::string(req.target());
      for (const auto& f : req) in.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      in.body = std::move(req.body());

      http_response res = self->core.handle(in);
      if (res.verify) res = co_await self->run_verify(*res.verify);
      if (res.delay.count() > 0) {
        asio::steady_timer t(self->ioc, res.delay);
        co_await t.async_wait(use_tuple);
      }
      if (res.reset_connection) {
        // RST instead of FIN: SO_LINGER with a zero timeout, then close.
        auto& sock = beast::get_lowest_layer(stream).socket();
        boost::system::error_code ignore;
        sock.set_option(asio::socket_base::linger(true, 0), ignore);
        sock.close(ignore);
        co_return false;
      }
      http::response<http::string_body> out{static_cast<http::status>(res.status), req.version()};
      out.set(http::field::server, "fake-graph");
      for (const auto& [k, v] : res.headers) out.set(k, v);
      out.body() = std::move(res.body);
      out.keep_alive(req.keep_alive());
      out.prepare_payload();
      beast::get_lowest_layer(stream).expires_after(io_timeout);
      auto [wec, wbytes] = co_await http::async_write(stream, out, use_tuple);
      if (wec || !out.keep_alive()) co_return true;
    }
    co_return true;
  }

  // ------------------------------------------------------------------ outbound HTTP
  // One request on a fresh connection: resolve, connect, (TLS with SNI + host-name check),
  // write, read. The tcp_stream deadline bounds every step.
  template <class Stream>
  static asio::awaitable<call_result> exchange(Stream& stream, http::request<http::string_body>& req,
                                               std::chrono::milliseconds timeout) {
    call_result r;
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [wec, w] = co_await http::async_write(stream, req, use_tuple);
    if (wec) co_return r;
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [rec, rd] = co_await http::async_read(stream, buf, parser, use_tuple);
    if (rec) co_return r;
    r.ok = true;
    r.status = parser.get().result_int();
    r.body = parser.get().body();
    co_return r;
  }

  asio::awaitable<call_result> call(const std::string& url, http::verb method, std::string body,
                                    std::vector<std::pair<std::string, std::string>> headers) {
    call_result fail;
    auto u = boost::urls::parse_uri(url);
    if (!u || (u->scheme() != "http" && u->scheme() != "https")) co_return fail;
    const bool tls = u->scheme() == "https";
    const std::string host = u->host_address();
    const std::string port = u->has_port() ? std::string(u->port()) : (tls ? "443" : "80");
    std::string target = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
    if (u->has_query()) target += "?" + std::string(u->encoded_query());
    const auto timeout = core.webhook_timeout();

    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, std::string(u->encoded_host_and_port()));
    req.set(http::field::user_agent, "facebookexternalua");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.keep_alive(false);
    req.prepare_payload();

    tcp::resolver resolver(ioc);
    auto [rec, results] = co_await resolver.async_resolve(host, port, use_tuple);
    if (rec) co_return fail;
    if (!tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(timeout);
      auto [cec, ep] = co_await stream.async_connect(results, use_tuple);
      if (cec) co_return fail;
      auto r = co_await exchange(stream, req, timeout);
      boost::system::error_code ignore;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignore);
      co_return r;
    }
    ssl::stream<beast::tcp_stream> stream(ioc, client_ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) co_return fail;
    if (!opts.webhook_insecure) stream.set_verify_callback(ssl::host_name_verification(host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(results, use_tuple);
    if (cec) co_return fail;
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) co_return fail;
    auto r = co_await exchange(stream, req, timeout);
    beast::get_lowest_layer(stream).expires_after(timeout);
    co_await stream.async_shutdown(use_tuple);  // peers often skip close_notify; ignore
    co_return r;
  }

  asio::awaitable<http_response> run_verify(verify_plan plan) {
    std::vector<std::pair<std::string, std::string>> no_headers;
    auto r = co_await call(plan.url, http::verb::get, std::string(), std::move(no_headers));
    const bool ok = r.ok && r.status == 200 && r.body == plan.challenge;
    core.on_verify_result(ok);
    if (plan.override_ticket) co_return core.on_override_verified(plan.override_ticket, ok, r.ok ? r.status : 0);
    http_response out;
    out.headers = {{"content-type", "application/json"}};
    std::string escaped;
    for (const char ch : r.body.substr(0, 512)) {
      if (ch == '"' || ch == '\\') escaped += '\\';
      if (static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7F) escaped += ch;
    }
    out.body = std::string("{\"ok\":") + (ok ? "true" : "false") + ",\"status\":" + std::to_string(r.status) +
               ",\"body\":\"" + escaped + "\",\"challenge\":\"" + plan.challenge + "\"}";
    co_return out;
  }

  // ------------------------------------------------------------------ webhook delivery
  static asio::awaitable<void> tick_loop(std::shared_ptr<impl> self) {
    while (!self->stopped) {
      self->tick.expires_after(tick_interval);
      auto [ec] = co_await self->tick.async_wait(use_tuple);
      if (ec || self->stopped) co_return;
      for (auto& post : self->core.take_due_webhooks()) {
        auto& q = self->queues[post.url];
        if (q.size() >= max_queue_per_target) {
          self->core.on_webhook_result(q.front(), 0, false);
          q.pop_front();
        }
        const std::string url = post.url;
        q.push_back(std::move(post));
        if (self->draining.insert(url).second) asio::co_spawn(self->ioc, drain(self, url), log_exception);
      }
    }
  }

  static asio::awaitable<void> drain(std::shared_ptr<impl> self, std::string url) {
    for (;;) {
      auto& q = self->queues[url];
      if (q.empty() || self->stopped) break;
      webhook_post post = std::move(q.front());
      q.pop_front();
      // Built outside the co_await expression: GCC 12 miscompiles braced temporaries there.
      std::vector<std::pair<std::string, std::string>> headers;
      headers.emplace_back("content-type", "application/json");
      headers.emplace_back("x-hub-signature-256", post.signature);
      auto r = co_await self->call(url, http::verb::post, post.body, std::move(headers));
      self->core.on_webhook_result(post, r.status, r.ok);
    }
    self->draining.erase(url);
  }
};

server::server(asio::io_context& ioc, server_options opts) : impl_(std::make_shared<impl>(ioc, std::move(opts))) {}

server::~server() {
  if (impl_) impl_->stopped = true;
}

std::uint16_t server::start() { return impl_->start(); }
void server::stop() { impl_->stop(); }
std::uint16_t server::port() const noexcept { return impl_->bound_port; }
bool server::tls() const noexcept { return impl_->tls_ctx.has_value(); }

int run(server_options opts) {
  asio::io_context ioc(1);
  server srv(ioc, std::move(opts));
  const auto port = srv.start();
  std::cout << "listening port=" << port << std::endl;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    srv.stop();
    ioc.stop();
  });
  ioc.run();
  return 0;
}

}  // namespace enfinito::fake_graph
