// Synchronous test client: runs Beast's async operations on a private io_context so that
// tcp_stream deadlines apply (Beast's synchronous calls have no timeouts).
#include "support/http_client.hpp"
#include "support/response_log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cctype>
#include <exception>

namespace enfinito::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string http_result::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < k.size() && eq; ++i)
      eq = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (eq) return v;
  }
  return {};
}

namespace {

void throw_if(const boost::system::error_code& ec) {
  if (ec) throw boost::system::system_error(ec);
}

http::request<http::string_body> make_request(const std::string& host, std::uint16_t port, const std::string& method,
                                              const std::string& target, const header_list& headers,
                                              const std::string& body) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, host + ":" + std::to_string(port));
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.keep_alive(false);
  if (!body.empty() || method == "POST" || method == "PUT") req.prepare_payload();
  return req;
}

template <class Stream>
asio::awaitable<http_result> exchange(Stream& stream, http::request<http::string_body>& req,
                                      std::chrono::milliseconds timeout) {
  constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [wec, w] = co_await http::async_write(stream, req, tuple);
  throw_if(wec);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(200 * 1024 * 1024);
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [rec, r] = co_await http::async_read(stream, buf, parser, tuple);
  throw_if(rec);
  http_result out;
  out.status = parser.get().result_int();
  for (const auto& f : parser.get()) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(parser.get().body());
  co_return out;
}

// Runs the coroutine to completion on a private context and returns its value or rethrows.
template <class Fn>
http_result run_sync(Fn fn) {
  asio::io_context ioc;
  http_result result;
  std::exception_ptr error;
  asio::co_spawn(ioc, fn(ioc), [&](std::exception_ptr e, http_result r) {
    error = e;
    result = std::move(r);
  });
  ioc.run();
  if (error) std::rethrow_exception(error);
  return result;
}

}  // namespace

http_result http_request(const std::string& host, std::uint16_t port, const std::string& method,
                         const std::string& target, const header_list& headers, const std::string& body,
                         std::chrono::milliseconds timeout) {
  auto req = make_request(host, port, method, target, headers, body);
  return run_sync([&](asio::io_context& ioc) -> asio::awaitable<http_result> {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    tcp::resolver resolver(ioc);
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), tuple);
    throw_if(rec);
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    auto [cec, ep] = co_await stream.async_connect(results, tuple);
    throw_if(cec);
    auto out = co_await exchange(stream, req, timeout);
    boost::system::error_code ignore;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignore);
    record_response(port, method, target, out);
    co_return out;
  });
}

http_result https_request(const std::string& host, std::uint16_t port, const std::string& method,
                          const std::string& target, const header_list& headers, const std::string& body,
                          const std::string& ca_file, std::chrono::milliseconds timeout) {
  auto req = make_request(host, port, method, target, headers, body);
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  return run_sync([&](asio::io_context& ioc) -> asio::awaitable<http_result> {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    tcp::resolver resolver(ioc);
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), tuple);
    throw_if(rec);
    ssl::stream<beast::tcp_stream> stream(ioc, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) throw std::runtime_error("SNI failed");
    stream.set_verify_callback(ssl::host_name_verification(host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(results, tuple);
    throw_if(cec);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, tuple);
    throw_if(hec);
    auto out = co_await exchange(stream, req, timeout);
    beast::get_lowest_layer(stream).expires_after(timeout);
    co_await stream.async_shutdown(tuple);
    record_response(port, method, target, out);
    co_return out;
  });
}

}  // namespace enfinito::test
