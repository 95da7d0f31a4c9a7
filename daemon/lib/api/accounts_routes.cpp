// The accounts routes: sign-up, sign-in/out, password reset, profile, export, deletion,
// sessions, API keys, the audit log, data-rights links and the admin flows (approval,
// deletion). Each handler parses and validates, authenticates, calls one flow of
// daemon/lib/accounts/ and shapes its outcome into an answer; the flows own the sequence
// (hashing, the transaction, audit, mail).
#include <enfinito/accounts/api_keys.hpp>
#include <enfinito/accounts/audit.hpp>
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/accounts/password.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/accounts/profile.hpp>
#include <enfinito/accounts/second_factor.hpp>
#include <enfinito/accounts/signin.hpp>
#include <enfinito/accounts/signup.hpp>
#include <enfinito/accounts/views.hpp>
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/limits_routes.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

#include "api/accounts_validate.hpp"
#include "api/owned.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::api {
using namespace detail;
using accounts::key_json;
using accounts::session_view;
using accounts::user_json;
namespace {

// The refusals of a sign-in, and of a wrong password given again.
constexpr std::string_view signin_refused = "too many failed sign-ins; try again later or reset the password";

http::response busy() { return http::problem(http::status::service_unavailable, "busy", "Try again later"); }

http::response user_not_found() { return http::problem(http::status::not_found, "user_not_found", "Not found"); }

// The answer to a failed re-authentication (throttled or wrong), naming the password field.
http::response password_refused(bool throttled, std::chrono::seconds wait, std::string_view field) {
  if (throttled) return too_many(wait, signin_refused);
  return http::field_problem(field, "is not the current password", "wrong_password");
}

// Re-authentication before a sensitive change: none when the sign-in is `recent` and no body
// came; else the body's {"password"} (required unless recent) is checked for `user_id`.
net::awaitable<std::optional<http::response>> password_again(services& s, http::request& req,
                                                             const std::string& user_id, bool recent) {
  if (recent && req.msg.body().empty()) co_return std::nullopt;
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"password"})) co_return std::move(*r);
  ENF_TRY(pw, string_field(body, "password", !recent));
  if (!pw) co_return std::nullopt;
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::check_password_of(ctx, user_id, *pw, addr);
  if (r.ec) co_return store_unavailable();
  if (r.check.verdict == accounts::password_verdict::ok) co_return std::nullopt;
  co_return password_refused(r.check.verdict == accounts::password_verdict::throttled, r.check.wait, "password");
}

// ---- sign-up, sign-in, sign-out ----

net::awaitable<http::response> signup(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"name", "email", "password", "age_confirmed"})) co_return std::move(*r);
  ENF_TRY(name, name_field(body, true));
  ENF_TRY(email, email_field(body));
  ENF_TRY(password, password_field(body, "password"));
  // The privacy policy's minimum age: asked, required, and not stored (an account exists only
  // for someone who said yes).
  ENF_TRY(age_confirmed, bool_field(body, "age_confirmed"));
  if (age_confirmed != true)
    co_return http::field_problem("age_confirmed", "must be true: Enfinito accounts are for people aged 16 or over",
                                  "age_not_confirmed");
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::sign_up(ctx, name, email, password, addr);
  if (r.outcome == accounts::signup_outcome::busy) co_return busy();
  if (r.ec) co_return store_unavailable();
  if (r.outcome == accounts::signup_outcome::first_admin)
    co_return http::json_response(http::status::accepted,
                                  boost::json::object{{"status", "active"},
                                                      {"detail",
                                                       "Dev mode: the first account is the administrator "
                                                       "and can sign in now."}});
  co_return http::json_response(http::status::accepted,
                                boost::json::object{{"status", "pending"},
                                                    {"detail",
                                                     "If this address can be registered, the account now "
                                                     "awaits approval by an administrator."}});
}

