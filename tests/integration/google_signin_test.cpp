// Google Sign-In end to end: the real daemon, a local OpenID provider over HTTPS (RS256 keys
// made at test time), a real database file. Privacy promise P3: scopes are exactly
// `openid email profile`, and no Google access or refresh token reaches the database or logs.
// A new account through Google needs the age confirmation, as email sign-up does.
#include "support/daemon.hpp"
#include "support/http_client.hpp"
#include "support/oidc_provider.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"

#include <enfinito/api/auth_guard.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/http/message.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/data_links.hpp>
#include <enfinito/store/google.hpp>
#include <enfinito/store/store.hpp>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

namespace json = boost::json;
namespace acc = enfinito::store::accounts;
namespace gstore = enfinito::store::google;
using namespace enfinito;
using namespace enfinito::test;

namespace {

std::string json_code(const http_result& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("code")) return "";
  return std::string(v.at("code").as_string());
}

// Every Set-Cookie value of a response.
std::vector<std::string> set_cookies(const http_result& r) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers)
    if (boost::iequals(k, "Set-Cookie")) out.push_back(v);
  return out;
}

// The Set-Cookie value for cookie `name`, or "".
std::string set_cookie_named(const http_result& r, std::string_view name) {
  for (const auto& c : set_cookies(r))
    if (c.rfind(std::string(name) + "=", 0) == 0) return c;
  return "";
}

// "name=value" of a Set-Cookie value.
std::string cookie_pair(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }

constexpr std::string_view binding_cookie = "enfinito_oauth";  // the flow's browser binding (no TLS here)

// The sign-in page's Google button with "I am at least 16" ticked, and without.
const std::string confirmed_start = "/v1/auth/google/start?age_confirmed=true";
const std::string unconfirmed_start = "/v1/auth/google/start";

// The query of a URL as key → decoded value.
std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  auto q = url.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto part = rest.substr(0, amp);
    auto eq = part.find('=');
    out[std::string(part.substr(0, eq))] = http::percent_decode(part.substr(eq + 1), true).value_or("?");
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

// The daemon's log redirected to a file for the test's life. Declared before the app in the
// fixture, so it is restored (and the file closed) only after the app's reactors stopped
// writing to it: ThreadSanitizer caught a close racing a reactor's write.
struct log_capture {
  int fd = -1;
  void open(const std::filesystem::path& file) {
    if (fd >= 0) return;  // the app configured again (a restart): same file
    fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    core::log::set_fd(fd);
  }
  ~log_capture() {
    core::log::set_fd(2);
    if (fd >= 0) ::close(fd);
  }
};

struct google_fixture {
  temp_dir provider_dir;
  oidc_provider provider{provider_dir.path()};
  temp_dir log_dir;
  log_capture log;
  running_app app{[this](config::settings& s) { configure(s); }};

  void configure(config::settings& s) {
    s.google.enabled = true;
    s.google.client_id = oidc_provider::client_id;
    s.google.authorization_endpoint = provider.base_url() + "/authorize";
    s.google.token_endpoint = provider.base_url() + "/token";
    s.google.jwks_uri = provider.base_url() + "/jwks";
    s.google.ca_file = provider.ca_file().string();
    s.google.jwks_min_refresh_s = 0;
    if (s.secrets_dir.empty()) {
      s.secrets_dir = (provider_dir / "credentials").string();
      std::filesystem::create_directories(s.secrets_dir);
      std::filesystem::permissions(s.secrets_dir, std::filesystem::perms::owner_all);
    }
    write_file(std::filesystem::path(s.secrets_dir) / "google.client_secret",
               std::string(oidc_provider::client_secret) + "\n", 0600);
    // Everything the daemon logs during the test goes to a file we can search (P3).
    s.log_level = "debug";
    log.open(log_dir / "daemon.log");
  }

  struct flow {
    http_result callback;
    std::string authorize_url;
    std::string callback_target;
  };

  // Did the response sign someone in (set the session cookie)?
  bool sets_session(const http_result& r) {
    return !set_cookie_named(r, api::session_cookie_name(app.settings)).empty();
  }

