// meta::client: one Graph API call per connection (resolve → connect → TLS → write → read),
// under one deadline; and verify_number, the credential check used by instances.
#include <enfinito/meta/client.hpp>

#include <enfinito/crypto/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>

namespace enfinito::meta {
namespace {

using tcp = net::ip::tcp;
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

class error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "enfinito.meta"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::timeout: return "Graph API call timed out";
      case error::resolve_failed: return "cannot resolve the Graph API host";
      case error::connect_failed: return "cannot connect to the Graph API";
      case error::tls_failed: return "TLS handshake with the Graph API failed";
      case error::io_failed: return "Graph API connection broke";
      case error::response_too_large: return "Graph API response too large";
      case error::bad_response: return "Graph API response is not valid HTTP";
      case error::bad_base_url: return "meta.base_url is not http(s)://host[:port]";
    }
    return "meta error";
  }
};

// Everything one call owns. Shared with the deadline timer's handler, which closes the socket.
struct call_state {
  call_state(const executor& ex, ssl::context& ctx) : resolver(ex), stream(ex, ctx), timer(ex) {}
  tcp::resolver resolver;
  ssl::stream<tcp::socket> stream;
  net::steady_timer timer;
  bool timed_out = false;
  void close() {
    resolver.cancel();
    core::error_code ignored;
    stream.next_layer().close(ignored);
  }
};

// The serialized request, wiped when it goes away (it holds the bearer token).
struct wiped {
  std::string s;
  ~wiped() { if (!s.empty()) core::detail::secure_wipe(s.data(), s.size()); }
};

// Writes the head (which holds the token) and the body as two buffers, so a large body (a
// media upload) is not copied once more into the head's buffer.
template <class Stream>
net::awaitable<core::result<response>> exchange(Stream& s, const std::string& head, const std::string& body,
                                                std::size_t cap) {
  const std::array<net::const_buffer, 2> wire{net::buffer(head), net::buffer(body)};
  auto [wec, n] = co_await net::async_write(s, wire, tuple_awaitable);
  (void)n;
  if (wec) co_return error::io_failed;
  beast::flat_buffer buf;
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(cap);
  auto [rec, m] = co_await boost::beast::http::async_read(s, buf, parser, tuple_awaitable);
  (void)m;
  if (rec == boost::beast::http::error::body_limit) co_return error::response_too_large;
  if (rec == boost::beast::http::error::header_limit) co_return error::response_too_large;
  if (rec) co_return error::io_failed;
  auto msg = parser.release();
  std::string type(msg[boost::beast::http::field::content_type]);
  co_return response{msg.result_int(), std::move(msg.body()), std::move(type)};
}

}  // namespace

const boost::system::error_category& category() noexcept {
  static const error_category_impl c;
  return c;
}

core::result<std::shared_ptr<client>> client::make(client_options opts) {
  std::shared_ptr<client> c(new client(std::move(opts)));
  std::string_view b = c->opts_.base_url;
  while (b.ends_with('/')) b.remove_suffix(1);
  if (b.starts_with("https://")) {
    c->ep_.tls = true;
    b.remove_prefix(8);
  } else if (b.starts_with("http://")) {
    c->ep_.tls = false;
    b.remove_prefix(7);
  } else {
    return error::bad_base_url;
  }
  if (b.empty() || b.find_first_of("/?#@ ") != std::string_view::npos) return error::bad_base_url;
  // host[:port], IPv6 literals in brackets.
  std::string_view host = b, port;
  if (b.front() == '[') {
    const auto close = b.find(']');
    if (close == std::string_view::npos) return error::bad_base_url;
    host = b.substr(1, close - 1);
    if (close + 1 < b.size()) {
      if (b[close + 1] != ':') return error::bad_base_url;
      port = b.substr(close + 2);
    }
  } else if (const auto colon = b.rfind(':'); colon != std::string_view::npos) {
    host = b.substr(0, colon);
    port = b.substr(colon + 1);
  }
  if (host.empty()) return error::bad_base_url;
  if (!port.empty() && (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos))
    return error::bad_base_url;
  if (!port.empty() && (std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535))
    return error::bad_base_url;
  c->ep_.host = std::string(host);
  c->ep_.port = port.empty() ? (c->ep_.tls ? "443" : "80") : std::string(port);
  auto ctx = crypto::make_client_context(
      c->opts_.ca_file.empty() ? std::nullopt : std::optional<std::string>(c->opts_.ca_file));
  if (!ctx) return ctx.error();
  c->tls_ = std::move(*ctx);
  return c;
}

