// auth::google_client: token endpoint and JWKS calls (one connection each, one deadline),
// and the JWKS cache refresh. See include/enfinito/auth/google_client.hpp.
#include <enfinito/auth/google_client.hpp>

#include <enfinito/core/log.hpp>
#include <enfinito/crypto/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>

namespace enfinito::auth {
namespace {

using tcp = net::ip::tcp;
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_answer_bytes = 256 * 1024;

struct endpoint {
  bool tls = true;
  std::string host;
  std::string port;
  std::string target;
};

bool loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto a = net::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

// https://host[:port]/path?query, or http:// to a loopback host; no userinfo, no fragment.
core::result<endpoint> parse_endpoint(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return oidc::error::bad_endpoint;
  endpoint ep;
  const auto scheme = u->scheme();
  if (scheme == "https") ep.tls = true;
  else if (scheme == "http") ep.tls = false;
  else return oidc::error::bad_endpoint;
  if (u->has_userinfo() || !u->has_authority()) return oidc::error::bad_endpoint;
  ep.host = u->host_address();  // IPv6 without brackets
  if (ep.host.empty()) return oidc::error::bad_endpoint;
  if (!ep.tls && !loopback_host(ep.host)) return oidc::error::bad_endpoint;
  ep.port = u->has_port() ? std::string(u->port()) : (ep.tls ? "443" : "80");
  if (ep.port.empty()) return oidc::error::bad_endpoint;
  ep.target = std::string(u->encoded_path());
  if (ep.target.empty()) ep.target = "/";
  if (u->has_query()) ep.target += "?" + std::string(u->encoded_query());
  return ep;
}

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

// The serialized request, wiped when it goes away (it holds the code and the client secret).
struct wiped {
  std::string s;
  ~wiped() {
    if (!s.empty()) core::detail::secure_wipe(s.data(), s.size());
  }
};

template <class Stream>
net::awaitable<core::result<provider_answer>> do_exchange(Stream& s, const std::string& wire) {
  auto [wec, n] = co_await net::async_write(s, net::buffer(wire), tuple_awaitable);
  (void)n;
  if (wec) co_return oidc::error::provider_unreachable;
  beast::flat_buffer buf;
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(max_answer_bytes);
  auto [rec, m] = co_await boost::beast::http::async_read(s, buf, parser, tuple_awaitable);
  (void)m;
  if (rec) co_return oidc::error::provider_unreachable;
  auto msg = parser.release();
  co_return provider_answer{msg.result_int(), std::move(msg.body())};
}

}  // namespace

net::awaitable<core::result<provider_answer>> provider_call(std::string url, std::string form_body,
                                                            std::shared_ptr<ssl::context> tls,
                                                            std::chrono::milliseconds timeout) {
  auto ep = parse_endpoint(url);
  if (!ep) co_return ep.error();
  auto ex = co_await net::this_coro::executor;
  auto st = std::make_shared<call_state>(ex, *tls);

  // One deadline for the whole call: closing the socket ends whichever operation is pending.
  st->timer.expires_after(timeout);
  st->timer.async_wait([w = std::weak_ptr<call_state>(st)](core::error_code ec) {
    if (ec) return;
    if (auto s = w.lock()) {
      s->timed_out = true;
      s->close();
    }
  });
  auto finish = [&](core::result<provider_answer> r) -> core::result<provider_answer> {
    st->timer.cancel();
    st->close();
    if (st->timed_out) return oidc::error::provider_unreachable;
    return r;
  };

  auto [rec, results] = co_await st->resolver.async_resolve(ep->host, ep->port, tuple_awaitable);
  if (rec) co_return finish(oidc::error::provider_unreachable);
  auto [cec, peer] = co_await net::async_connect(st->stream.next_layer(), results, tuple_awaitable);
  (void)peer;
  if (cec) co_return finish(oidc::error::provider_unreachable);
  if (ep->tls) {
    if (crypto::prepare_client_stream(st->stream, ep->host))
      co_return finish(oidc::error::provider_unreachable);
    auto [hec] = co_await st->stream.async_handshake(ssl::stream_base::client, tuple_awaitable);
    if (hec) co_return finish(oidc::error::provider_unreachable);
  }

  wiped wire;
  const bool ipv6 = ep->host.find(':') != std::string::npos;
  const bool post = !form_body.empty();
  wire.s = std::string(post ? "POST " : "GET ") + ep->target + " HTTP/1.1\r\nHost: ";
  wire.s += ipv6 ? "[" + ep->host + "]" : ep->host;
  if (ep->port != (ep->tls ? "443" : "80")) wire.s += ":" + ep->port;
  wire.s += "\r\nUser-Agent: enfinito/" ENFINITO_VERSION "\r\nAccept: application/json\r\n"
            "Connection: close\r\n";
  if (post) {
    wire.s += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
              std::to_string(form_body.size()) + "\r\n";
  }
  wire.s += "\r\n";
  wire.s += form_body;
  core::detail::secure_wipe(form_body.data(), form_body.size());

  // Not `tls ? co_await a : co_await b`: GCC 12 destroys the result of a co_await inside a
  // conditional expression twice.
  core::result<provider_answer> res = oidc::error::provider_unreachable;
  if (ep->tls) res = co_await do_exchange(st->stream, wire.s);
  else res = co_await do_exchange(st->stream.next_layer(), wire.s);
  co_return finish(std::move(res));
}

std::shared_ptr<google_client> google_client::from_settings(const config::settings& s) {
  const auto& g = s.google;
  std::string why;
  auto secret = config::read_secret_file(s, "google.client_secret", &why);
  if (!secret) throw config::config_error("google.client_secret: " + why);
  auto tls = crypto::make_client_context(g.ca_file.empty() ? std::nullopt
                                                           : std::optional<std::string>(g.ca_file));
  if (!tls) throw config::config_error("google.ca_file: " + tls.error().message());

  oidc::provider_config p;
  p.client_id = g.client_id;
  p.authorization_endpoint = g.authorization_endpoint;
  p.token_endpoint = g.token_endpoint;
  p.jwks_uri = g.jwks_uri;
  p.issuers = {g.issuer};
  // Google documents both spellings of its issuer
  // (https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken).
  if (g.issuer == "https://accounts.google.com") p.issuers.push_back("accounts.google.com");
  p.redirect_uri = s.server.public_url + "/v1/auth/google/callback";
  for (const auto* url : {&p.token_endpoint, &p.jwks_uri})
    if (!parse_endpoint(*url)) throw config::config_error("google: endpoint URL not allowed: " + *url);
  return std::make_shared<google_client>(std::move(p), std::move(*secret), std::move(*tls), g.timeout,
                                         std::chrono::seconds(g.jwks_min_refresh_s));
}

google_client::google_client(oidc::provider_config provider, core::secret_string client_secret,
                             std::shared_ptr<ssl::context> tls, std::chrono::milliseconds timeout,
                             std::chrono::seconds jwks_min_refresh)
    : provider_(std::move(provider)),
      client_secret_(std::move(client_secret)),
      tls_(std::move(tls)),
      timeout_(timeout),
      cache_(jwks_min_refresh) {}

net::awaitable<core::result<oidc::identity>> google_client::sign_in(std::string code,
                                                                    std::string code_verifier,
                                                                    std::string nonce) {
  auto answer = co_await provider_call(
      provider_.token_endpoint,
      oidc::token_request_body(provider_, code, code_verifier, client_secret_.reveal()), tls_, timeout_);
  core::detail::secure_wipe(code.data(), code.size());
  core::detail::secure_wipe(code_verifier.data(), code_verifier.size());
  if (!answer) co_return answer.error();
  // The answer holds the access and refresh tokens: only the id_token is taken from it, and
  // the rest is wiped now rather than left in freed memory.
  core::result<std::string> id_token = oidc::error::provider_error;
  if (answer->status == 200) id_token = oidc::parse_token_response(answer->body);
  core::detail::secure_wipe(answer->body.data(), answer->body.size());
  if (!id_token) {
    core::log::warn("google.token_refused", {{"status", answer->status},
                                             {"reason", id_token.error().message()}});
    co_return id_token.error();
  }
  auto id = co_await verify(std::move(*id_token), std::move(nonce));
  co_return id;
}

net::awaitable<void> google_client::refresh_keys() {
  auto answer = co_await provider_call(provider_.jwks_uri, {}, tls_, timeout_);
  if (!answer || answer->status != 200) {
    core::log::warn("google.jwks_fetch_failed",
                    {{"status", answer ? answer->status : 0u},
                     {"reason", answer ? std::string("http status") : answer.error().message()}});
    co_return;
  }
  auto keys = oidc::parse_jwks(answer->body);
  if (!keys) {
    core::log::warn("google.jwks_malformed", {});
    co_return;
  }
  core::log::info("google.jwks_refreshed", {{"keys", keys->size()}});
  cache_.update(std::move(*keys), oidc::jwks_cache::clock::now());
}

net::awaitable<core::result<oidc::identity>> google_client::verify(std::string id_token,
                                                                   std::string nonce) {
  auto kid = oidc::token_kid(id_token);
  if (!kid) co_return kid.error();
  if (cache_.begin_fetch(*kid, oidc::jwks_cache::clock::now())) co_await refresh_keys();
  auto keys = cache_.keys();
  if (!keys) co_return oidc::error::provider_unreachable;
  co_return oidc::verify_id_token(id_token, *keys,
                                  {provider_, nonce, std::chrono::system_clock::now()});
}

}  // namespace enfinito::auth
