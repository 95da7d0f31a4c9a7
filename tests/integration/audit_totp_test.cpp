// The audit log, whole, and the TOTP second factor (issue 20), end to end: the real daemon,
// a real database file, the fake Graph API as Meta. Every change to an instance, its
// credentials, a webhook endpoint, an API key and a session leaves one entry naming actor,
// tenant, time, address and what changed; canary secrets planted in each step are found in no
// entry. A user enrols TOTP, signs in with a code the test computes (RFC 6238), and a recovery
// code works once; an administrator without a factor may only enrol.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/web_client.hpp"

#include <enfinito/accounts/totp.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace {

namespace json = boost::json;
namespace totp = enfinito::accounts::totp;
using namespace enfinito;
using namespace enfinito::test;

constexpr const char* phone = "106540352277001";
constexpr const char* waba = "102290129377001";
constexpr const char* token = "EAAGcanaryAUDITtokenQ7Zk2Lw9Xv4Rt6Yp1Mn3B";
constexpr const char* token2 = "EAAGcanaryAUDITsecondH2j4K6l8Z0x1C3v5B7n9";
constexpr const char* app_secret = "canaryAUDITappSECRET4d9c2b7e";
constexpr const char* url_canary = "canaryAUDITurlTOKEN8x7c6v5b";

json::object body_of(const http_result& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  return ec || !v.is_object() ? json::object() : v.as_object();
}
std::string str(const json::value& v, std::string_view k) {
  const auto* o = v.if_object();
  if (!o || !o->contains(k) || !o->at(k).is_string()) return {};
  return std::string(o->at(k).as_string());
}

// A browser (cookie, Origin, JSON) or a program (API key).
using client = web_client;
std::string code_body(const std::string& code) { return json::serialize(json::object{{"code", code}}); }