net::awaitable<core::result<response>> client::send(request r, const core::secret_string& token) const {
  auto res = co_await call(ep_, std::move(r), token, call_options{});
  co_return res;
}

net::awaitable<core::result<response>> client::send(request r, const core::secret_string& token,
                                                    call_options o) const {
  auto res = co_await call(ep_, std::move(r), token, o);
  co_return res;
}

namespace {

// http(s)://host[:port]/path?query → endpoint + origin-form target. No userinfo, no IPv6
// literals (Meta's download hosts are names), no whitespace.
bool split_url(std::string_view url, client::endpoint& ep, std::string& target) {
  if (url.starts_with("https://")) {
    ep.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    ep.tls = false;
    url.remove_prefix(7);
  } else {
    return false;
  }
  const auto slash = url.find_first_of("/?");
  const std::string_view authority = url.substr(0, slash);
  if (authority.empty() || authority.find_first_of("@[] \t\r\n") != std::string_view::npos) return false;
  std::string_view host = authority, port;
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
  }
  if (host.empty()) return false;
  ep.host = std::string(host);
  ep.port = port.empty() ? (ep.tls ? "443" : "80") : std::string(port);
  target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (target.front() == '?') target.insert(0, "/");
  return std::none_of(target.begin(), target.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; });
}

}  // namespace

net::awaitable<core::result<response>> client::fetch(std::string url, const core::secret_string& token,
                                                     call_options o) const {
  endpoint ep;
  request r;
  if (!split_url(url, ep, r.target)) co_return error::bad_base_url;
  auto res = co_await call(std::move(ep), std::move(r), token, o);
  co_return res;
}

