// Google Sign-In routes: start, callback, link, unlink, show. The protocol rules live in
// auth/oidc.hpp (sans-I/O) and auth/google_client.hpp (provider calls); this file decides
// what a verified Google identity may do with accounts:
//
// - A Google account never seen before creates a *pending* account (like email sign-up),
//   unless its email already belongs to an account: then nothing is linked (never silently
//   by matching email) and the person is told to sign in and link from their account.
// - A linked Google account signs its user in (a session, via api::start_session) only
//   while the user is active.
// - Linking happens only from a signed-in session: POST /v1/me/google/link starts a flow
//   bound to that user, and the callback must arrive with the same user's session cookie.
// - The Google access and refresh tokens never leave auth::google_client (P3).
// - Login CSRF: a flow is bound to the browser that started it. /start (and link) set a
//   short-lived HttpOnly cookie holding a random binding; the flow is stored under
//   hash(state + binding), so a callback URL replayed in another browser (an attacker's
//   finished flow planted on a victim, to sign the victim into the attacker's account)
//   finds no flow. This cookie is the "CSRF token where needed" P6 allows; it is cleared
//   by the callback and expires with the flow.
// - /start is limited per client address (google_start_per_address_limit per window), since
//   each start stores a flow row.
#include <enfinito/api/accounts.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/google_routes.hpp>
#include <enfinito/auth/google_client.hpp>
#include <enfinito/auth/oidc.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/google.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <mutex>
#include <cctype>