  // start → provider /authorize → callback, the way a browser follows the redirects, sending
  // back the binding cookie that start (or link) set. `binding` empty with a given URL: a
  // browser that never started this flow. `start` is where the sign-in page sends the browser:
  // by default with the age confirmation a new account needs.
  flow run_flow(const header_list& callback_headers = {}, std::string authorize_url = {}, std::string binding = {},
                const std::string& start_target = confirmed_start) {
    flow f;
    if (authorize_url.empty()) {
      auto start = http_request("127.0.0.1", app.port(), "GET", start_target);
      BOOST_TEST_REQUIRE(start.status == 302u);
      BOOST_TEST(!sets_session(start));
      binding = cookie_pair(set_cookie_named(start, binding_cookie));
      BOOST_TEST_REQUIRE(!binding.empty());
      authorize_url = start.header("Location");
    }
    f.authorize_url = authorize_url;
    BOOST_TEST_REQUIRE(authorize_url.rfind(provider.base_url() + "/authorize?", 0) == 0u);
    auto auth = https_request("127.0.0.1", provider.port(), "GET", authorize_url.substr(provider.base_url().size()), {},
                              "", provider.ca_file().string());
    BOOST_TEST_REQUIRE(auth.status == 302u);
    auto cb = auth.header("Location");
    const auto& pub = app.settings.server.public_url;
    BOOST_TEST_REQUIRE(cb.rfind(pub + "/v1/auth/google/callback?", 0) == 0u);
    f.callback_target = cb.substr(pub.size());
    header_list headers;
    std::string cookies = binding;
    for (const auto& [k, v] : callback_headers) {
      if (boost::iequals(k, "Cookie"))
        cookies += (cookies.empty() ? "" : "; ") + v;
      else
        headers.emplace_back(k, v);
    }
    if (!cookies.empty()) headers.emplace_back("Cookie", cookies);
    f.callback = http_request("127.0.0.1", app.port(), "GET", f.callback_target, headers);
    // Whatever the outcome, the callback clears the binding cookie.
    auto cleared = set_cookie_named(f.callback, binding_cookie);
    BOOST_TEST(cleared.find("Max-Age=0") != std::string::npos, cleared);
    return f;
  }

  std::int64_t count(const std::string& sql) { return db_scalar(app.get().database(), sql); }

  void set_status(const std::string& email, const std::string& status) {
    auto ec = app.get().database().write_sync([&](store::connection& c) -> core::error_code {
      auto u = acc::find_user_by_email(c, email);
      if (!u || !*u) return make_error_code(store::error::not_found);
      return acc::set_user_status(c, (*u)->id, status);
    });
    BOOST_TEST_REQUIRE(!ec);
  }

  // An active password user with a live session; returns the Cookie header value.
  std::string password_user_with_session(const std::string& email, std::string* user_id = nullptr) {
    acc::user u;
    u.id = "usr_" + crypto::random_token(16);
    u.email = email;
    u.name = "Password Person";
    u.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    u.status = "active";
    test::session ses;
    auto ec = app.get().database().write_sync([&](store::connection& c) -> core::error_code {
      if (auto e = acc::insert_user(c, u)) return e;
      return plant_session(c, ses, u.id);
    });
    BOOST_TEST_REQUIRE(!ec);
    if (user_id) *user_id = u.id;
    return api::session_cookie_name(app.settings) + "=" + ses.token;
  }