net::awaitable<http::response> signin(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"email", "password"})) co_return std::move(*r);
  ENF_TRY(email, email_field(body));
  ENF_TRY(password, string_field(body, "password", true));
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::sign_in(ctx, email, *password, addr);
  if (r.ec) co_return store_unavailable();
  switch (r.outcome) {
    case accounts::sign_in_outcome::throttled:
      co_return too_many(r.wait, signin_refused);
    case accounts::sign_in_outcome::invalid_credentials:
      co_return http::problem(http::status::unauthorized, "invalid_credentials", "Sign-in failed",
                              "the email or the password is wrong");
    case accounts::sign_in_outcome::not_active:
      co_return http::problem(http::status::forbidden, "account_not_active", "Account not active",
                              accounts::gate_for(r.user.status) == accounts::sign_in_gate::pending
                                  ? "the account awaits approval by an administrator"
                                  : "the account cannot sign in");
    case accounts::sign_in_outcome::second_factor_required: {
      // No session yet: a challenge for POST /v1/auth/signin/second-factor.
      auto res = http::json_response(http::status::ok, boost::json::object{{"second_factor_required", true},
                                                                           {"challenge", r.challenge.reveal()},
                                                                           {"expires_in", accounts::challenge_ttl_s}});
      res.set(http::bhttp::field::cache_control, "no-store");
      co_return res;
    }
    case accounts::sign_in_outcome::signed_in:
      break;
  }
  auto res = http::json_response(http::status::ok, boost::json::object{{"user", user_json(r.user)}});
  res.set(http::bhttp::field::set_cookie, session_cookie(s.cfg, r.session_token));
  co_return res;
}

net::awaitable<http::response> signout(services& s, http::request& req) {
  ENF_SESSION(p, access::read);
  ENF_FLOW_CONTEXT;
  auto ec = co_await accounts::sign_out(ctx, p.user_id, p.session_id, addr);
  if (ec) co_return store_unavailable();
  auto res = http::no_content();
  res.set(http::bhttp::field::set_cookie, expired_session_cookie(s.cfg));
  co_return res;
}

// ---- password reset ----

net::awaitable<http::response> forgot(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"email"})) co_return std::move(*r);
  ENF_TRY(email, email_field(body));
  ENF_FLOW_CONTEXT;
  auto ec = co_await accounts::request_reset(ctx, email, addr);
  if (ec) co_return store_unavailable();
  co_return http::json_response(
      http::status::accepted,
      boost::json::object{{"detail", "If an account uses this address, a reset link is on its way."}});
}

net::awaitable<http::response> reset(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"token", "password"})) co_return std::move(*r);
  ENF_TRY(token, token_field(body));
  ENF_TRY(password, password_field(body, "password"));
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::reset_password(ctx, token, password, addr);
  if (r.outcome == accounts::reset_outcome::busy) co_return busy();
  if (r.ec) co_return store_unavailable();
  if (r.outcome == accounts::reset_outcome::invalid_token)
    co_return http::field_problem("token", "is unknown, used or expired", "invalid_token");
  co_return http::no_content();
}

// ---- profile ----

net::awaitable<http::response> me_get(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  auto ctx = account_context(s);
  auto u = co_await accounts::load_user(ctx, p.user_id);
  if (!u) co_return store_unavailable();
  if (!*u) co_return user_not_found();
  co_return http::json_response(http::status::ok, user_json(**u));
}

net::awaitable<http::response> me_patch(services& s, http::request& req) {
  ENF_SESSION(p, access::write);
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"name", "email", "current_password"})) co_return std::move(*r);
  std::optional<std::string> name, email, current;
  if (body.contains("name")) {
    ENF_TRY(n, name_field(body, true));
    name = n;
  }
  if (body.contains("email")) {
    ENF_TRY(e, email_field(body));
    email = e;
  }
  if (!name && !email) co_return http::field_problem("name", "nothing to change: send name or email", "missing_field");
  // Read only if the email really changes (the flow says so): its absence or type matters then.
  if (auto* v = body.if_contains("current_password"); v && v->is_string()) current = std::string(v->as_string());
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::update_profile(ctx, p.user_id, name, email, current, addr);
  if (r.ec) co_return store_unavailable();
  switch (r.outcome) {
    case accounts::profile_outcome::not_found:
      co_return user_not_found();
    case accounts::profile_outcome::password_required: {
      // The field is absent or not a string: string_field names the problem.
      auto f = string_field(body, "current_password", true);
      if (auto* e = std::get_if<http::response>(&f)) co_return std::move(*e);
      co_return store_unavailable();
    }
    case accounts::profile_outcome::throttled:
    case accounts::profile_outcome::wrong_password:
      co_return password_refused(r.outcome == accounts::profile_outcome::throttled, r.wait, "current_password");
    case accounts::profile_outcome::email_taken:
      co_return http::problem(http::status::conflict, "email_taken", "Conflict", "this email address cannot be used");
    case accounts::profile_outcome::updated:
      break;
  }
  co_return http::json_response(http::status::ok, user_json(r.user));
}

