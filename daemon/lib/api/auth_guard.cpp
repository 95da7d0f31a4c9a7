// api::authenticate: API keys (cached per reactor, invalidated by the change stream) and
// session cookies (CSRF-checked), and
// the creation of sessions shared by every sign-in method.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/core/text.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/second_factor.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace enfinito::api {
namespace acc = store::accounts;
namespace {

constexpr std::string_view api_key_prefix = "enf_live_";
// last_used_at / last_seen_at are written at most this often per key or session: a write per
// request would put the store writer on the hot path for a timestamp.
constexpr std::int64_t touch_every_s = 60;

http::response unauthenticated(std::string_view detail) {
  auto r = http::problem(http::status::unauthorized, "unauthenticated", "Authentication required", detail);
  r.set(http::bhttp::field::www_authenticate, "Bearer");
  return r;
}

http::response forbidden(std::string_view code, std::string_view detail) {
  return http::problem(http::status::forbidden, code, "Forbidden", detail);
}

// What an enrolment-only session may reach: who am I, the second factor's routes, sign-out.
bool enrolment_route(const http::request& req) {
  auto target = std::string_view(req.msg.target());
  target = target.substr(0, target.find('?'));
  if (target == "/v1/me") return req.msg.method() == http::verb::get;
  return target == "/v1/me/totp" || target.starts_with("/v1/me/totp/") || target == "/v1/auth/signout";
}

bool unsafe(http::verb v) { return v != http::verb::get && v != http::verb::head && v != http::verb::options; }

std::string trim(std::string_view v) { return std::string(core::trim_ows(v)); }

}  // namespace

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(part.substr(0, eq)) == name) return trim(part.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<std::string> request_cookie(const http::request& req, std::string_view name) {
  auto header = req.header("Cookie");
  if (!header) return std::nullopt;
  return cookie_value(*header, name);
}

namespace {

// scheme://host[:port] of the public URL (validated absolute by config).
std::string public_origin(const config::settings& cfg) {
  const auto& u = cfg.server.public_url;
  auto start = u.find("://");
  auto slash = u.find('/', start + 3);
  return slash == std::string::npos ? u : u.substr(0, slash);
}

// CSRF defence for cookie-authenticated unsafe requests (docs/security.md).
// A cross-site HTML form can only send GET or POST, with a "simple" content type; other
// methods need a CORS preflight we never grant. So a POST, and any request with a body, must
// be application/json, and every unsafe request must come from our own origin. The one
// exception is a file upload (multipart/form-data: a file cannot travel as JSON) that the
// browser itself marks `Sec-Fetch-Site: same-origin`, a header no page can set or forge; the
// Origin check below applies to it as to everything else.
std::optional<http::response> csrf_check(const http::request& req, const services& s) {
  auto ct = req.header("Content-Type");
  std::string type = ct ? trim(ct->substr(0, ct->find(';'))) : std::string();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto site = req.header("Sec-Fetch-Site");
  const bool same_origin_upload = type == "multipart/form-data" && site && *site == "same-origin";
  bool needs_json = req.msg.method() == http::verb::post || !req.msg.body().empty();
  if (needs_json && type != "application/json" && !same_origin_upload)
    return forbidden("csrf_rejected", "cookie-authenticated changes must send Content-Type: application/json");
  auto origin = req.header("Origin");
  if (!origin || *origin != public_origin(s.cfg))
    return forbidden("csrf_rejected", "the Origin header must be this service's public origin");
  if (site && *site != "same-origin" && *site != "none")
    return forbidden("csrf_rejected", "cross-site request refused");
  return std::nullopt;
}

std::optional<http::response> check_access(const principal& p, access need) {
  if (need == access::admin && p.role != "admin") return forbidden("forbidden", "administrators only");
  if (need != access::read && p.read_only) return forbidden("read_only_key", "this API key is read-only");
  return std::nullopt;
}

net::awaitable<std::variant<principal, http::response>> by_api_key(http::request& req, services& s,
                                                                   std::string_view key, access need) {
  if (!key.starts_with(api_key_prefix) || key.size() > 128) co_return unauthenticated("invalid API key");
  auto hash = crypto::sha256_hex(key);
  auto& cache = s.auth->keys();
  auto* hit = cache.get(req.reactor, hash);
  if (!hit) {
    auto generation = cache.generation();  // before the read: see auth/runtime.hpp
    std::optional<acc::key_lookup> found;
    auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
      auto r = acc::find_api_key(c, hash);
      if (!r) return r.error();
      found = std::move(*r);
      return {};
    });
    if (ec) co_return http::problem(http::status::service_unavailable, "store_unavailable", "Try again later");
    if (!found || found->key.revoked_at || found->status != "active") co_return unauthenticated("invalid API key");
    auth::cached_key k{found->key.id,        found->key.user_id,      found->role,
                       found->key.read_only, found->key.instance_ids, found->key.last_used_at.value_or(0)};
    cache.put(req.reactor, hash, std::move(k), generation);
    hit = cache.get(req.reactor, hash);
    if (!hit) co_return unauthenticated("invalid API key");  // revoked while we looked it up
  }
  principal p{hit->user_id, hit->role, true, hit->key_id, hit->read_only, hit->instance_ids};
  auto now = acc::now_s();
  if (now - hit->last_touch_s >= touch_every_s) {
    hit->last_touch_s = now;
    // No co_await in the same expression as a capturing lambda: GCC 12 destroys such
    // temporaries twice (see auth::run_blocking).
    auto ex = co_await net::this_coro::executor;
    store::work_fn touch = [id = hit->key_id, now](store::connection& c) { return acc::touch_api_key(c, id, now); };
    s.db.submit_write(std::move(touch), ex, [](core::error_code) {});
  }
  if (auto r = check_access(p, need)) co_return std::move(*r);
  co_return p;
}

