// The security routes: the audit log's reads (own and admin) and the TOTP second factor
// (see include/enfinito/api/security_routes.hpp). Each handler parses, authenticates, calls
// one flow of accounts/ and shapes the answer.
#include <enfinito/api/security_routes.hpp>

#include <enfinito/accounts/audit.hpp>
#include <enfinito/accounts/audit_query.hpp>
#include <enfinito/accounts/profile.hpp>
#include <enfinito/accounts/second_factor.hpp>
#include <enfinito/accounts/views.hpp>
#include <enfinito/api/auth_guard.hpp>

#include "api/accounts_validate.hpp"
#include "api/owned.hpp"

#include <boost/json.hpp>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

using namespace detail;

// GET /v1/me/audit (the caller's own entries, as subject or actor) and, for an administrator,
// GET /v1/admin/audit (every entry, filtered by user, actor, tenant, action and time): one
// page of the log, newest first, with the filter read from the query.
net::awaitable<response> audit_page(services& s, http::request& req, bool admin) {
  ENF_SESSION(p, admin ? access::admin : access::read);
  auto param = [&req](std::string_view name) { return req.query_param(name); };
  auto read = accounts::read_audit_query(param, admin);
  if (auto* bad = std::get_if<accounts::query_refusal>(&read)) co_return http::field_problem(bad->field, bad->detail);
  auto& f = std::get<store::audit::filter>(read);
  if (!admin) f.mine = p.user_id;
  auto ctx = account_context(s);
  auto page = co_await accounts::read_audit(ctx, f);
  if (!page) co_return store_unavailable();
  co_return http::json_response(status::ok, accounts::audit_page_json(*page));
}

// ---- the TOTP second factor ----

response no_store(response r) {
  r.set(http::bhttp::field::cache_control, "no-store");
  return r;
}

// The refusal of a code check, or nullopt when it passed.
std::optional<response> code_refused(const accounts::code_result& r) {
  if (r.ec) return store_unavailable();
  switch (r.verdict) {
    case accounts::code_verdict::ok:
      return std::nullopt;
    case accounts::code_verdict::throttled:
      return too_many(r.wait, "too many wrong codes or passwords; try again later");
    case accounts::code_verdict::not_enrolled:
      return http::problem(status::conflict, "second_factor_not_enrolled", "Conflict",
                           "there is no second factor in this state to check the code against");
    case accounts::code_verdict::wrong:
      break;
  }
  return http::field_problem("code", "is not a valid code", "invalid_code");
}

// The body's members, all strings of at most 128 bytes, no others.
std::variant<std::vector<std::string>, response> string_body(http::request& req, services& s,
                                                             std::initializer_list<std::string_view> names) {
  auto body = body_object(req, s.json);
  if (auto* e = std::get_if<response>(&body)) return std::move(*e);
  auto& o = std::get<0>(body);
  if (auto r = only_fields(o, names)) return std::move(*r);
  std::vector<std::string> out;
  for (auto n : names) {
    auto f = string_field(o, n, true);
    if (auto* e = std::get_if<response>(&f)) return std::move(*e);
    auto& v = *std::get<0>(f);
    if (v.empty() || v.size() > 128) return http::field_problem(n, "1 to 128 characters", "invalid_field");
    out.push_back(std::move(v));
  }
  return out;
}

#define ENF_BODY(var, ...) ENF_TRY(var, string_body(req, s, {__VA_ARGS__}))