net::awaitable<http::response> me_password(services& s, http::request& req) {
  ENF_SESSION(p, access::write);
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"current_password", "new_password"})) co_return std::move(*r);
  ENF_TRY(current, string_field(body, "current_password", true));
  ENF_TRY(fresh, password_field(body, "new_password"));
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::change_password(ctx, p.user_id, p.session_id, *current, fresh, addr);
  if (r.ec) co_return store_unavailable();
  switch (r.outcome) {
    case accounts::change_outcome::not_found:
      co_return user_not_found();
    case accounts::change_outcome::throttled:
    case accounts::change_outcome::wrong_password:
      co_return password_refused(r.outcome == accounts::change_outcome::throttled, r.wait, "current_password");
    case accounts::change_outcome::busy:
      co_return busy();
    case accounts::change_outcome::done:
      break;
  }
  co_return http::no_content();
}

// ---- the personal-data export (P8), streamed, and deletion ----

// The export's answer: headers now, the document streamed by `producer` (chunked).
http::response export_response(http::request& req, accounts::export_producer producer) {
  req.stream_body = std::move(producer);
  http::response res{http::status::ok, 11};
  res.set(http::bhttp::field::content_type, "application/json");
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"enfinito-export.json\"");
  res.set(http::bhttp::field::cache_control, "no-store");
  return res;
}

// The export of `user_id` (the limits' part first: api/limits_routes.hpp), streamed; `gone`
// answers a user deleted meanwhile.
net::awaitable<http::response> export_of(services& s, http::request& req, const std::string& user_id,
                                         const std::string& session_id, http::response (*gone)()) {
  auto ctx = account_context(s);
  auto extra = co_await limits_export(s, user_id);
  if (!extra && extra.error() == store::error::not_found) co_return gone();
  if (!extra) co_return store_unavailable();
  auto producer = co_await accounts::start_export(ctx, user_id, session_id, std::move(*extra));
  if (!producer && producer.error() == store::error::not_found) co_return gone();
  if (!producer) co_return store_unavailable();
  co_return export_response(req, std::move(*producer));
}

net::awaitable<http::response> me_export(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  auto res = co_await export_of(s, req, p.user_id, p.session_id, user_not_found);
  co_return res;
}

net::awaitable<http::response> me_delete(services& s, http::request& req) {
  ENF_AUTH(p, access::write);
  const bool recent = !accounts::delete_needs_password(p.via_api_key, p.session_created_at, store::accounts::now_s(),
                                                       s.cfg.auth.recent_signin_s);
  if (auto refused = co_await password_again(s, req, p.user_id, recent)) co_return std::move(*refused);
  ENF_FLOW_CONTEXT;
  auto ec = co_await accounts::delete_account(ctx, p.user_id, addr);
  if (ec) co_return store_unavailable();
  auto res = http::no_content();
  res.set(http::bhttp::field::set_cookie, expired_session_cookie(s.cfg));
  co_return res;
}

// ---- sessions (the settings page's "active sessions") ----

net::awaitable<http::response> sessions_list(services& s, http::request& req) {
  ENF_SESSION(p, access::read);
  auto ctx = account_context(s);
  auto rows = co_await accounts::list_sessions(ctx, p.user_id);
  if (!rows) co_return store_unavailable();
  boost::json::array a;
  for (const auto& x : *rows) a.push_back(session_view(x, p.session_id));
  co_return http::json_response(http::status::ok, boost::json::object{{"data", std::move(a)}});
}

