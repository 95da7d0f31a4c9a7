// auth::google_client: token endpoint and JWKS calls (upstream::client, one connection each),
// and the JWKS cache refresh. See include/enfinito/auth/google_client.hpp.
#include <enfinito/auth/google_client.hpp>

#include <enfinito/core/log.hpp>
#include <enfinito/crypto/tls.hpp>
#include <enfinito/upstream/client.hpp>

#include <boost/asio/ip/address.hpp>

namespace enfinito::auth {
namespace {

constexpr std::size_t max_answer_bytes = 256 * 1024;

bool loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto a = net::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

// https://host[:port]/path?query, or http:// to a loopback host (test providers).
core::result<upstream::url_parts> parse_endpoint(const std::string& url) {
  auto p = upstream::parse_url(url);
  if (!p) return oidc::error::bad_endpoint;
  if (!p->where.tls && !loopback_host(p->where.host)) return oidc::error::bad_endpoint;
  return p;
}

}  // namespace

net::awaitable<core::result<provider_answer>> provider_call(std::string url, std::string form_body,
                                                            std::shared_ptr<ssl::context> tls,
                                                            std::chrono::milliseconds timeout) {
  auto ep = parse_endpoint(url);
  if (!ep) co_return ep.error();
  // Sign-ins are rare: one connection per call, nothing kept alive.
  upstream::options o;
  o.timeout = timeout;
  o.connect_timeout = timeout;
  o.max_header_bytes = 16 * 1024;
  o.max_response_bytes = max_answer_bytes;
  o.max_idle_per_reactor = 0;
  o.why = upstream::purpose::google;
  auto http = upstream::client::make(ep->where, o, std::move(tls));
  upstream::request r;
  r.target = ep->target;
  if (!form_body.empty()) {
    r.method = "POST";
    r.body = form_body;
    r.content_type = "application/x-www-form-urlencoded";
  }
  auto got = co_await http->call(r);
  core::detail::secure_wipe(form_body.data(), form_body.size());
  if (!got) co_return oidc::error::provider_unreachable;
  co_return provider_answer{got->status, std::move(got->body)};
}

std::shared_ptr<google_client> google_client::from_settings(const config::settings& s) {
  const auto& g = s.google;
  std::string why;
  auto secret = config::read_secret_file(s, "google.client_secret", &why);
  if (!secret) throw config::config_error("google.client_secret: " + why);
  auto tls = crypto::make_client_context(g.ca_file.empty() ? std::nullopt : std::optional<std::string>(g.ca_file));
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

net::awaitable<core::result<oidc::identity>> google_client::sign_in(std::string code, std::string code_verifier,
                                                                    std::string nonce) {
  auto answer = co_await provider_call(
      provider_.token_endpoint, oidc::token_request_body(provider_, code, code_verifier, client_secret_.reveal()), tls_,
      timeout_);
  core::detail::secure_wipe(code.data(), code.size());
  core::detail::secure_wipe(code_verifier.data(), code_verifier.size());
  if (!answer) co_return answer.error();
  // The answer holds the access and refresh tokens: only the id_token is taken from it, and
  // the rest is wiped now rather than left in freed memory.
  core::result<std::string> id_token = oidc::error::provider_error;
  if (answer->status == 200) id_token = oidc::parse_token_response(answer->body);
  core::detail::secure_wipe(answer->body.data(), answer->body.size());
  if (!id_token) {
    core::log::warn("auth.google_token_refused", {{"status", answer->status}, {"reason", id_token.error().message()}});
    co_return id_token.error();
  }
  auto id = co_await verify(std::move(*id_token), std::move(nonce));
  co_return id;
}

net::awaitable<void> google_client::refresh_keys() {
  auto answer = co_await provider_call(provider_.jwks_uri, {}, tls_, timeout_);
  if (!answer || answer->status != 200) {
    core::log::warn("auth.google_jwks_fetch_failed",
                    {{"status", answer ? answer->status : 0u},
                     {"reason", answer ? std::string("http status") : answer.error().message()}});
    co_return;
  }
  auto keys = oidc::parse_jwks(answer->body);
  if (!keys) {
    core::log::warn("auth.google_jwks_malformed", {});
    co_return;
  }
  core::log::info("auth.google_jwks_refreshed", {{"keys", keys->size()}});
  cache_.update(std::move(*keys), oidc::jwks_cache::clock::now());
}

net::awaitable<core::result<oidc::identity>> google_client::verify(std::string id_token, std::string nonce) {
  auto kid = oidc::token_kid(id_token);
  if (!kid) co_return kid.error();
  if (cache_.begin_fetch(*kid, oidc::jwks_cache::clock::now())) co_await refresh_keys();
  auto keys = cache_.keys();
  if (!keys) co_return oidc::error::provider_unreachable;
  co_return oidc::verify_id_token(id_token, *keys, {provider_, nonce, std::chrono::system_clock::now()});
}

}  // namespace enfinito::auth