net::awaitable<core::result<response>> client::call(endpoint ep, request r, const core::secret_string& token,
                                                    call_options o) const {
  auto ex = co_await net::this_coro::executor;
  auto st = std::make_shared<call_state>(ex, *tls_);
  const std::size_t max_bytes = o.max_response_bytes ? o.max_response_bytes : opts_.max_response_bytes;

  // One deadline for the whole call: closing the socket ends whichever operation is pending.
  st->timer.expires_after(o.timeout.count() > 0 ? o.timeout : opts_.timeout);
  st->timer.async_wait([w = std::weak_ptr<call_state>(st)](core::error_code ec) {
    if (ec) return;
    if (auto s = w.lock()) {
      s->timed_out = true;
      s->close();
    }
  });
  auto finish = [&](core::result<response> res) -> core::result<response> {
    st->timer.cancel();
    if (st->timed_out) return error::timeout;
    return res;
  };

  auto [rec, results] = co_await st->resolver.async_resolve(ep.host, ep.port, tuple_awaitable);
  if (rec) co_return finish(error::resolve_failed);
  auto [cec, endpoint] = co_await net::async_connect(st->stream.next_layer(), results, tuple_awaitable);
  (void)endpoint;
  if (cec) co_return finish(error::connect_failed);
  if (ep.tls) {
    if (auto ec = crypto::prepare_client_stream(st->stream, ep.host)) co_return finish(ec);
    auto [hec] = co_await st->stream.async_handshake(ssl::stream_base::client, tuple_awaitable);
    if (hec) co_return finish(error::tls_failed);
  }

  // HTTP/1.1 by hand: a flat buffer we can wipe, since it carries the token.
  wiped wire;
  const bool ipv6 = ep.host.find(':') != std::string::npos;
  const bool default_port = ep.port == (ep.tls ? "443" : "80");
  wire.s.reserve(256 + r.target.size() + token.reveal().size());
  wire.s += r.method + " " + r.target + " HTTP/1.1\r\nHost: ";
  wire.s += ipv6 ? "[" + ep.host + "]" : ep.host;
  if (!default_port) wire.s += ":" + ep.port;
  wire.s += "\r\nUser-Agent: enfinito/" ENFINITO_VERSION "\r\nAccept: application/json\r\n";
  wire.s += "Connection: close\r\nAuthorization: Bearer ";
  wire.s += token.reveal();
  wire.s += "\r\n";
  if (!r.body.empty() || r.method == "POST") {
    wire.s += "Content-Type: " + (r.content_type.empty() ? std::string("application/json") : r.content_type);
    wire.s += "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  wire.s += "\r\n";

  // (Not a ?: over two co_awaits: GCC 12 destroys the result twice.)
  core::result<response> res = response{};
  if (ep.tls) res = co_await exchange(st->stream, wire.s, r.body, max_bytes);
  else res = co_await exchange(st->stream.next_layer(), wire.s, r.body, max_bytes);
  // No TLS close_notify dance: the response is complete (length-delimited) and the
  // connection is not reused, so closing is enough.
  st->close();
  co_return finish(std::move(res));
}

namespace {

verification from_graph_error(const graph_error& e) {
  verification v;
  v.error = e;
  switch (classify(e)) {
    case disposition::needs_reauth: v.outcome = verify_outcome::token_invalid; return v;
    case disposition::retryable: v.outcome = verify_outcome::upstream_unavailable; return v;
    case disposition::permanent: break;
  }
  if (e.code == 104) v.outcome = verify_outcome::token_invalid;
  else if (e.code == 10 || (e.code >= 200 && e.code <= 299)) v.outcome = verify_outcome::no_permission;
  else if (e.code == 100 || e.code == 803) v.outcome = verify_outcome::unknown_phone_number;
  else v.outcome = verify_outcome::upstream_error;
  return v;
}

// One page of `/{waba}/phone_numbers`: a verdict, or none and the next cursor in `after`
// (empty after the last page).
std::optional<verification> on_waba_page(const core::result<response>& list, const std::string& phone_number_id,
                                         const phone_number_info& info, std::string& after) {
  verification v;
  if (!list) {
    v.outcome = verify_outcome::upstream_unavailable;
    v.transport = list.error();
    return v;
  }
  if (!list->ok()) {
    auto w = from_graph_error(parse_error(list->status, list->body));
    if (w.outcome == verify_outcome::unknown_phone_number || w.outcome == verify_outcome::no_permission)
      w.outcome = verify_outcome::unknown_waba;
    return w;
  }
  auto numbers = parse_phone_number_page(list->body);
  if (!numbers) {
    // A phone number id given as the WABA id answers 100 above; anything else is odd.
    v.outcome = verify_outcome::unknown_waba;
    return v;
  }
  for (const auto& n : numbers->numbers)
    if (n.id == phone_number_id) {
      v.outcome = verify_outcome::ok;
      v.number = info;
      return v;
    }
  after = numbers->after;
  return std::nullopt;
}

}  // namespace

net::awaitable<verification> verify_number(const client& c, std::string phone_number_id,
                                           std::string waba_id, const core::secret_string& token) {
  verification v;
  // 1. The number itself, with the token.
  const request first = get_phone_number(c.version(), phone_number_id);
  auto got = co_await c.send(first, token);
  if (!got) {
    v.outcome = verify_outcome::upstream_unavailable;
    v.transport = got.error();
    co_return v;
  }
  if (!got->ok()) co_return from_graph_error(parse_error(got->status, got->body));
  auto info = parse_phone_number(got->body);
  if (!info) {
    v.outcome = info.error() == parse_failure::wrong_shape ? verify_outcome::not_a_phone_number
                                                           : verify_outcome::upstream_error;
    co_return v;
  }

  // 2. The WABA owns it. (Locals live outside the loop and nothing co_returns from inside
  // it: GCC 12 destroys some coroutine temporaries twice when they do.)
  std::string after;
  request req;
  core::result<response> list = response{};
  std::optional<verification> verdict;
  for (int page = 0; page < 10 && !verdict; ++page) {
    req = list_waba_phone_numbers(c.version(), waba_id, after);
    list = co_await c.send(req, token);
    verdict = on_waba_page(list, phone_number_id, *info, after);
    if (!verdict && after.empty()) break;
  }
  if (verdict) co_return *verdict;
  v.outcome = verify_outcome::waba_not_owner;
  co_return v;
}

}  // namespace enfinito::meta