// Signs one of the caller's sessions out (another device, or this one: then the cookie goes too).
net::awaitable<http::response> sessions_revoke(services& s, http::request& req) {
  ENF_SESSION(p, access::write);
  const std::string id(req.param("id"));
  if (!core::id_like(id, "ses_"))
    co_return http::problem(http::status::not_found, "session_not_found", "No such session");
  ENF_FLOW_CONTEXT;
  auto ec = co_await accounts::revoke_session(ctx, p.user_id, id, addr);
  // Another user's session is "not found" too: no hint that it exists.
  if (ec == store::error::not_found)
    co_return http::problem(http::status::not_found, "session_not_found", "No such session");
  if (ec) co_return store_unavailable();
  auto res = http::no_content();
  if (id == p.session_id) res.set(http::bhttp::field::set_cookie, expired_session_cookie(s.cfg));
  co_return res;
}

// ---- API keys ----

net::awaitable<http::response> keys_list(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  auto ctx = account_context(s);
  auto keys = co_await accounts::list_api_keys(ctx, p.user_id);
  if (!keys) co_return store_unavailable();
  boost::json::array a;
  for (const auto& k : *keys) a.push_back(key_json(k));
  co_return http::json_response(http::status::ok, boost::json::object{{"api_keys", std::move(a)}});
}

net::awaitable<http::response> keys_create(services& s, http::request& req) {
  ENF_SESSION(p, access::write);
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"name", "read_only", "instance_ids"})) co_return std::move(*r);
  ENF_TRY(name, name_field(body, true));
  ENF_TRY(read_only, bool_field(body, "read_only"));
  accounts::key_request want{name, read_only.value_or(false), {}};
  if (auto bad = accounts::read_key_instances(body.if_contains("instance_ids"), want.instance_ids))
    co_return http::field_problem("instance_ids", bad->detail, bad->code);
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::create_api_key(ctx, p.user_id, want, addr);
  if (r.ec) co_return store_unavailable();
  if (r.outcome == accounts::key_create_outcome::over_quota) co_return quota_problem("api_keys", r.quota);
  if (r.outcome == accounts::key_create_outcome::too_many_keys)
    co_return http::problem(http::status::conflict, "too_many_api_keys", "Conflict", "revoke an API key first");
  if (r.outcome == accounts::key_create_outcome::unknown_instance)
    co_return http::field_problem("instance_ids", "names an instance that is not yours or does not exist",
                                  "unknown_instance");
  auto o = key_json(r.key);
  o["key"] = r.secret;  // shown once, never again
  co_return http::json_response(http::status::created, o);
}

net::awaitable<http::response> keys_revoke(services& s, http::request& req) {
  ENF_SESSION(p, access::write);
  std::string id(req.param("id"));
  ENF_FLOW_CONTEXT;
  auto ec = co_await accounts::revoke_api_key(ctx, p.user_id, id, addr);
  // Another user's key is "not found" too: no hint that it exists.
  if (ec == store::error::not_found)
    co_return http::problem(http::status::not_found, "api_key_not_found", "Not found", "no such API key");
  if (ec) co_return store_unavailable();
  co_return http::no_content();
}

// ---- admin ----

net::awaitable<http::response> admin_list(services& s, http::request& req) {
  ENF_AUTH(p, access::admin);
  (void)p;  // an administrator sees every account: nothing here is scoped to the caller
  std::string status;
  if (auto q = req.query_param("status")) {
    status = *q;
    if (!accounts::is_status(status))
      co_return http::field_problem("status", "must be pending, active, rejected or suspended", "invalid_field");
  }
  auto ctx = account_context(s);
  auto users = co_await accounts::list_users(ctx, status);
  if (!users) co_return store_unavailable();
  boost::json::array a;
  for (const auto& u : *users) a.push_back(user_json(u));
  co_return http::json_response(http::status::ok, boost::json::object{{"users", std::move(a)}});
}

// ---- data rights for every account state: mailed single-use links (accounts/erasure.hpp) ----

http::response invalid_link() { return http::field_problem("token", "is unknown, used or expired", "invalid_token"); }