  // Everything written to disk by the daemon: database, WAL, and the log.
  std::string everything_on_disk() {
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(app.dir().path()))
      if (e.is_regular_file()) all += read_file(e.path());
    all += read_file(log_dir / "daemon.log");
    return all;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(google_signin)

BOOST_FIXTURE_TEST_CASE(first_sign_in_creates_a_pending_account_keeping_only_sub_name_email_picture, google_fixture) {
  auto f = run_flow();
  // The browser was sent to the provider with exactly these scopes and a PKCE S256 challenge.
  auto q = query_of(f.authorize_url);
  BOOST_TEST(q["scope"] == "openid email profile");
  BOOST_TEST(q["response_type"] == "code");
  BOOST_TEST(q["code_challenge_method"] == "S256");
  BOOST_TEST(q["code_challenge"].size() == 43u);
  BOOST_TEST(q["client_id"] == oidc_provider::client_id);
  BOOST_TEST(!q["nonce"].empty());
  BOOST_TEST(q.count("access_type") == 0u);  // no offline access: no refresh token asked for
  BOOST_TEST(provider.authorize_queries().size() == 1u);

  BOOST_TEST(f.callback.status == 202u, f.callback.body);
  BOOST_TEST(!sets_session(f.callback));
  BOOST_TEST(count("SELECT COUNT(*) FROM users WHERE email = 'grace@example.com' AND status = 'pending'"
                   " AND password_hash IS NULL") == 1);
  std::optional<gstore::identity> id;
  app.get().database().read_sync([&](store::connection& c) -> core::error_code {
    auto r = gstore::find_by_sub(c, "112233445566778899000");
    if (r) id = *r;
    return {};
  });
  BOOST_TEST_REQUIRE(id.has_value());
  BOOST_TEST(id->email == "grace@example.com");
  BOOST_TEST(id->name == "Grace Hopper");
  BOOST_TEST(id->picture_url == "https://lh3.example/photo.jpg");
  BOOST_TEST(count("SELECT COUNT(*) FROM google_flows") == 0);  // the flow is gone once used

  // Pending accounts cannot sign in.
  auto again = run_flow();
  BOOST_TEST(again.callback.status == 403u);
  BOOST_TEST(json_code(again.callback) == "account_pending");
  BOOST_TEST(!sets_session(again.callback));

  // Approved: the next Google sign-in gets a session, and the session works.
  set_status("grace@example.com", "active");
  auto ok = run_flow();
  BOOST_TEST_REQUIRE(ok.callback.status == 303u, ok.callback.body);
  auto cookie = set_cookie_named(ok.callback, api::session_cookie_name(app.settings));
  BOOST_TEST(cookie.find("HttpOnly") != std::string::npos);
  BOOST_TEST(cookie.find("SameSite=Lax") != std::string::npos);
  auto me =
      http_request("127.0.0.1", app.port(), "GET", "/v1/me/google", {{"Cookie", cookie.substr(0, cookie.find(';'))}});
  BOOST_TEST(me.status == 200u, me.body);
  BOOST_TEST(me.body.find("112233445566778899000") != std::string::npos);
  BOOST_TEST(count("SELECT COUNT(*) FROM sessions WHERE method = 'google'") == 1);

  // P3: the provider handed out an access and a refresh token three times; neither (nor the
  // client secret, nor an authorization code) is anywhere in the database files or the log.
  BOOST_TEST(provider.token_calls == 3);
  auto disk = everything_on_disk();
  BOOST_TEST(disk.find(oidc_provider::access_token_canary) == std::string::npos);
  BOOST_TEST(disk.find(oidc_provider::refresh_token_canary) == std::string::npos);
  BOOST_TEST(disk.find(oidc_provider::client_secret) == std::string::npos);
  BOOST_TEST(disk.find("AUTHCODE-CANARY") == std::string::npos);
  BOOST_TEST(disk.find(query_of(ok.callback_target)["state"]) == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(token_request_carries_the_pkce_verifier_and_the_client_secret, google_fixture) {
  run_flow();
  auto reqs = provider.token_requests();
  BOOST_TEST_REQUIRE(reqs.size() == 1u);
  BOOST_TEST(reqs[0].find("code_verifier=") != std::string::npos);
  BOOST_TEST(reqs[0].find("grant_type=authorization_code") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_state_works_once, google_fixture) {
  auto f = run_flow();
  BOOST_TEST(f.callback.status == 202u);
  auto replay = http_request("127.0.0.1", app.port(), "GET", f.callback_target);
  BOOST_TEST(replay.status == 400u);
  BOOST_TEST(json_code(replay) == "invalid_state");
  BOOST_TEST(!sets_session(replay));
  BOOST_TEST(provider.token_calls == 1);  // the replay never reached the token endpoint
  auto forged =
      http_request("127.0.0.1", app.port(), "GET", "/v1/auth/google/callback?code=x&state=" + crypto::random_token(32));
  BOOST_TEST(forged.status == 400u);
  auto missing = http_request("127.0.0.1", app.port(), "GET", "/v1/auth/google/callback?code=x");
  BOOST_TEST(missing.status == 400u);
}

BOOST_FIXTURE_TEST_CASE(bad_id_tokens_are_refused_without_a_session_or_account, google_fixture) {
  using grant = oidc_provider::grant;
  // A nonce the daemon issued for another flow (started, never finished).
  auto other = http_request("127.0.0.1", app.port(), "GET", "/v1/auth/google/start");
  const std::string other_nonce = query_of(other.header("Location"))["nonce"];
  BOOST_TEST_REQUIRE(!other_nonce.empty());
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  struct bad_case {
    const char* name;
    oidc_provider::mint_fn mint;
  };
  std::vector<bad_case> cases = {
      {"wrong aud",
       [](const oidc_provider& p, const grant& g) {
         auto c = p.claims(g);
         c["aud"] = "someone-else.apps.example";
         c["azp"] = "someone-else.apps.example";
         return p.key_a.token(c);
       }},
      {"wrong iss",
       [](const oidc_provider& p, const grant& g) {
         auto c = p.claims(g);
         c["iss"] = "https://evil.example";
         return p.key_a.token(c);
       }},
      {"expired",
       [now](const oidc_provider& p, const grant& g) {
         auto c = p.claims(g);
         c["iat"] = now - 7200;
         c["exp"] = now - 3600;
         return p.key_a.token(c);
       }},
      {"issued in the future",
       [now](const oidc_provider& p, const grant& g) {
         auto c = p.claims(g);
         c["iat"] = now + 3600;
         return p.key_a.token(c);
       }},
      {"bad signature",
       [](const oidc_provider& p, const grant& g) {
         auto t = p.key_a.token(p.claims(g));
         auto& last = t[t.size() - 10];
         last = last == 'A' ? 'B' : 'A';
         return t;
       }},
      {"signed by another key under kid-a",
       [](const oidc_provider& p, const grant& g) {
         return p.key_c.token(p.claims(g), json::object{{"kid", "kid-a"}});
       }},
      {"alg none", [](const oidc_provider& p, const grant& g) { return unsigned_token(p.claims(g), "kid-a"); }},
      {"HS256 keyed with the public key",
       [](const oidc_provider& p, const grant& g) { return hs256_token(p.claims(g), "kid-a", p.key_a.public_pem()); }},
      {"header-supplied jwk",
       [](const oidc_provider& p, const grant& g) {
         return p.key_c.token(p.claims(g), json::object{{"kid", "kid-c"}, {"jwk", p.key_c.jwk()}});
       }},
      {"header-supplied jku",
       [](const oidc_provider& p, const grant& g) {
         return p.key_c.token(p.claims(g), json::object{{"kid", "kid-c"}, {"jku", p.base_url() + "/evil-jwks"}});
       }},
      {"nonce of another flow",
       [other_nonce](const oidc_provider& p, const grant& g) {
         auto c = p.claims(g);
         c["nonce"] = other_nonce;
         return p.key_a.token(c);
       }},
      {"no nonce",
       [](const oidc_provider& p, const grant& g) {
         auto c = p.claims(g);
         c.erase("nonce");
         return p.key_a.token(c);
       }},
  };
  for (auto& bc : cases) {
    BOOST_TEST_CONTEXT(bc.name) {
      provider.set_mint(bc.mint);
      auto f = run_flow();
      BOOST_TEST(f.callback.status == 401u, f.callback.body);
      BOOST_TEST(json_code(f.callback) == "google_token_refused");
      BOOST_TEST(!sets_session(f.callback));
    }
  }
  BOOST_TEST(count("SELECT COUNT(*) FROM users") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM google_identities") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM sessions") == 0);
}

BOOST_FIXTURE_TEST_CASE(unknown_kid_refetches_the_jwks_and_stays_refused, google_fixture) {
  BOOST_TEST(run_flow().callback.status == 202u);  // first sign-in fetches the keys once
  BOOST_TEST(provider.jwks_fetches == 1);
  provider.set_mint([](const oidc_provider& p, const oidc_provider::grant& g) {
    return p.key_c.token(p.claims(g));  // kid-c is never published
  });
  auto f = run_flow();
  BOOST_TEST(f.callback.status == 401u);
  BOOST_TEST(!sets_session(f.callback));
  BOOST_TEST(provider.jwks_fetches == 2);  // refreshed once, still unknown: refused

  // A key the provider rotates in is picked up by the same refresh.
  provider.publish_b = true;
  provider.set_subject("99887766", "rotated@example.com", "Rotated Key");
  provider.set_mint([](const oidc_provider& p, const oidc_provider::grant& g) { return p.key_b.token(p.claims(g)); });
  auto rotated = run_flow();
  BOOST_TEST(rotated.callback.status == 202u, rotated.callback.body);
  BOOST_TEST(provider.jwks_fetches == 3);
}

BOOST_FIXTURE_TEST_CASE(an_existing_email_is_never_linked_silently, google_fixture) {
  password_user_with_session("grace@example.com");
  auto f = run_flow();
  BOOST_TEST(f.callback.status == 409u);
  BOOST_TEST(json_code(f.callback) == "email_in_use");
  BOOST_TEST(!sets_session(f.callback));
  BOOST_TEST(count("SELECT COUNT(*) FROM google_identities") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM users") == 1);
}

BOOST_FIXTURE_TEST_CASE(unverified_google_email_creates_nothing, google_fixture) {
  provider.set_mint([](const oidc_provider& p, const oidc_provider::grant& g) {
    auto c = p.claims(g);
    c["email_verified"] = false;
    return p.key_a.token(c);
  });
  auto f = run_flow();
  BOOST_TEST(f.callback.status == 403u);
  BOOST_TEST(json_code(f.callback) == "google_email_unverified");
  BOOST_TEST(count("SELECT COUNT(*) FROM users") == 0);
}

BOOST_FIXTURE_TEST_CASE(linking_happens_only_from_the_signed_in_session, google_fixture) {
  std::string user_id;
  auto cookie = password_user_with_session("ada@example.com", &user_id);
  const auto& origin = app.settings.server.public_url;
  header_list unsafe = {{"Cookie", cookie}, {"Content-Type", "application/json"}, {"Origin", origin}};

  // Without a session: refused.
  auto anon =
      http_request("127.0.0.1", app.port(), "POST", "/v1/me/google/link", {{"Content-Type", "application/json"}}, "{}");
  BOOST_TEST(anon.status == 401u);

  // A link flow finished without the session cookie (someone else's browser): refused.
  auto start = http_request("127.0.0.1", app.port(), "POST", "/v1/me/google/link", unsafe, "{}");
  BOOST_TEST_REQUIRE(start.status == 200u, start.body);
  auto url = std::string(json::parse(start.body).at("authorization_url").as_string());
  auto binding = cookie_pair(set_cookie_named(start, binding_cookie));
  BOOST_TEST_REQUIRE(!binding.empty());
  BOOST_TEST(query_of(url)["scope"] == "openid email profile");
  // Another browser has neither the binding nor the session: no such flow for it.
  auto stranger = run_flow({}, url);
  BOOST_TEST(stranger.callback.status == 400u);
  BOOST_TEST(json_code(stranger.callback) == "invalid_state");
  // The binding without the session that started it: refused too.
  auto no_session = run_flow({}, url, binding);
  BOOST_TEST(no_session.callback.status == 401u);
  BOOST_TEST(count("SELECT COUNT(*) FROM google_identities") == 0);

  // From the session that started it: linked (the Google email differs; it does not matter).
  start = http_request("127.0.0.1", app.port(), "POST", "/v1/me/google/link", unsafe, "{}");
  url = std::string(json::parse(start.body).at("authorization_url").as_string());
  auto linked = run_flow({{"Cookie", cookie}}, url, cookie_pair(set_cookie_named(start, binding_cookie)));
  BOOST_TEST(linked.callback.status == 303u, linked.callback.body);
  BOOST_TEST(!sets_session(linked.callback));
  BOOST_TEST(count("SELECT COUNT(*) FROM google_identities WHERE user_id = '" + user_id +
                   "' AND sub = '112233445566778899000'") == 1);

  // The personal-data export (P8) carries the linked Google identity: sub, email, name, picture.
  auto exported = http_request("127.0.0.1", app.port(), "GET", "/v1/me/export", {{"Cookie", cookie}});
  BOOST_TEST(exported.status == 200u, exported.body);
  auto google_section = json::parse(exported.body).as_object().at("google_identity");
  BOOST_REQUIRE(google_section.is_object());
  BOOST_TEST(google_section.as_object().at("sub").as_string() == "112233445566778899000");

  // Now Google signs this (active) user in.
  auto signin = run_flow();
  BOOST_TEST(signin.callback.status == 303u);
  BOOST_TEST(sets_session(signin.callback));

  // A second link is refused; unlink needs the session and works (the user has a password).
  auto again = http_request("127.0.0.1", app.port(), "POST", "/v1/me/google/link", unsafe, "{}");
  BOOST_TEST(again.status == 409u);
  auto unlink = http_request("127.0.0.1", app.port(), "DELETE", "/v1/me/google", unsafe);
  BOOST_TEST(unlink.status == 204u, unlink.body);
  BOOST_TEST(count("SELECT COUNT(*) FROM google_identities") == 0);
  auto gone = http_request("127.0.0.1", app.port(), "GET", "/v1/me/google", {{"Cookie", cookie}});
  BOOST_TEST(gone.status == 404u);
  auto after = http_request("127.0.0.1", app.port(), "GET", "/v1/me/export", {{"Cookie", cookie}});
  BOOST_TEST(json::parse(after.body).as_object().at("google_identity").is_null());
}

BOOST_FIXTURE_TEST_CASE(a_google_only_account_cannot_unlink_its_only_sign_in, google_fixture) {
  BOOST_TEST(run_flow().callback.status == 202u);
  set_status("grace@example.com", "active");
  auto ok = run_flow();
  auto cookie = cookie_pair(set_cookie_named(ok.callback, api::session_cookie_name(app.settings)));
  auto r = http_request(
      "127.0.0.1", app.port(), "DELETE", "/v1/me/google",
      {{"Cookie", cookie}, {"Content-Type", "application/json"}, {"Origin", app.settings.server.public_url}});
  BOOST_TEST(r.status == 409u);
  BOOST_TEST(json_code(r) == "last_sign_in_method");
}

BOOST_FIXTURE_TEST_CASE(a_pending_google_only_account_exports_and_deletes_by_data_link, google_fixture) {
  // No password and not yet approved: a mailed data-rights link is its only way to its data.
  BOOST_TEST_REQUIRE(run_flow().callback.status == 202u);
  const header_list json = {{"Content-Type", "application/json"}};
  auto asked = http_request("127.0.0.1", app.port(), "POST", "/v1/auth/data-rights", json,
                            R"({"email":"grace@example.com","action":"export"})");
  BOOST_TEST(asked.status == 202u, asked.body);
  BOOST_TEST(count("SELECT COUNT(*) FROM data_links l JOIN users u ON u.id = l.user_id "
                   "WHERE u.email = 'grace@example.com' AND l.action = 'export'") == 1);
  // The mailed token is sealed in the outbox: plant known ones beside it, as the mail would carry.
  const auto export_token = crypto::random_token(32), delete_token = crypto::random_token(32);
  std::string user_id;
  auto ec = app.get().database().write_sync([&](store::connection& c) -> core::error_code {
    auto u = acc::find_user_by_email(c, "grace@example.com");
    if (!u || !*u) return make_error_code(store::error::not_found);
    user_id = (*u)->id;
    const auto expires = acc::now_s() + 600;
    if (auto e =
            store::data_links::insert(c, crypto::sha256_hex(export_token), user_id, "export", expires, acc::now_s()))
      return e;
    return store::data_links::insert(c, crypto::sha256_hex(delete_token), user_id, "delete", expires, acc::now_s());
  });
  BOOST_TEST_REQUIRE(!ec);
  auto exported = http_request("127.0.0.1", app.port(), "POST", "/v1/auth/data-rights/export", json,
                               R"({"token":")" + export_token + R"("})");
  BOOST_TEST_REQUIRE(exported.status == 200u, exported.body);
  auto doc = boost::json::parse(exported.body);
  BOOST_TEST(doc.at("profile").at("status").as_string() == "pending");
  BOOST_TEST(doc.at("google_identity").at("sub").as_string() == "112233445566778899000");
  auto deleted = http_request("127.0.0.1", app.port(), "POST", "/v1/auth/data-rights/delete", json,
                              R"({"token":")" + delete_token + R"("})");
  BOOST_TEST(deleted.status == 204u, deleted.body);
  BOOST_TEST(count("SELECT COUNT(*) FROM users WHERE id = '" + user_id + "'") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM google_identities") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM data_links") == 0);
}

BOOST_FIXTURE_TEST_CASE(a_flow_finishes_only_in_the_browser_that_started_it, google_fixture) {
  // Login CSRF: an attacker runs the flow with their own Google account up to the callback,
  // then gets a victim's browser to open that callback URL. Without the attacker's binding
  // cookie the victim's browser finds no flow: nobody is signed in.
  auto start = http_request("127.0.0.1", app.port(), "GET", confirmed_start);
  BOOST_TEST_REQUIRE(start.status == 302u);
  auto set = set_cookie_named(start, binding_cookie);
  for (auto attr : {"HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"})
    BOOST_TEST(set.find(attr) != std::string::npos, attr);
  auto attacker_binding = cookie_pair(set);
  const auto url = start.header("Location");
  auto victim = run_flow({}, url);  // no binding
  BOOST_TEST(victim.callback.status == 400u);
  BOOST_TEST(json_code(victim.callback) == "invalid_state");
  BOOST_TEST(!sets_session(victim.callback));
  auto wrong = run_flow({}, url, std::string(binding_cookie) + "=" + crypto::random_token(32));
  BOOST_TEST(wrong.callback.status == 400u);
  BOOST_TEST(provider.token_calls == 0);  // no code was ever exchanged
  // In the browser that started it, the flow still works (once).
  auto own = run_flow({}, url, attacker_binding);
  BOOST_TEST(own.callback.status == 202u, own.callback.body);
}

BOOST_FIXTURE_TEST_CASE(a_new_account_needs_the_age_confirmation_a_linked_one_does_not, google_fixture) {
  // Without the confirmation, a Google identity never seen before makes no account.
  auto refused = run_flow({}, {}, {}, unconfirmed_start);
  BOOST_TEST(refused.callback.status == 400u, refused.callback.body);
  BOOST_TEST(json_code(refused.callback) == "age_not_confirmed");
  BOOST_TEST(refused.callback.body.find("\"field\":\"age_confirmed\"") != std::string::npos, refused.callback.body);
  BOOST_TEST(!sets_session(refused.callback));
  BOOST_TEST(count("SELECT COUNT(*) FROM users") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM google_identities") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM audit_log WHERE action = 'signup'") == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM google_flows") == 0);  // used up all the same
  // A value other than true or false is refused at the start, naming the field.
  for (const std::string bad : {"yes", "1", "", "TRUE"}) {
    auto r = http_request("127.0.0.1", app.port(), "GET", unconfirmed_start + "?age_confirmed=" + bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(r.body.find("\"field\":\"age_confirmed\"") != std::string::npos, r.body);
    }
  }
  // "false" is the same as no answer.
  auto no = run_flow({}, {}, {}, unconfirmed_start + "?age_confirmed=false");
  BOOST_TEST(json_code(no.callback) == "age_not_confirmed");
  BOOST_TEST(count("SELECT COUNT(*) FROM users") == 0);

  // With it, the pending account is made; the answer itself is kept nowhere once the flow is used.
  auto made = run_flow({}, {}, {}, confirmed_start);
  BOOST_TEST(made.callback.status == 202u, made.callback.body);
  BOOST_TEST(count("SELECT COUNT(*) FROM users WHERE email = 'grace@example.com' AND status = 'pending'") == 1);
  BOOST_TEST(count("SELECT COUNT(*) FROM google_flows") == 0);

  // Once the account exists, signing in with Google asks no more.
  set_status("grace@example.com", "active");
  auto in = run_flow({}, {}, {}, unconfirmed_start);
  BOOST_TEST(in.callback.status == 303u, in.callback.body);
  BOOST_TEST(sets_session(in.callback));
}

BOOST_FIXTURE_TEST_CASE(starts_are_limited_per_client_address, google_fixture) {
  for (int i = 0; i < 30; ++i)
    BOOST_TEST_REQUIRE(http_request("127.0.0.1", app.port(), "GET", "/v1/auth/google/start").status == 302u);
  auto limited = http_request("127.0.0.1", app.port(), "GET", "/v1/auth/google/start");
  BOOST_TEST(limited.status == 429u);
  BOOST_TEST(json_code(limited) == "too_many_attempts");
  BOOST_TEST(!limited.header("Retry-After").empty());
  BOOST_TEST(count("SELECT COUNT(*) FROM google_flows") == 30);
}

BOOST_AUTO_TEST_CASE(disabled_google_routes_answer_404) {
  running_app app;
  auto r = http_request("127.0.0.1", app.port(), "GET", "/v1/auth/google/start");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(json_code(r) == "google_signin_disabled");
}

BOOST_AUTO_TEST_SUITE_END()