namespace enfinito::api {
namespace {

namespace acc = store::accounts;
namespace gstore = store::google;
namespace oidc = auth::oidc;
using http::status;

constexpr std::int64_t flow_ttl_s = 10 * 60;
constexpr unsigned google_start_per_address_limit = 30;  // per auth.signin_window_s

std::string binding_cookie_name(const config::settings& cfg) {
  return cfg.server.tls() ? "__Host-enfinito_oauth" : "enfinito_oauth";
}

std::string binding_cookie(const config::settings& cfg, std::string_view value, std::int64_t max_age) {
  std::string c = binding_cookie_name(cfg) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age);
  if (cfg.server.tls()) c += "; Secure";
  return c;
}

// The flow's key: its state bound to the browser's binding cookie.
std::string bound_state_hash(std::string_view state, std::string_view binding) {
  return oidc::flow_state_hash(std::string(state) + "." + std::string(binding));
}

http::response see_other(const std::string& location) {
  http::response res{status::see_other, 11};
  res.set(http::bhttp::field::location, location);
  res.set(http::bhttp::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  res.content_length(0);
  return res;
}

http::response disabled() {
  return http::problem(status::not_found, "google_signin_disabled", "Google Sign-In is not enabled");
}

http::response store_unavailable() {
  return http::problem(status::service_unavailable, "store_unavailable", "Please try again shortly");
}

http::response session_required() {
  return http::problem(status::forbidden, "session_required",
                       "This needs a signed-in session, not an API key");
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

boost::json::object identity_json(const gstore::identity& id) {
  return {{"sub", id.sub}, {"email", id.email}, {"name", id.name}, {"picture_url", id.picture_url},
          {"linked_at", id.linked_at}};
}

struct google_routes {
  services& s;
  std::shared_ptr<auth::google_client> client;  // null when google.enabled is false

  struct started_flow {
    std::string url;         // where to send the browser
    std::string set_cookie;  // the binding cookie to set with it
  };

  // Stores a new flow bound to a fresh browser binding.
  net::awaitable<core::result<started_flow>> new_flow(std::string purpose, std::string user_id) {
    auto secrets = oidc::new_flow_secrets();
    const auto binding = crypto::random_token(32);
    gstore::flow f;
    f.state_hash = bound_state_hash(secrets.state, binding);
    f.sealed = oidc::seal_flow(secrets.state, secrets.nonce, secrets.code_verifier);
    f.purpose = std::move(purpose);
    f.user_id = std::move(user_id);
    f.created_at = acc::now_s();
    f.expires_at = f.created_at + flow_ttl_s;
    auto ec = co_await s.db.write([&](store::connection& c) { return gstore::insert_flow(c, f, f.created_at); });
    if (ec) co_return ec;
    co_return started_flow{oidc::authorization_url(client->provider(), secrets),
                           binding_cookie(s.cfg, binding, flow_ttl_s)};
  }

  // GET /v1/auth/google/start
  net::awaitable<http::response> start(http::request& req) {
    if (!client) co_return disabled();
    const std::string address = client_address(req);
    if (auto wait = s.auth->throttle().hit("google_start:" + address, google_start_per_address_limit)) {
      auto r = http::problem(status::too_many_requests, "too_many_attempts", "Too many sign-in attempts",
                             "wait before starting another Google sign-in");
      r.set(http::bhttp::field::retry_after, std::to_string(wait->count()));
      co_return r;
    }
    auto flow = co_await new_flow("sign_in", "");
    if (!flow) co_return store_unavailable();
    http::response res{status::found, 11};
    res.set(http::bhttp::field::location, flow->url);
    res.set(http::bhttp::field::set_cookie, flow->set_cookie);
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
    if (!client) co_return disabled();
    auto state = req.query_param("state");
    if (!state || state->empty() || state->size() > 128)
      co_return http::field_problem("state", "missing or malformed", "invalid_state");
    // Without this browser's binding, no flow matches: the same answer as an unknown state.
    const std::string binding = request_cookie(req, binding_cookie_name(s.cfg)).value_or("");

    // The flow is consumed first, whatever happens next: a state works once.
    std::optional<gstore::flow> flow;
    const auto now = acc::now_s();
    auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
      auto r = gstore::take_flow(c, bound_state_hash(*state, binding), now);
      if (!r) return r.error();
      flow = std::move(*r);
      return {};
    });
    if (ec) co_return store_unavailable();
    if (!flow)
      co_return http::problem(status::bad_request, "invalid_state",
                              "This sign-in link is unknown, expired or already used",
                              "Start again from the sign-in page, in this browser");
    if (req.query_param("error"))
      co_return http::problem(status::forbidden, "google_signin_cancelled",
                              "The sign-in was cancelled or refused at Google");
    auto code = req.query_param("code");
    if (!code || code->empty() || code->size() > 2048)
      co_return http::field_problem("code", "missing or malformed", "invalid_code");
    auto secrets = oidc::open_flow(*state, flow->sealed);
    if (!secrets)
      co_return http::problem(status::bad_request, "invalid_state",
                              "This sign-in link is unknown, expired or already used");

    // A link flow must come back to the same signed-in user who started it: a link URL sent
    // to someone else cannot attach their Google account to the sender's account. Checked
    // before the code is exchanged.
    std::optional<principal> linker;
    if (flow->purpose == "link") {
      auto who = co_await authenticate(req, s, access::read);
      if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
      auto& p = std::get<principal>(who);
      if (p.via_api_key || p.user_id != flow->user_id)
        co_return http::problem(status::forbidden, "link_session_mismatch",
                                "Finish linking in the session that started it");
      linker = std::move(p);
    }

    auto id = co_await client->sign_in(std::move(*code), std::move(secrets->second),
                                       std::move(secrets->first));
    if (!id) {
      core::log::warn("google.signin_refused", {{"request_id", req.request_id},
                                                {"reason", id.error().message()},
                                                {"address", client_address(req)}});
      if (id.error() == oidc::make_error_code(oidc::error::provider_unreachable))
        co_return http::problem(status::bad_gateway, "google_unavailable",
                                "Google could not be reached; please try again");
      co_return http::problem(status::unauthorized, "google_token_refused",
                              "Google Sign-In could not be verified");
    }
    http::response res;
    if (linker) res = co_await finish_link(req, *linker, *id);
    else res = co_await finish_sign_in(req, *id);
    co_return res;
  }

  net::awaitable<http::response> finish_sign_in(http::request& req, const oidc::identity& id) {
    enum class outcome { signed_in, created, email_unverified, email_taken } result = outcome::signed_in;
    acc::user user;
    const auto now = acc::now_s();
    const auto address = client_address(req);
    auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
      auto linked = gstore::find_by_sub(c, id.sub);
      if (!linked) return linked.error();
      if (*linked) {
        auto u = acc::find_user_by_id(c, (*linked)->user_id);
        if (!u) return u.error();
        if (!*u) return make_error_code(store::error::not_found);
        user = **u;
        gstore::identity fresh = **linked;
        fresh.email = lower(id.email);
        fresh.name = id.name;
        fresh.picture_url = id.picture;
        return gstore::update_identity(c, fresh);
      }
      // A Google account never seen: a new pending account, only for a verified email that
      // no account uses. An existing account is never linked by matching email.
      if (id.email.empty() || !id.email_verified) {
        result = outcome::email_unverified;
        return {};
      }
      const auto email = lower(id.email);
      auto existing = acc::find_user_by_email(c, email);
      if (!existing) return existing.error();
      if (*existing) {
        result = outcome::email_taken;
        return {};
      }
      user = acc::user{};
      user.id = "usr_" + crypto::random_token(16);
      user.email = email;
      user.name = id.name.empty() ? email.substr(0, email.find('@')) : id.name;
      user.status = "pending";
      user.created_at = now;
      if (auto e = acc::insert_user(c, user)) return e;
      if (auto e = gstore::insert_identity(c, {user.id, id.sub, email, id.name, id.picture, now})) return e;
      result = outcome::created;
      return acc::audit(c, user.id, user.id, "signup", "method=google", address);
    });
    if (ec) co_return store_unavailable();