// POST /v1/auth/data-rights {"email", "action": "export" | "delete"}: mails a link.
net::awaitable<http::response> data_link_request(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"email", "action"})) co_return std::move(*r);
  ENF_TRY(email, email_field(body));
  ENF_TRY(action_name, string_field(body, "action", true));
  const auto action = accounts::parse_action(*action_name);
  if (!action) co_return http::field_problem("action", "must be export or delete", "invalid_field");
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::request_data_link(ctx, email, *action, addr);
  if (r.throttled) co_return too_many(r.wait, "too many links asked for; try again later", "Too many requests");
  if (r.ec) co_return store_unavailable();
  co_return http::json_response(
      http::status::accepted,
      boost::json::object{{"detail", "If an account uses this address, a single-use link is on its way."}});
}

// The token of a data-rights link from the body, or the problem.
checked<std::string> link_token(services& s, http::request& req) {
  auto body = body_object(req, s.json);
  if (auto* e = std::get_if<http::response>(&body)) return std::move(*e);
  if (auto r = only_fields(std::get<0>(body), {"token"})) return std::move(*r);
  return token_field(std::get<0>(body));
}

// POST /v1/auth/data-rights/export {"token"}: the same document as GET /v1/me/export.
net::awaitable<http::response> data_link_export(services& s, http::request& req) {
  ENF_TRY(token, link_token(s, req));
  ENF_FLOW_CONTEXT;
  auto user = co_await accounts::redeem_data_link(ctx, token, accounts::data_action::export_data, addr);
  if (!user) co_return store_unavailable();
  if (!*user) co_return invalid_link();
  const std::string no_session;
  auto res = co_await export_of(s, req, **user, no_session, invalid_link);
  co_return res;
}

// POST /v1/auth/data-rights/delete {"token"}: deletes the account, as DELETE /v1/me does.
net::awaitable<http::response> data_link_delete(services& s, http::request& req) {
  ENF_TRY(token, link_token(s, req));
  ENF_FLOW_CONTEXT;
  auto user = co_await accounts::redeem_data_link(ctx, token, accounts::data_action::delete_account, addr);
  if (!user) co_return store_unavailable();
  if (!*user) co_return invalid_link();
  auto ec = co_await accounts::delete_account(ctx, **user, addr);
  if (ec == store::error::not_found) co_return invalid_link();
  if (ec) co_return store_unavailable();
  co_return http::no_content();
}

http::response no_such_user() {
  return http::problem(http::status::not_found, "user_not_found", "Not found", "no such user");
}

// The user an administrator acts on: another user (`self_detail` says what to use instead), by user id.
std::optional<http::response> admin_target(const std::string& id, const principal& p, std::string_view self_detail) {
  if (id == p.user_id) return http::problem(http::status::conflict, "invalid_transition", "Conflict", self_detail);
  if (!core::id_like(id, "usr_")) return no_such_user();
  return std::nullopt;
}

// DELETE /v1/admin/users/{id}: the self-delete cascade, by an administrator, audited.
net::awaitable<http::response> admin_delete(services& s, http::request& req) {
  ENF_SESSION(p, access::admin);
  const std::string id(req.param("id"));
  if (auto r = admin_target(id, p, "administrators delete their own account with DELETE /v1/me"))
    co_return std::move(*r);
  ENF_FLOW_CONTEXT;
  auto ec = co_await accounts::delete_by_admin(ctx, id, p.user_id, addr);
  if (ec == store::error::not_found) co_return no_such_user();
  if (ec) co_return store_unavailable();
  co_return http::no_content();
}

// DELETE /v1/admin/users/{id}/second-factor: a user's lost second factor, reset by an
// administrator who signed in recently or gives their password again (as DELETE /v1/me asks);
// the user is mailed and signed out everywhere (accounts/second_factor.hpp).
net::awaitable<http::response> admin_reset_second_factor(services& s, http::request& req) {
  ENF_SESSION(p, access::admin);
  const std::string id(req.param("id"));
  if (auto r = admin_target(id, p, "administrators remove their own second factor with DELETE /v1/me/totp"))
    co_return std::move(*r);
  const bool recent = !accounts::delete_needs_password(false, p.session_created_at, store::accounts::now_s(),
                                                       s.cfg.auth.recent_signin_s);
  if (!recent && req.msg.body().empty())
    co_return http::field_problem("password", "is required: your sign-in is not recent, give your password again",
                                  "missing_field");
  if (auto refused = co_await password_again(s, req, p.user_id, recent)) co_return std::move(*refused);
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::reset_by_admin(ctx, id, p.user_id, addr);
  if (r.ec) co_return store_unavailable();
  if (r.outcome == accounts::factor_reset_outcome::no_user) co_return no_such_user();
  if (r.outcome == accounts::factor_reset_outcome::not_enrolled)
    co_return http::problem(http::status::conflict, "second_factor_not_enrolled", "Conflict",
                            "this user has no second factor to reset");
  co_return http::no_content();
}