net::awaitable<std::variant<principal, http::response>> by_session(http::request& req, services& s,
                                                                   std::string_view token, access need) {
  if (token.empty() || token.size() > 128) co_return unauthenticated("no valid session");
  auto hash = crypto::sha256_hex(token);
  std::optional<acc::session> ses;
  std::optional<acc::user> usr;
  bool enrolment_only = false;
  auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto r = acc::find_session(c, hash);
    if (!r) return r.error();
    ses = std::move(*r);
    if (!ses) return {};
    auto u = acc::find_user_by_id(c, ses->user_id);
    if (!u) return u.error();
    usr = std::move(*u);
    if (!usr || usr->role != "admin") return {};  // only administrators' sessions can be restricted
    return store::second_factor::session_restricted(c, ses->id, enrolment_only);
  });
  if (ec) co_return http::problem(http::status::service_unavailable, "store_unavailable", "Try again later");
  auto now = acc::now_s();
  if (!ses || !usr || usr->status != "active" || ses->expires_at <= now ||
      ses->last_seen_at + s.cfg.auth.session_idle_timeout_s <= now)
    co_return unauthenticated("no valid session");
  if (unsafe(req.msg.method()))
    if (auto r = csrf_check(req, s)) co_return std::move(*r);
  if (now - ses->last_seen_at >= touch_every_s) {
    auto ex = co_await net::this_coro::executor;
    store::work_fn touch = [id = ses->id, now](store::connection& c) { return acc::touch_session(c, id, now); };
    s.db.submit_write(std::move(touch), ex, [](core::error_code) {});
  }
  principal p{usr->id, usr->role};
  p.session_id = ses->id;
  p.session_created_at = ses->created_at;
  p.enrolment_only = enrolment_only;
  if (enrolment_only && !enrolment_route(req))
    co_return forbidden("second_factor_enrolment_required",
                        "administrators need a second factor: enrol one (POST /v1/me/totp) first");
  if (auto r = check_access(p, need)) co_return std::move(*r);
  co_return p;
}

}  // namespace

bool principal::may_use_instance(std::string_view instance_id) const {
  return instance_ids.empty() || std::find(instance_ids.begin(), instance_ids.end(), instance_id) != instance_ids.end();
}

std::string session_cookie_name(const config::settings& cfg) {
  return cfg.server.tls() ? "__Host-enfinito_session" : "enfinito_session";
}

std::string client_address(const http::request& req) { return req.remote.to_string(); }

store::audit::actor audit_actor(const principal& p, const http::request& req) {
  return {p.user_id, p.via_api_key ? p.api_key_id : std::string(), client_address(req)};
}

namespace {

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
    std::string_view v = *authz;
    if (v.size() < 7 || !(v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer "))
      co_return unauthenticated("use Authorization: Bearer <API key>");
    co_return co_await by_api_key(req, s, trim(v.substr(7)), need);
  }
  if (auto cookie = req.header("Cookie"))
    if (auto token = cookie_value(*cookie, session_cookie_name(s.cfg)))
      co_return co_await by_session(req, s, *token, need);
  co_return unauthenticated("sign in or send an API key");
}

}  // namespace

net::awaitable<std::variant<principal, http::response>> authenticate(http::request& req, services& s, access need) {
  co_return rate_limited(req, s, co_await identify(req, s, need));
}

net::awaitable<core::result<std::string>> start_session(services& s, const http::request& req, std::string_view user_id,
                                                        std::string_view method) {
  auto token = crypto::random_token(32);  // 256 bits
  acc::session ses;
  ses.id = "ses_" + crypto::random_token(16);
  ses.user_id = std::string(user_id);
  ses.created_at = acc::now_s();
  ses.last_seen_at = ses.created_at;
  ses.expires_at = ses.created_at + s.cfg.auth.session_absolute_timeout_s;
  ses.client_address = client_address(req);
  ses.method = std::string(method);
  auto hash = crypto::sha256_hex(token);
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    // Expired sessions are swept at every sign-in: cheap with the indexes, and no timer needed.
    if (auto e = acc::purge_sessions(c, ses.created_at, s.cfg.auth.session_idle_timeout_s)) return e;
    if (auto e = acc::insert_session(c, ses, hash)) return e;
    // An administrator without a second factor may only enrol one (accounts/second_factor.hpp).
    auto u = acc::find_user_by_id(c, ses.user_id);
    if (!u) return u.error();
    if (s.cfg.auth.admin_second_factor && *u && (*u)->role == "admin") {
      bool enrolled = false;
      if (auto e = store::second_factor::enrolled(c, ses.user_id, enrolled)) return e;
      if (!enrolled)
        if (auto e = store::second_factor::restrict_session(c, ses.id, ses.user_id)) return e;
    }
    return acc::audit(c, ses.user_id, ses.user_id, "signin", "method=" + ses.method, ses.client_address);
  });
  if (ec) co_return ec;
  std::string cookie = session_cookie_name(s.cfg) + "=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                       std::to_string(s.cfg.auth.session_absolute_timeout_s);
  if (s.cfg.server.tls()) cookie += "; Secure";
  co_return cookie;
}

std::string expired_session_cookie(const config::settings& cfg) {
  std::string cookie = session_cookie_name(cfg) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
  if (cfg.server.tls()) cookie += "; Secure";
  return cookie;
}

}  // namespace enfinito::api