// The code an authenticator app shows `offset_s` from now for the base32 `secret`.
std::string code_for(const std::string& secret, std::int64_t offset_s = 0) {
  auto key = totp::from_base32(secret);
  BOOST_REQUIRE(key.has_value());
  return totp::code_text(totp::code_at(*key, core::wall_ms() + offset_s * 1000));
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct audit_fixture {
  fake_meta meta{fake_graph_config({{phone, waba}}, {token, token2})};
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.meta.timeout = std::chrono::milliseconds(5000);
    s.customer_webhooks.allow_http = true;
    s.customer_webhooks.allow_ranges = "127.0.0.0/8";
    s.auth.admin_second_factor = true;
  }};

  // An active user with a password and an API key.
  tenant user(const std::string& email, const std::string& password, const std::string& role = "user") {
    tenant_options o;
    o.role = role;
    auto t = make_tenant(app.get().database(), email, o);
    const auto hash = auth::hash_password(password);
    auto ec = app.get().database().write_sync(
        [&](store::connection& c) { return store::accounts::set_password_hash(c, t.user_id, hash); });
    BOOST_REQUIRE(!ec);
    return t;
  }
  client browser() { return client{app.port()}; }
  client program(const tenant& t) { return client{app.port(), {}, t.key}; }
  client session(const tenant& t, std::string* id = nullptr) {
    auto s = make_session(app.get().database(), t.user_id);
    if (id) *id = s.id;
    return client{app.port(), api::session_cookie_name(app.settings) + "=" + s.token};
  }

  // Every entry `c` may read at `target` (paged through), oldest first.
  std::vector<json::object> entries(client& c, const std::string& target) {
    std::vector<json::object> out;
    std::string cursor;
    for (int i = 0; i < 100; ++i) {
      const auto sep = target.find('?') == std::string::npos ? "?" : "&";
      auto r = c.call("GET", target + sep + "limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor));
      BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
      auto page = body_of(r);
      for (const auto& e : page.at("data").as_array()) out.insert(out.begin(), e.as_object());
      if (page.at("next_cursor").is_null()) break;
      cursor = std::string(page.at("next_cursor").as_string());
    }
    return out;
  }
  static std::vector<std::string> actions(const std::vector<json::object>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(str(e, "action"));
    return out;
  }
  static const json::object* find(const std::vector<json::object>& es, const std::string& action) {
    for (const auto& e : es)
      if (str(e, "action") == action) return &e;
    return nullptr;
  }

  // Every audit row as text, read from the database itself.
  std::string audit_rows() {
    std::string out;
    for (const auto& row :
         db_rows(app.get().database(), "SELECT subject_id, actor_id, action, detail, client_address FROM audit_log"))
      for (const auto& column : row) out += column + "|";
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_totp)

BOOST_FIXTURE_TEST_CASE(every_change_is_audited_and_no_entry_holds_a_secret, audit_fixture) {
  auto owner = user("owner@example.com", "owner password 123");
  auto key = program(owner);
  auto web = session(owner);
  std::vector<std::string> secrets{token,      token2,    app_secret,
                                   url_canary, owner.key, web.cookie.substr(web.cookie.find('=') + 1)};

  // An instance: connected, its token and name changed, re-verified, deleted at the end.
  const auto instance = str(connect_instance(app.port(), owner.key, {phone, waba, token, app_secret}), "id");
  auto patched = key.call("PATCH", "/v1/instances/" + instance,
                          json::serialize(json::object{{"name", "Renamed"}, {"access_token", token2}}));
  BOOST_REQUIRE_MESSAGE(patched.status == 200u, patched.body);
  BOOST_REQUIRE(key.call("POST", "/v1/instances/" + instance + "/verify", "{}").status == 200u);

  // A customer webhook endpoint: created, its URL changed, its secret rotated, deleted.
  const auto hooks = "/v1/instances/" + instance + "/webhooks";
  auto hook = key.call("POST", hooks, R"({"url":"http://127.0.0.1:9/hook"})");
  BOOST_REQUIRE_MESSAGE(hook.status == 201u, hook.body);
  const auto endpoint = str(body_of(hook), "id");
  secrets.push_back(str(body_of(hook), "secret"));
  BOOST_REQUIRE(key.call("PATCH", hooks + "/" + endpoint,
                         json::serialize(json::object{{"url", std::string("http://127.0.0.1:9/h?t=") + url_canary},
                                                      {"state", "paused"}}))
                    .status == 200u);
  auto rotated = key.call("POST", hooks + "/" + endpoint + "/rotate-secret", "{}");
  BOOST_REQUIRE(rotated.status == 200u);
  secrets.push_back(str(body_of(rotated), "secret"));
  BOOST_REQUIRE(key.call("DELETE", hooks + "/" + endpoint).status == 204u);

  // An API key made and revoked in the browser; a session revoked; the instance deleted.
  auto k2 = web.call("POST", "/v1/api-keys", R"({"name":"second"})");
  BOOST_REQUIRE_MESSAGE(k2.status == 201u, k2.body);
  secrets.push_back(str(body_of(k2), "key"));
  BOOST_REQUIRE(web.call("DELETE", "/v1/api-keys/" + str(body_of(k2), "id")).status == 204u);
  std::string other_id;
  auto other = session(owner, &other_id);
  secrets.push_back(other.cookie.substr(other.cookie.find('=') + 1));
  BOOST_REQUIRE(web.call("DELETE", "/v1/me/sessions/" + other_id).status == 204u);
  BOOST_REQUIRE(key.call("DELETE", "/v1/instances/" + instance).status == 204u);

  // The owner reads them all, in order, each once.
  auto mine = entries(web, "/v1/me/audit");
  const std::vector<std::string> expected{
      "instance_created",         "instance_updated",       "instance_verified",        "webhook_endpoint_created",
      "webhook_endpoint_updated", "webhook_secret_rotated", "webhook_endpoint_deleted", "api_key_created",
      "api_key_revoked",          "session_revoked",        "instance_deleted"};
  BOOST_TEST(actions(mine) == expected, boost::test_tools::per_element());
  for (const auto& e : mine) {
    BOOST_TEST_CONTEXT(str(e, "action")) {
      BOOST_TEST(str(e, "actor_user_id") == owner.user_id);
      BOOST_TEST(str(e, "subject_user_id") == owner.user_id);
      BOOST_TEST(str(e, "client_ip") == "127.0.0.1");
      BOOST_TEST(e.at("at").as_int64() > 1'000'000'000'000);
    }
  }
  // What changed is named, never valued; the API key that acted is named too.
  const auto& updated = find(mine, "instance_updated")->at("detail");
  BOOST_TEST(str(updated, "fields") == "name,access_token");
  BOOST_TEST(str(updated, "instance") == instance);
  BOOST_TEST(str(updated, "key") == owner.key_id);
  BOOST_TEST(str(find(mine, "webhook_endpoint_updated")->at("detail"), "fields") == "url,state");
  BOOST_TEST(str(find(mine, "webhook_secret_rotated")->at("detail"), "endpoint") == endpoint);
  BOOST_TEST(str(find(mine, "api_key_created")->at("detail"), "key") != "");

  // No secret in any entry: the API's view and the rows themselves.
  std::string api_view;
  for (const auto& e : mine) api_view += json::serialize(e);
  const auto rows = audit_rows();
  BOOST_TEST(rows.find(instance) != std::string::npos);  // the search can find things
  for (const auto& secret : secrets) {
    BOOST_TEST_CONTEXT(secret.substr(0, 12)) {
      BOOST_REQUIRE(secret.size() >= 16u);
      BOOST_TEST(api_view.find(secret) == std::string::npos);
      BOOST_TEST(rows.find(secret) == std::string::npos);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(own_entries_include_sign_ins_and_admins_filter_everyone, audit_fixture) {
  auto ada = user("ada@example.com", "ada password 123");
  auto bob = user("bob@example.com", "bob password 123");
  auto admin = session(user("root@example.com", "root password 123", "admin"));  // planted: not restricted
  auto a = browser();
  BOOST_TEST(a.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "wrong password")).status == 401u);
  BOOST_REQUIRE(a.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "ada password 123")).status == 200u);
  auto b = browser();
  BOOST_REQUIRE(b.call("POST", "/v1/auth/signin", signin_body("bob@example.com", "bob password 123")).status == 200u);

  auto mine = entries(a, "/v1/me/audit");
  BOOST_TEST(actions(mine) == (std::vector<std::string>{"signin_failed", "signin"}), boost::test_tools::per_element());
  BOOST_TEST(str(find(mine, "signin")->at("detail"), "method") == "password");
  auto only = entries(a, "/v1/me/audit?action=signin");
  BOOST_TEST(only.size() == 1u);
  // A user cannot look at others; an API key cannot read the log.
  for (const auto& q : {"?user=", "?actor=", "?tenant="}) {
    auto r = a.call("GET", "/v1/me/audit" + std::string(q) + bob.user_id);
    BOOST_TEST(r.status == 400u);
  }
  BOOST_TEST(program(ada).call("GET", "/v1/me/audit").status == 403u);

  // The administrator: by actor, by tenant, by action, by time; bad values name the field.
  auto by_tenant = entries(admin, "/v1/admin/audit?tenant=" + bob.user_id);
  BOOST_TEST(actions(by_tenant) == std::vector<std::string>{"signin"}, boost::test_tools::per_element());
  auto failed = entries(admin, "/v1/admin/audit?action=signin_failed");
  BOOST_REQUIRE(failed.size() == 1u);
  BOOST_TEST(str(failed[0], "subject_user_id") == ada.user_id);
  BOOST_TEST(failed[0].at("actor_user_id").is_null());
  BOOST_TEST(entries(admin, "/v1/admin/audit?actor=" + ada.user_id).size() == 1u);  // the sign-in
  const auto now = core::wall_ms();
  BOOST_TEST(entries(admin, "/v1/admin/audit?since=" + std::to_string(now - 600'000)).size() == 3u);
  BOOST_TEST(entries(admin, "/v1/admin/audit?until=" + std::to_string(now - 600'000)).empty());
  for (const auto& bad : {"?since=abc", "?until=0", "?tenant=bob", "?actor=", "?since=2000&until=1000"}) {
    auto r = admin.call("GET", std::string("/v1/admin/audit") + bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(body_of(r).contains("field"));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(totp_enrols_signs_in_with_a_code_and_a_recovery_code_works_once, audit_fixture) {
  auto ada = user("ada@example.com", "ada password 123");
  auto a = browser();
  BOOST_REQUIRE(a.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "ada password 123")).status == 200u);

  // Enrol: the secret once, as base32 and as an otpauth:// URI; pending until a code confirms.
  auto enrol = a.call("POST", "/v1/me/totp", "{}");
  BOOST_REQUIRE_MESSAGE(enrol.status == 201u, enrol.body);
  BOOST_TEST(enrol.header("cache-control") == "no-store");
  const auto secret = str(body_of(enrol), "secret");
  BOOST_TEST(secret.size() == 32u);  // 160 bits
  BOOST_TEST(str(body_of(enrol), "otpauth_uri") == "otpauth://totp/Enfinito:ada%40example.com?secret=" + secret +
                                                       "&issuer=Enfinito&algorithm=SHA1&digits=6&period=30");
  BOOST_TEST(body_of(a.call("GET", "/v1/me/totp")).at("pending").as_bool());
  const auto first_code = code_for(secret);
  auto wrong = a.call("POST", "/v1/me/totp/confirm", code_body(first_code == "000000" ? "111111" : "000000"));
  BOOST_TEST(wrong.status == 400u);
  BOOST_TEST(str(body_of(wrong), "field") == "code");
  auto confirmed = a.call("POST", "/v1/me/totp/confirm", code_body(first_code));
  BOOST_REQUIRE_MESSAGE(confirmed.status == 200u, confirmed.body);
  std::vector<std::string> recovery;
  const auto confirmed_body = body_of(confirmed);  // named: a range-for over a temporary's member dangles
  for (const auto& c : confirmed_body.at("recovery_codes").as_array()) recovery.emplace_back(c.as_string());
  BOOST_REQUIRE(recovery.size() == 10u);
  auto state = body_of(a.call("GET", "/v1/me/totp"));
  BOOST_TEST(state.at("enrolled").as_bool());
  BOOST_TEST(state.at("recovery_codes_left").as_int64() == 10);
  BOOST_TEST(a.call("POST", "/v1/me/totp", "{}").status == 409u);  // one factor at a time
  BOOST_REQUIRE(a.call("POST", "/v1/auth/signout", "{}").status == 204u);

  // Sign-in is now two steps: the password gives a challenge and no session.
  auto sign_in = [&](client& c) {
    auto r = c.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "ada password 123"));
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    BOOST_TEST(r.header("set-cookie").empty());
    BOOST_TEST(body_of(r).at("second_factor_required").as_bool());
    return str(body_of(r), "challenge");
  };
  auto second = [&](client& c, const std::string& challenge, const std::string& code) {
    return c.call("POST", "/v1/auth/signin/second-factor",
                  json::serialize(json::object{{"challenge", challenge}, {"code", code}}));
  };
  auto b = browser();
  auto challenge = sign_in(b);
  BOOST_TEST(b.call("GET", "/v1/me").status == 401u);
  // The code that confirmed is spent; the next step's code (one step of drift) is good.
  auto replay = second(b, challenge, first_code);
  BOOST_TEST(replay.status == 400u);
  BOOST_TEST(str(body_of(replay), "code") == "invalid_code");
  auto ok = second(b, challenge, code_for(secret, 30));
  BOOST_REQUIRE_MESSAGE(ok.status == 200u, ok.body);
  BOOST_TEST(str(body_of(ok).at("user"), "id") == ada.user_id);
  BOOST_TEST(b.call("GET", "/v1/me").status == 200u);
  BOOST_TEST(second(b, challenge, recovery[0]).status == 400u);  // the challenge is single-use
  BOOST_REQUIRE(b.call("POST", "/v1/auth/signout", "{}").status == 204u);

  // A recovery code works once.
  auto c = browser();
  auto r1 = second(c, sign_in(c), recovery[0]);
  BOOST_REQUIRE_MESSAGE(r1.status == 200u, r1.body);
  BOOST_REQUIRE(c.call("POST", "/v1/auth/signout", "{}").status == 204u);
  auto again = second(c, sign_in(c), recovery[0]);
  BOOST_TEST(again.status == 400u);
  BOOST_TEST(c.cookie.empty());

  // Removing takes a code (a recovery code does too); then the password alone signs in.
  auto d = browser();
  BOOST_REQUIRE(second(d, sign_in(d), recovery[1]).status == 200u);
  BOOST_TEST(d.call("DELETE", "/v1/me/totp", code_body("12345")).status == 400u);
  BOOST_REQUIRE(d.call("DELETE", "/v1/me/totp", code_body(recovery[2])).status == 204u);
  BOOST_TEST(!body_of(d.call("GET", "/v1/me/totp")).at("enrolled").as_bool());
  auto plain = browser();
  BOOST_TEST(plain.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "ada password 123")).status == 200u);
  BOOST_TEST(!plain.cookie.empty());

  // Audited: enrolment, each use and failure, the removal; the secret is in no entry, and the
  // database holds it only sealed.
  auto mine = actions(entries(d, "/v1/me/audit"));
  for (const char* act : {"second_factor_enrolment_started", "second_factor_enrolled", "second_factor_failed",
                          "second_factor_used", "recovery_code_used", "second_factor_removed"})
    BOOST_TEST(std::count(mine.begin(), mine.end(), act) >= 1, act);
  BOOST_TEST(std::count(mine.begin(), mine.end(), "second_factor_used") == 3);
  const auto rows = audit_rows();
  BOOST_TEST(rows.find(secret) == std::string::npos);
  for (const auto& rc : recovery) BOOST_TEST(rows.find(rc) == std::string::npos);
  BOOST_TEST(read_all(app.settings.store.path).find(secret) == std::string::npos);
  BOOST_TEST(read_all(app.settings.store.path + "-wal").find(secret) == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(wrong_codes_are_throttled_like_passwords, audit_fixture) {
  auto ada = user("ada@example.com", "ada password 123");
  auto a = session(ada);
  auto enrol = a.call("POST", "/v1/me/totp", "{}");
  BOOST_REQUIRE(enrol.status == 201u);
  const auto secret = str(body_of(enrol), "secret");
  BOOST_REQUIRE(a.call("POST", "/v1/me/totp/confirm", code_body(code_for(secret))).status == 200u);
  auto b = browser();
  auto r = b.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "ada password 123"));
  const auto challenge = str(body_of(r), "challenge");
  const auto good = code_for(secret, 30);
  const std::string bad = good == "000000" ? "111111" : "000000";
  unsigned last = 0;
  for (unsigned i = 0; i < app.settings.auth.signin_max_failures_per_account + 1 && last != 429u; ++i)
    last = b.call("POST", "/v1/auth/signin/second-factor",
                  json::serialize(json::object{{"challenge", challenge}, {"code", bad}}))
               .status;
  BOOST_TEST(last == 429u);
  // Even the right code waits now.
  auto right = b.call("POST", "/v1/auth/signin/second-factor",
                      json::serialize(json::object{{"challenge", challenge}, {"code", good}}));
  BOOST_TEST(right.status == 429u);
  BOOST_TEST(!right.header("retry-after").empty());
}

BOOST_FIXTURE_TEST_CASE(an_administrator_without_a_second_factor_may_only_enrol, audit_fixture) {
  user("root@example.com", "root password 123", "admin");
  auto a = browser();
  BOOST_REQUIRE(a.call("POST", "/v1/auth/signin", signin_body("root@example.com", "root password 123")).status == 200u);
  auto refused = a.call("GET", "/v1/admin/users");
  BOOST_TEST(refused.status == 403u);
  BOOST_TEST(str(body_of(refused), "code") == "second_factor_enrolment_required");
  BOOST_TEST(a.call("POST", "/v1/api-keys", R"({"name":"x"})").status == 403u);
  BOOST_TEST(a.call("GET", "/v1/me").status == 200u);
  BOOST_TEST(body_of(a.call("GET", "/v1/me/totp")).at("required").as_bool());
  auto enrol = a.call("POST", "/v1/me/totp", "{}");
  BOOST_REQUIRE(enrol.status == 201u);
  BOOST_REQUIRE(a.call("POST", "/v1/me/totp/confirm", code_body(code_for(str(body_of(enrol), "secret")))).status ==
                200u);
  // The same session may do everything now.
  BOOST_TEST(a.call("GET", "/v1/admin/users").status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