    switch (result) {
      case outcome::email_unverified:
        co_return http::problem(status::forbidden, "google_email_unverified",
                                "This Google account has no verified email address");
      case outcome::email_taken:
        co_return http::problem(status::conflict, "email_in_use",
                                "An account with this email exists",
                                "Sign in with your password, then link Google from your account");
      case outcome::created: {
        core::log::info("google.signup", {{"request_id", req.request_id}, {"user", user.id}});
        co_return http::json_response(
            status::accepted,
            boost::json::object{{"status", "pending"},
                                {"detail", "Your account was created and awaits approval"}});
      }
      case outcome::signed_in:
        break;
    }
    if (user.status == "pending")
      co_return http::problem(status::forbidden, "account_pending", "Your account awaits approval");
    if (user.status != "active")
      co_return http::problem(status::forbidden, "account_disabled", "This account cannot sign in");
    auto cookie = co_await start_session(s, req, user.id, "google");
    if (!cookie) co_return store_unavailable();
    auto res = see_other(s.cfg.server.public_url + "/");
    res.set(http::bhttp::field::set_cookie, *cookie);
    co_return res;
  }

  net::awaitable<http::response> finish_link(http::request& req, const principal& p,
                                             const oidc::identity& id) {
    enum class outcome { linked, in_use, already_linked } result = outcome::linked;
    const auto address = client_address(req);
    auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
      auto by_sub = gstore::find_by_sub(c, id.sub);
      if (!by_sub) return by_sub.error();
      if (*by_sub) {
        result = (*by_sub)->user_id == p.user_id ? outcome::already_linked : outcome::in_use;
        return {};
      }
      auto mine = gstore::find_by_user(c, p.user_id);
      if (!mine) return mine.error();
      if (*mine) {
        result = outcome::already_linked;
        return {};
      }
      if (auto e = gstore::insert_identity(c, {p.user_id, id.sub, lower(id.email), id.name, id.picture,
                                                acc::now_s()}))
        return e;
      return acc::audit(c, p.user_id, p.user_id, "google.link", "", address);
    });
    if (ec) co_return store_unavailable();
    if (result == outcome::in_use)
      co_return http::problem(status::conflict, "google_account_in_use",
                              "This Google account is linked to another account");
    if (result == outcome::already_linked)
      co_return http::problem(status::conflict, "google_already_linked",
                              "A Google account is already linked; unlink it first");
    co_return see_other(s.cfg.server.public_url + "/");
  }

  // POST /v1/me/google/link → {"authorization_url": ...}
  net::awaitable<http::response> link(http::request& req) {
    if (!client) co_return disabled();
    auto who = co_await authenticate(req, s, access::write);
    if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
    auto& p = std::get<principal>(who);
    if (p.via_api_key) co_return session_required();
    std::optional<gstore::identity> existing;
    auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
      auto r = gstore::find_by_user(c, p.user_id);
      if (!r) return r.error();
      existing = std::move(*r);
      return {};
    });
    if (ec) co_return store_unavailable();
    if (existing)
      co_return http::problem(status::conflict, "google_already_linked",
                              "A Google account is already linked; unlink it first");
    auto flow = co_await new_flow("link", p.user_id);
    if (!flow) co_return store_unavailable();
    auto res = http::json_response(status::ok, boost::json::object{{"authorization_url", flow->url}});
    res.set(http::bhttp::field::set_cookie, flow->set_cookie);
    res.set(http::bhttp::field::cache_control, "no-store");
    co_return res;
  }

  // GET /v1/me/google
  net::awaitable<http::response> show(http::request& req) {
    auto who = co_await authenticate(req, s, access::read);
    if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
    auto& p = std::get<principal>(who);
    std::optional<gstore::identity> id;
    auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
      auto r = gstore::find_by_user(c, p.user_id);
      if (!r) return r.error();
      id = std::move(*r);
      return {};
    });
    if (ec) co_return store_unavailable();
    if (!id) co_return http::problem(status::not_found, "google_not_linked", "No Google account is linked");
    co_return http::json_response(status::ok, identity_json(*id));
  }

  // DELETE /v1/me/google
  net::awaitable<http::response> unlink(http::request& req) {
    auto who = co_await authenticate(req, s, access::write);
    if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
    auto& p = std::get<principal>(who);
    if (p.via_api_key) co_return session_required();
    enum class outcome { unlinked, not_linked, last_method } result = outcome::unlinked;
    const auto address = client_address(req);
    auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
      auto u = acc::find_user_by_id(c, p.user_id);
      if (!u) return u.error();
      auto mine = gstore::find_by_user(c, p.user_id);
      if (!mine) return mine.error();
      if (!*mine) {
        result = outcome::not_linked;
        return {};
      }
      // Without a password, Google is the only way in: unlinking would lock the user out.
      if (!*u || (*u)->password_hash.empty()) {
        result = outcome::last_method;
        return {};
      }
      if (auto e = gstore::delete_identity(c, p.user_id)) return e;
      return acc::audit(c, p.user_id, p.user_id, "google.unlink", "", address);
    });
    if (ec) co_return store_unavailable();
    if (result == outcome::not_linked)
      co_return http::problem(status::not_found, "google_not_linked", "No Google account is linked");
    if (result == outcome::last_method)
      co_return http::problem(status::conflict, "last_sign_in_method",
                              "Set a password before unlinking Google");
    co_return http::no_content();
  }
};

}  // namespace

