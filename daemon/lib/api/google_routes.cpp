// Google Sign-In routes: start, callback, link, unlink, show. What a verified Google identity
// may do with accounts is accounts/google.hpp's; this file speaks HTTP around it:
//
// - Login CSRF: /start (and link) set a short-lived HttpOnly cookie holding the flow's random
//   binding; the callback finds its flow only with it, so a callback URL replayed in another
//   browser finds none. This cookie is the "CSRF token where needed" P6 allows; it is cleared
//   by the callback and expires with the flow.
// - A link flow must come back with the session of the user who started it, checked before
//   the code is exchanged: a link URL sent to someone else cannot attach their Google account.
// - A signed-in user gets a session (accounts::google::sign_in opens it) and a redirect to the web app.
#include <enfinito/accounts/google.hpp>
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/google_routes.hpp>
#include <enfinito/auth/google_client.hpp>
#include <enfinito/auth/guard.hpp>
#include <enfinito/auth/oidc.hpp>
#include <enfinito/core/log.hpp>

#include "api/accounts_validate.hpp"

#include <boost/json/object.hpp>

namespace enfinito::api {
namespace {

using http::status;

// The flow's binding cookie (auth/guard.hpp); an empty value with max_age 0 clears it.
std::string binding_cookie(const config::settings& cfg, std::string_view value, std::int64_t max_age) {
  return auth::set_cookie(auth::binding_cookie_name(cfg.server.tls()), value, max_age, cfg.server.tls());
}

http::response see_other(const std::string& location) {
  http::response res{status::see_other, 11};
  res.set(http::bhttp::field::location, location);
  res.set(http::bhttp::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  res.content_length(0);
  return res;
}

// Google Sign-In's own refusals, answered without a detail.
struct refusal {
  status st;
  std::string_view code;
  std::string_view title;
};
constexpr refusal disabled{status::not_found, "google_signin_disabled", "Google Sign-In is not enabled"};
constexpr refusal store_unavailable{status::service_unavailable, "store_unavailable", "Please try again shortly"};
constexpr refusal session_required{status::forbidden, "session_required",
                                   "This needs a signed-in session, not an API key"};
constexpr refusal already_linked{status::conflict, "google_already_linked",
                                 "A Google account is already linked; unlink it first"};
constexpr refusal not_linked{status::not_found, "google_not_linked", "No Google account is linked"};

http::response refuse(const refusal& r) { return http::problem(r.st, r.code, r.title); }

struct google_routes {
  services& s;
  std::shared_ptr<auth::google_client> client;  // null when google.enabled is false

  // GET /v1/auth/google/start[?age_confirmed=true]: the sign-in page's checkbox "I am at least
  // 16", needed only when the flow ends in a new account (accounts/google.hpp).
  net::awaitable<http::response> start(http::request& req) {
    if (!client) co_return refuse(disabled);
    bool age_confirmed = false;
    if (auto a = req.query_param("age_confirmed")) {
      if (*a != "true" && *a != "false")
        co_return http::field_problem("age_confirmed", "true or false", "invalid_type");
      age_confirmed = *a == "true";
    }
    auto ctx = account_context(s);
    const std::string address = client_address(req);
    auto r = co_await accounts::google::start_sign_in(ctx, client->provider(), address, age_confirmed);
    if (r.throttled)
      co_return detail::too_many(r.wait, "wait before starting another Google sign-in", "Too many sign-in attempts");
    if (r.ec) co_return refuse(store_unavailable);
    http::response res{status::found, 11};
    res.set(http::bhttp::field::location, r.flow.url);
    res.set(http::bhttp::field::set_cookie, binding_cookie(s.cfg, r.flow.binding, accounts::google::flow_ttl_s));
    res.set(http::bhttp::field::cache_control, "no-store");
    res.content_length(0);
    co_return res;
  }

  // GET /v1/auth/google/callback?code&state — whatever the outcome, the binding cookie is
  // cleared (each binding serves one flow).
  net::awaitable<http::response> callback(http::request& req) {
    auto res = co_await finish_callback(req);
    res.insert(http::bhttp::field::set_cookie, binding_cookie(s.cfg, "", 0));
    co_return res;
  }

  net::awaitable<http::response> finish_callback(http::request& req) {
    if (!client) co_return refuse(disabled);
    auto state = req.query_param("state");
    if (!state || state->empty() || state->size() > 128)
      co_return http::field_problem("state", "missing or malformed", "invalid_state");
    // Without this browser's binding, no flow matches: the same answer as an unknown state.
    const std::string binding = request_cookie(req, auth::binding_cookie_name(s.cfg.server.tls())).value_or("");
    const std::string state_value(*state);
    auto ctx = account_context(s);
    // The flow is consumed first, whatever happens next: a state works once.
    auto flow = co_await accounts::google::take_flow(ctx, state_value, binding);
    if (!flow) co_return refuse(store_unavailable);
    if (!*flow)
      co_return http::problem(status::bad_request, "invalid_state",
                              "This sign-in link is unknown, expired or already used",
                              "Start again from the sign-in page, in this browser");
    if (req.query_param("error"))
      co_return http::problem(status::forbidden, "google_signin_cancelled",
                              "The sign-in was cancelled or refused at Google");
    auto code = req.query_param("code");
    if (!code || code->empty() || code->size() > 2048)
      co_return http::field_problem("code", "missing or malformed", "invalid_code");
    auto secrets = auth::oidc::open_flow(state_value, (*flow)->sealed);
    if (!secrets)
      co_return http::problem(status::bad_request, "invalid_state",
                              "This sign-in link is unknown, expired or already used");

    std::optional<principal> linker;
    if ((*flow)->purpose == "link") {
      ENF_AUTH(p, access::read);
      if (p.via_api_key || p.user_id != (*flow)->user_id)
        co_return http::problem(status::forbidden, "link_session_mismatch",
                                "Finish linking in the session that started it");
      linker = std::move(p);
    }

    auto id = co_await client->sign_in(std::move(*code), std::move(secrets->second), std::move(secrets->first));
    if (!id) {
      core::log::warn(
          "auth.google_signin_refused",
          {{"request_id", req.request_id}, {"reason", id.error().message()}, {"address", client_address(req)}});
      if (id.error() == auth::oidc::make_error_code(auth::oidc::error::provider_unreachable))
        co_return http::problem(status::bad_gateway, "google_unavailable",
                                "Google could not be reached; please try again");
      co_return http::problem(status::unauthorized, "google_token_refused", "Google Sign-In could not be verified");
    }
    http::response res;
    if (linker)
      res = co_await finish_link(req, *linker, *id);
    else
      res = co_await finish_sign_in(req, *id, (*flow)->age_confirmed);
    co_return res;
  }

  net::awaitable<http::response> finish_sign_in(http::request& req, const auth::oidc::identity& id,
                                                bool age_confirmed) {
    auto ctx = account_context(s);
    const auto address = client_address(req);
    auto r = co_await accounts::google::sign_in(ctx, id, address, age_confirmed);
    if (r.ec) co_return refuse(store_unavailable);
    switch (r.outcome) {
      case accounts::google::sign_in_outcome::email_unverified:
        co_return http::problem(status::forbidden, "google_email_unverified",
                                "This Google account has no verified email address");
      case accounts::google::sign_in_outcome::email_taken:
        co_return http::problem(status::conflict, "email_in_use", "An account with this email exists",
                                "Sign in with your password, then link Google from your account");
      case accounts::google::sign_in_outcome::created:
        core::log::info("auth.google_signup", {{"request_id", req.request_id}, {"user", r.user.id}});
        co_return http::json_response(
            status::accepted,
            boost::json::object{{"status", "pending"}, {"detail", "Your account was created and awaits approval"}});
      case accounts::google::sign_in_outcome::age_not_confirmed:
        co_return http::field_problem("age_confirmed",
                                      "a new account needs the confirmation that you are 16 or over: tick it on "
                                      "the sign-up page and start again",
                                      "age_not_confirmed");
      case accounts::google::sign_in_outcome::pending:
        co_return http::problem(status::forbidden, "account_pending", "Your account awaits approval");
      case accounts::google::sign_in_outcome::refused:
        co_return http::problem(status::forbidden, "account_disabled", "This account cannot sign in");
      case accounts::google::sign_in_outcome::signed_in:
        break;
    }
    auto res = see_other(s.cfg.server.public_url + "/");
    res.set(http::bhttp::field::set_cookie, session_cookie(s.cfg, r.session_token));
    co_return res;
  }

  net::awaitable<http::response> finish_link(http::request& req, const principal& p, const auth::oidc::identity& id) {
    auto ctx = account_context(s);
    const auto address = client_address(req);
    auto r = co_await accounts::google::link(ctx, p.user_id, id, address);
    if (!r) co_return refuse(store_unavailable);
    if (*r == accounts::google::link_outcome::in_use)
      co_return http::problem(status::conflict, "google_account_in_use",
                              "This Google account is linked to another account");
    if (*r == accounts::google::link_outcome::already_linked) co_return refuse(already_linked);
    co_return see_other(s.cfg.server.public_url + "/");
  }

  // POST /v1/me/google/link → {"authorization_url": ...}
  net::awaitable<http::response> link(http::request& req) {
    if (!client) co_return refuse(disabled);
    ENF_AUTH(p, access::write);
    if (p.via_api_key) co_return refuse(session_required);
    auto ctx = account_context(s);
    auto r = co_await accounts::google::start_link(ctx, client->provider(), p.user_id);
    if (r.ec) co_return refuse(store_unavailable);
    if (r.outcome == accounts::google::link_start_outcome::already_linked) co_return refuse(already_linked);
    auto res = http::json_response(status::ok, boost::json::object{{"authorization_url", r.flow.url}});
    res.set(http::bhttp::field::set_cookie, binding_cookie(s.cfg, r.flow.binding, accounts::google::flow_ttl_s));
    res.set(http::bhttp::field::cache_control, "no-store");
    co_return res;
  }

  // GET /v1/me/google
  net::awaitable<http::response> show(http::request& req) {
    ENF_AUTH(p, access::read);
    auto ctx = account_context(s);
    auto id = co_await accounts::google::linked_identity(ctx, p.user_id);
    if (!id) co_return refuse(store_unavailable);
    if (!*id) co_return refuse(not_linked);
    co_return http::json_response(status::ok, accounts::google::identity_json(**id));
  }

  // DELETE /v1/me/google
  net::awaitable<http::response> unlink(http::request& req) {
    ENF_AUTH(p, access::write);
    if (p.via_api_key) co_return refuse(session_required);
    auto ctx = account_context(s);
    const auto address = client_address(req);
    auto r = co_await accounts::google::unlink(ctx, p.user_id, address);
    if (!r) co_return refuse(store_unavailable);
    if (*r == accounts::google::unlink_outcome::not_linked) co_return refuse(not_linked);
    if (*r == accounts::google::unlink_outcome::last_method)
      co_return http::problem(status::conflict, "last_sign_in_method", "Set a password before unlinking Google");
    co_return http::no_content();
  }
};

}  // namespace

void register_google_routes(http::router& r, services& s) {
  accounts::google::register_export();
  std::shared_ptr<auth::google_client> client;
  if (s.cfg.google.enabled) client = auth::google_client::from_settings(s.cfg);  // throws on bad config
  auto g = std::make_shared<google_routes>(google_routes{s, std::move(client)});
  r.add(http::verb::get, "/v1/auth/google/start", "google.start", [g](http::request& req) { return g->start(req); });
  r.add(http::verb::get, "/v1/auth/google/callback", "google.callback",
        [g](http::request& req) { return g->callback(req); });
  r.add(http::verb::post, "/v1/me/google/link", "google.link", [g](http::request& req) { return g->link(req); });
  r.add(http::verb::get, "/v1/me/google", "google.show", [g](http::request& req) { return g->show(req); });
  r.add(http::verb::delete_, "/v1/me/google", "google.unlink", [g](http::request& req) { return g->unlink(req); });
}

}  // namespace enfinito::api