net::awaitable<http::response> admin_action(services& s, http::request& req, std::string action) {
  ENF_AUTH(p, access::admin);
  std::string id(req.param("id"));
  if (id == p.user_id && !accounts::may_act_on_self(action))
    co_return http::problem(http::status::conflict, "invalid_transition", "Conflict",
                            "administrators cannot reject or suspend themselves");
  ENF_FLOW_CONTEXT;
  auto r = co_await accounts::administer(ctx, id, action, p.user_id, addr);
  if (r.ec) co_return store_unavailable();
  if (r.outcome == accounts::user_action_result::not_found) co_return no_such_user();
  if (r.outcome == accounts::user_action_result::invalid_transition)
    co_return http::problem(http::status::conflict, "invalid_transition", "Conflict",
                            "the user's current status does not allow this");
  co_return http::json_response(http::status::ok, user_json(r.user));
}

}  // namespace

void register_accounts_routes(http::router& r, services& s) {
  using http::verb;
  r.add(verb::post, "/v1/auth/signup", "auth.signup", detail::bind(s, signup));
  r.add(verb::post, "/v1/auth/signin", "auth.signin", detail::bind(s, signin));
  r.add(verb::post, "/v1/auth/signout", "auth.signout", detail::bind(s, signout));
  r.add(verb::post, "/v1/auth/password/forgot", "auth.password_forgot", detail::bind(s, forgot));
  r.add(verb::post, "/v1/auth/password/reset", "auth.password_reset", detail::bind(s, reset));
  r.add(verb::get, "/v1/me", "me.get", detail::bind(s, me_get));
  r.add(verb::patch, "/v1/me", "me.patch", detail::bind(s, me_patch));
  r.add(verb::delete_, "/v1/me", "me.delete", detail::bind(s, me_delete));
  r.add(verb::post, "/v1/me/password", "me.password", detail::bind(s, me_password));
  r.add(verb::get, "/v1/me/export", "me.export", detail::bind(s, me_export));
  r.add(verb::get, "/v1/api-keys", "api_keys.list", detail::bind(s, keys_list));
  r.add(verb::post, "/v1/api-keys", "api_keys.create", detail::bind(s, keys_create));
  r.add(verb::delete_, "/v1/api-keys/{id}", "api_keys.revoke", detail::bind(s, keys_revoke));
  r.add(verb::get, "/v1/me/sessions", "me.sessions_list", detail::bind(s, sessions_list));
  r.add(verb::delete_, "/v1/me/sessions/{id}", "me.sessions_revoke", detail::bind(s, sessions_revoke));
  r.add(verb::get, "/v1/admin/users", "admin.users_list", detail::bind(s, admin_list));
  r.add(verb::post, "/v1/auth/data-rights", "auth.data_rights", detail::bind(s, data_link_request));
  r.add(verb::post, "/v1/auth/data-rights/export", "auth.data_rights_export", detail::bind(s, data_link_export));
  r.add(verb::post, "/v1/auth/data-rights/delete", "auth.data_rights_delete", detail::bind(s, data_link_delete));
  r.add(verb::delete_, "/v1/admin/users/{id}", "admin.users_delete", detail::bind(s, admin_delete));
  r.add(verb::delete_, "/v1/admin/users/{id}/second-factor", "admin.users_second_factor_reset",
        detail::bind(s, admin_reset_second_factor));
  for (std::string action : {"approve", "reject", "suspend", "reinstate"})
    r.add(verb::post, "/v1/admin/users/{id}/" + action, "admin.users_" + action,
          [&s, action](http::request& req) { return admin_action(s, req, action); });
}

}  // namespace enfinito::api