// The signed-in user's account row (sessions only: a second factor is a person's).
#define ENF_ME(var)                                                          \
  ENF_SESSION(var##_p, access::read);                                        \
  auto var##_ctx = account_context(s);                                       \
  auto var##_row = co_await accounts::load_user(var##_ctx, var##_p.user_id); \
  if (!var##_row || !*var##_row) co_return store_unavailable();              \
  auto& var = **var##_row

// GET /v1/me/totp: whether a factor is enrolled, and how many recovery codes are left.
net::awaitable<response> totp_state(services& s, http::request& req) {
  ENF_ME(u);
  auto st = co_await accounts::read_factor_state(u_ctx, u.id);
  if (st.ec) co_return store_unavailable();
  co_return http::json_response(status::ok,
                                boost::json::object{{"enrolled", st.enrolled},
                                                    {"pending", st.pending},
                                                    {"required", u.role == "admin" && s.cfg.auth.admin_second_factor},
                                                    {"recovery_codes_left", st.recovery_codes_left}});
}

// POST /v1/me/totp: a new secret, shown once (as base32 and an otpauth:// URI), unconfirmed.
net::awaitable<response> totp_enrol(services& s, http::request& req) {
  ENF_ME(u);
  const auto addr = client_address(req);  // named: no temporary across a co_await (GCC 12)
  auto e = co_await accounts::begin_enrolment(u_ctx, u, addr, u_p.session_id);
  if (e.ec) co_return store_unavailable();
  if (e.already_enrolled)
    co_return http::problem(status::conflict, "second_factor_enrolled", "Conflict",
                            "a second factor is enrolled already; remove it first");
  co_return no_store(http::json_response(
      status::created, boost::json::object{{"secret", e.secret_base32.reveal()}, {"otpauth_uri", e.uri.reveal()}}));
}

// GET /v1/me/totp/qr.svg: the waiting enrolment's otpauth:// URI as a QR code, same-origin (the
// CSP allows no data: URI), to the session that began it and until it is confirmed; 404 to
// anyone else. It holds the secret: no-store, never logged.
net::awaitable<response> totp_qr(services& s, http::request& req) {
  ENF_ME(u);
  auto qr = co_await accounts::read_enrolment_qr(u_ctx, u, u_p.session_id);
  if (qr.ec) co_return store_unavailable();
  if (!qr.shown)
    co_return no_store(http::problem(status::not_found, "no_enrolment", "Not found",
                                     "no enrolment begun by this session is waiting for its code"));
  response res{status::ok, 11};
  res.set(http::bhttp::field::content_type, "image/svg+xml");
  res.set(http::bhttp::field::content_disposition, "inline");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = qr.svg.reveal();
  res.prepare_payload();
  co_return no_store(std::move(res));
}

// POST /v1/me/totp/confirm {"code"}: the first code confirms; the recovery codes, shown once.
net::awaitable<response> totp_confirm(services& s, http::request& req) {
  ENF_ME(u);
  ENF_BODY(in, "code");
  const auto addr = client_address(req);
  auto c = co_await accounts::confirm_enrolment(u_ctx, u, in[0], addr);
  if (auto r = code_refused(c)) co_return std::move(*r);
  boost::json::array codes;
  for (const auto& rc : c.recovery_codes) codes.push_back(boost::json::string(rc.reveal()));
  co_return no_store(http::json_response(status::ok, boost::json::object{{"recovery_codes", std::move(codes)}}));
}

// DELETE /v1/me/totp {"code"}: removes the factor after a code or a recovery code.
net::awaitable<response> totp_remove(services& s, http::request& req) {
  ENF_ME(u);
  ENF_BODY(in, "code");
  const auto addr = client_address(req);
  auto r = co_await accounts::remove_factor(u_ctx, u, in[0], addr);
  if (auto bad = code_refused(r)) co_return std::move(*bad);
  co_return http::no_content();
}

// POST /v1/auth/signin/second-factor {"challenge", "code"}: the sign-in's second step.
net::awaitable<response> signin_second_factor(services& s, http::request& req) {
  ENF_BODY(in, "challenge", "code");
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::complete_sign_in(ctx, in[0], in[1], addr);
  if (r.ec) co_return store_unavailable();
  if (r.challenge_invalid)
    co_return http::field_problem("challenge", "is unknown, used or expired: sign in again", "invalid_challenge");
  if (auto bad = code_refused(r)) co_return std::move(*bad);
  auto res = http::json_response(status::ok, boost::json::object{{"user", accounts::user_json(r.user)}});
  res.set(http::bhttp::field::set_cookie, session_cookie(s.cfg, r.session_token));
  co_return res;
}

}  // namespace

void register_security_routes(http::router& r, services& s) {
  using http::verb;
  r.add(verb::get, "/v1/me/audit", "me.audit", [&s](http::request& q) { return audit_page(s, q, false); });
  r.add(verb::get, "/v1/admin/audit", "admin.audit", [&s](http::request& q) { return audit_page(s, q, true); });
  r.add(verb::get, "/v1/me/totp", "me.totp_get", detail::bind(s, totp_state));
  r.add(verb::post, "/v1/me/totp", "me.totp_enrol", detail::bind(s, totp_enrol));
  r.add(verb::post, "/v1/me/totp/confirm", "me.totp_confirm", detail::bind(s, totp_confirm));
  r.add(verb::get, "/v1/me/totp/qr.svg", "me.totp_qr", detail::bind(s, totp_qr));
  r.add(verb::delete_, "/v1/me/totp", "me.totp_remove", detail::bind(s, totp_remove));
  r.add(verb::post, "/v1/auth/signin/second-factor", "auth.signin_second_factor",
        detail::bind(s, signin_second_factor));
}

}  // namespace enfinito::api
