// api::authenticate: the credential of a request (API key or session cookie) as a principal or
// the refusal to answer, and the session cookie's Set-Cookie values. The lookups are
// accounts/sessions.hpp's, the decisions (CSRF, access, enrolment-only reach) auth/guard.hpp's.
#include <enfinito/accounts/sessions.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/rate_guard.hpp>

namespace enfinito::api {

http::response unauthenticated(std::string_view detail) {
  auto r = http::problem(http::status::unauthorized, "unauthenticated", "Authentication required", detail);
  r.set(http::bhttp::field::www_authenticate, "Bearer");
  return r;
}

namespace {

http::response forbidden(std::string_view code, std::string_view detail) {
  return http::problem(http::status::forbidden, code, "Forbidden", detail);
}

http::response store_unavailable() {
  return http::problem(http::status::service_unavailable, "store_unavailable", "Try again later");
}

bool unsafe(http::verb v) { return v != http::verb::get && v != http::verb::head && v != http::verb::options; }

// CSRF defence for cookie-authenticated unsafe requests (auth::check_csrf, docs/security.md).
std::optional<http::response> csrf_check(const http::request& req, const services& s) {
  auth::request_origin o{req.msg.method() == http::verb::post, !req.msg.body().empty(), req.header("Content-Type"),
                         req.header("Origin"), req.header("Sec-Fetch-Site")};
  switch (auth::check_csrf(o, auth::public_origin(s.cfg.server.public_url))) {
    case auth::csrf_verdict::ok:
      return std::nullopt;
    case auth::csrf_verdict::not_json:
      return forbidden("csrf_rejected", "cookie-authenticated changes must send Content-Type: application/json");
    case auth::csrf_verdict::wrong_origin:
      return forbidden("csrf_rejected", "the Origin header must be this service's public origin");
    case auth::csrf_verdict::cross_site:
      break;
  }
  return forbidden("csrf_rejected", "cross-site request refused");
}

std::optional<http::response> access_refused(const principal& p, access need) {
  switch (auth::check_access(p, need)) {
    case auth::access_refusal::none:
      return std::nullopt;
    case auth::access_refusal::admin_only:
      return forbidden("forbidden", "administrators only");
    case auth::access_refusal::read_only_key:
      break;
  }
  return forbidden("read_only_key", "this API key is read-only");
}

net::awaitable<std::variant<principal, http::response>> by_api_key(http::request& req, services& s,
                                                                   std::string_view key, access need) {
  auto ctx = account_context(s);
  auto found = co_await accounts::find_key_principal(ctx, req.reactor, key);
  if (found.ec) co_return store_unavailable();
  if (!found.who) co_return unauthenticated("invalid API key");
  if (auto r = access_refused(*found.who, need)) co_return std::move(*r);
  co_return std::move(*found.who);
}

net::awaitable<std::variant<principal, http::response>> by_session(http::request& req, services& s,
                                                                   std::string_view token, access need) {
  // Decided before the lookup (no I/O), answered after it: an unknown session is a 401 first.
  std::optional<http::response> csrf;
  if (unsafe(req.msg.method())) csrf = csrf_check(req, s);
  auto ctx = account_context(s);
  auto found = co_await accounts::find_session_principal(ctx, token, !csrf);
  if (found.ec) co_return store_unavailable();
  if (!found.who) co_return unauthenticated("no valid session");
  if (csrf) co_return std::move(*csrf);
  auto& p = *found.who;
  if (p.enrolment_only &&
      !auth::enrolment_route(std::string_view(req.msg.target()), req.msg.method() == http::verb::get))
    co_return forbidden("second_factor_enrolment_required",
                        "administrators need a second factor: enrol one (POST /v1/me/totp) first");
  if (auto r = access_refused(p, need)) co_return std::move(*r);
  co_return std::move(p);
}

// Every authenticated request takes its fair-share tokens here, after the credential is known.
std::variant<principal, http::response> rate_limited(const http::request& req, services& s,
                                                     std::variant<principal, http::response> who) {
  if (auto* p = std::get_if<principal>(&who))
    if (auto r = rate_guard(req, s, p->user_id, p->via_api_key ? p->api_key_id : std::string_view{}))
      return std::move(*r);
  return who;
}

net::awaitable<std::variant<principal, http::response>> identify(http::request& req, services& s, access need) {
  if (auto authz = req.header("Authorization")) {
    auto key = auth::bearer_token(*authz);
    if (!key) co_return unauthenticated("use Authorization: Bearer <API key>");
    co_return co_await by_api_key(req, s, *key, need);
  }
  if (auto token = request_cookie(req, session_cookie_name(s.cfg))) co_return co_await by_session(req, s, *token, need);
  co_return unauthenticated("sign in or send an API key");
}

}  // namespace

net::awaitable<std::variant<principal, http::response>> authenticate(http::request& req, services& s, access need) {
  co_return rate_limited(req, s, co_await identify(req, s, need));
}

accounts::context account_context(services& s) { return {s.cfg, s.db, s.blocking, *s.vault, *s.auth}; }

std::string session_cookie_name(const config::settings& cfg) { return auth::session_cookie_name(cfg.server.tls()); }

std::optional<std::string> request_cookie(const http::request& req, std::string_view name) {
  auto header = req.header("Cookie");
  if (!header) return std::nullopt;
  return auth::cookie_value(*header, name);
}

std::string client_address(const http::request& req) { return req.remote.to_string(); }

store::audit::actor audit_actor(const principal& p, const http::request& req) {
  return {p.user_id, p.via_api_key ? p.api_key_id : std::string(), client_address(req)};
}

std::string session_cookie(const config::settings& cfg, std::string_view token) {
  return auth::set_cookie(session_cookie_name(cfg), token, cfg.auth.session_absolute_timeout_s, cfg.server.tls());
}

std::string expired_session_cookie(const config::settings& cfg) {
  return auth::set_cookie(session_cookie_name(cfg), "", 0, cfg.server.tls());
}

}  // namespace enfinito::api