namespace {
// The personal-data export (P8) includes the linked Google identity, or null.
core::error_code export_google_identity(store::connection& c, const std::string& user_id,
                                        boost::json::object& out) {
  auto found = store::google::find_by_user(c, user_id);
  if (!found) return found.error();
  if (!*found) {
    out["google_identity"] = nullptr;
    return {};
  }
  const auto& id = **found;
  out["google_identity"] = boost::json::object{{"sub", id.sub},
                                               {"email", id.email},
                                               {"name", id.name},
                                               {"picture_url", id.picture_url},
                                               {"linked_at", id.linked_at}};
  return {};
}
}  // namespace

void register_google_routes(http::router& r, services& s) {
  // The export registry is process-wide (tests start many apps in one process): once.
  static std::once_flag exported;
  std::call_once(exported, [] { add_export_section("google_identity", export_google_identity); });
  std::shared_ptr<auth::google_client> client;
  if (s.cfg.google.enabled) client = auth::google_client::from_settings(s.cfg);  // throws on bad config
  auto g = std::make_shared<google_routes>(google_routes{s, std::move(client)});
  r.add(http::verb::get, "/v1/auth/google/start", "google.start",
        [g](http::request& req) { return g->start(req); });
  r.add(http::verb::get, "/v1/auth/google/callback", "google.callback",
        [g](http::request& req) { return g->callback(req); });
  r.add(http::verb::post, "/v1/me/google/link", "google.link",
        [g](http::request& req) { return g->link(req); });
  r.add(http::verb::get, "/v1/me/google", "google.show",
        [g](http::request& req) { return g->show(req); });
  r.add(http::verb::delete_, "/v1/me/google", "google.unlink",
        [g](http::request& req) { return g->unlink(req); });
}

}  // namespace enfinito::api
