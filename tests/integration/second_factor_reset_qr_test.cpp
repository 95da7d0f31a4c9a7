// A lost second factor (issue 20): an administrator resets a user's TOTP (DELETE
// /v1/admin/users/{id}/second-factor, signed in recently or with the password again), and the
// operator resets a locked-out administrator's with the real enfinitoctl run as a process. Both
// remove the factor and its recovery codes, sign the user out everywhere, mail the user (a real
// SMTP server) and leave one audit entry naming who did it. And the enrolment's QR code (GET
// /v1/me/totp/qr.svg): the SVG of exactly the enrolment's otpauth:// URI, no-store, to the
// enrolling session only and only until confirmed.
#include "support/daemon.hpp"
#include "support/http_client.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"
#include "support/web_client.hpp"

#include <enfinito/accounts/qr_svg.hpp>
#include <enfinito/accounts/totp.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

namespace {

namespace json = boost::json;
namespace totp = enfinito::accounts::totp;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

const std::string reset_subject = "Subject: The second factor of your Enfinito account was removed";

json::object body_of(const http_result& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  return ec || !v.is_object() ? json::object() : v.as_object();
}
std::string str(const json::object& o, std::string_view k) {
  return o.contains(k) && o.at(k).is_string() ? std::string(o.at(k).as_string()) : std::string();
}

// A browser (cookie, Origin, JSON) or a program (API key).
using client = web_client;

std::string code_for(const std::string& secret) {
  auto key = totp::from_base32(secret);
  BOOST_REQUIRE(key.has_value());
  return totp::code_text(totp::code_at(*key, core::wall_ms()));
}

struct rig {
  temp_dir smtp_dir;
  smtp_server smtp{smtp_dir.path()};
  bool smtp_up = smtp.start();
  running_app app{[this](config::settings& s) {
    use_test_smtp(s, smtp.port());
    s.auth.admin_second_factor = true;
  }};

  store::store& db() { return app.get().database(); }

  // An active user with a password and an API key.
  tenant user(const std::string& email, const std::string& password, const std::string& role = "user") {
    tenant_options o;
    o.role = role;
    auto t = make_tenant(db(), email, o);
    const auto hash = auth::hash_password(password);
    BOOST_REQUIRE(
        !db().write_sync([&](store::connection& c) { return store::accounts::set_password_hash(c, t.user_id, hash); }));
    return t;
  }
  client session(const tenant& t) {
    auto s = make_session(db(), t.user_id);
    return client{app.port(), api::session_cookie_name(app.settings) + "=" + s.token};
  }
  // Enrols and confirms TOTP on `c`'s session; returns the base32 secret.
  std::string enrol(client& c) {
    auto e = c.call("POST", "/v1/me/totp");
    BOOST_REQUIRE_MESSAGE(e.status == 201u, e.body);
    const auto secret = str(body_of(e), "secret");
    auto ok = c.call("POST", "/v1/me/totp/confirm", json::serialize(json::object{{"code", code_for(secret)}}));
    BOOST_REQUIRE_MESSAGE(ok.status == 200u, ok.body);
    return secret;
  }
  std::int64_t scalar(const std::string& sql) { return db_scalar(db(), sql); }
  // Mails with the reset's subject to `to` that the SMTP server received.
  std::size_t reset_mails(const std::string& to) {
    std::size_t n = 0;
    for (const auto& m : smtp.messages())
      if (m.find(reset_subject) != std::string::npos && m.find(to) != std::string::npos) ++n;
    return n;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(second_factor_reset)

BOOST_AUTO_TEST_CASE(an_administrator_resets_a_users_lost_second_factor) {
  rig r;
  BOOST_REQUIRE(r.smtp_up);
  const std::string admin_password = "admin password 1234", bob_password = "bob password 1234";
  auto admin = r.user("admin@example.com", admin_password, "admin");
  auto bob = r.user("bob@example.com", bob_password);
  auto a = r.session(admin);
  r.enrol(a);  // administrators need one to act at all
  auto b = r.session(bob);
  auto b2 = r.session(bob);
  r.enrol(b);
  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = '" + bob.user_id + "'") == 10);
  const std::string path = "/v1/admin/users/" + bob.user_id + "/second-factor";

  // Who may: administrators, signed in (not an API key), not on themselves.
  BOOST_TEST(b.call("DELETE", path).status == 403u);
  client admin_key{r.app.port(), {}, admin.key};
  auto by_key = admin_key.call("DELETE", path);
  BOOST_TEST(by_key.status == 403u);
  BOOST_TEST(str(body_of(by_key), "code") == "session_required");
  BOOST_TEST(a.call("DELETE", "/v1/admin/users/" + admin.user_id + "/second-factor").status == 409u);
  BOOST_TEST(a.call("DELETE", "/v1/admin/users/usr_doesnotexist0/second-factor").status == 404u);

  // Signed in long ago: the administrator's password again, checked.
  BOOST_REQUIRE(!r.db().write_sync([&](store::connection& c) {
    return c.exec("UPDATE sessions SET created_at = created_at - 3600 WHERE user_id = '" + admin.user_id + "'");
  }));
  auto bare = a.call("DELETE", path);
  BOOST_TEST(bare.status == 400u, bare.body);
  BOOST_TEST(str(body_of(bare), "field") == "password");
  auto wrong = a.call("DELETE", path, R"({"password": "not it at all"})");
  BOOST_TEST(wrong.status == 400u);
  BOOST_TEST(str(body_of(wrong), "code") == "wrong_password");
  BOOST_TEST(a.call("DELETE", path, R"({"password": "x", "other": 1})").status == 400u);
  BOOST_TEST(b.call("GET", "/v1/me").status == 200u);  // nothing happened yet
  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM user_totp WHERE user_id = '" + bob.user_id + "'") == 1);

  auto done = a.call("DELETE", path, json::serialize(json::object{{"password", admin_password}}));
  BOOST_REQUIRE_MESSAGE(done.status == 204u, done.body);

  // Bob is signed out everywhere; the factor and its recovery codes are gone.
  BOOST_TEST(b.call("GET", "/v1/me").status == 401u);
  BOOST_TEST(b2.call("GET", "/v1/me").status == 401u);
  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM sessions WHERE user_id = '" + bob.user_id + "'") == 0);
  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM user_totp WHERE user_id = '" + bob.user_id + "'") == 0);
  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = '" + bob.user_id + "'") == 0);
  BOOST_TEST(a.call("GET", "/v1/me").status == 200u);  // the administrator's own session stays
  // His password alone signs him in again (no challenge), and he may enrol anew.
  client again{r.app.port()};
  auto in = again.call("POST", "/v1/auth/signin", signin_body("bob@example.com", bob_password));
  BOOST_TEST(in.status == 200u, in.body);
  BOOST_TEST(!body_of(in).contains("second_factor_required"));
  BOOST_TEST(body_of(again.call("GET", "/v1/me/totp")).at("enrolled").as_bool() == false);

  // Audited once, naming the administrator; mailed to bob through the outbox.
  auto log = body_of(a.call("GET", "/v1/admin/audit?action=second_factor_reset"));
  BOOST_REQUIRE_EQUAL(log.at("data").as_array().size(), 1u);
  const auto& entry = log.at("data").as_array()[0].as_object();
  BOOST_TEST(str(entry, "actor_user_id") == admin.user_id);
  BOOST_TEST(str(entry, "subject_user_id") == bob.user_id);
  BOOST_TEST(entry.at("detail").at("by").as_string() == "administrator");
  BOOST_TEST(wait_until([&] { return r.reset_mails("bob@example.com") == 1; }, 20s));

  // Nothing left to reset.
  auto twice = a.call("DELETE", path, json::serialize(json::object{{"password", admin_password}}));
  BOOST_TEST(twice.status == 409u);
  BOOST_TEST(str(body_of(twice), "code") == "second_factor_not_enrolled");
  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor_reset'") == 1);
}

BOOST_AUTO_TEST_CASE(the_operator_resets_a_locked_out_administrators_factor_with_enfinitoctl) {
  rig r;
  BOOST_REQUIRE(r.smtp_up);
  const std::string password = "admin password 5678";
  auto admin = r.user("lost@example.com", password, "admin");
  auto a = r.session(admin);
  r.enrol(a);

  // enfinitoctl next to the running daemon, with the daemon's vault key (the mail is sealed).
  const auto toml = (r.app.dir() / "reset.toml").string();
  std::ofstream(toml) << "[store]\npath = \"" << r.app.settings.store.path << "\"\n[secrets]\ndir = \""
                      << r.app.settings.secrets_dir << "\"\n";
  auto ctl = [&](std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv{ENFINITOCTL_PATH, "--config", toml};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, out);
  };
  std::string out;
  BOOST_TEST(ctl({"reset-second-factor", "not-an-email"}, &out) == 2);
  BOOST_TEST(ctl({"reset-second-factor"}, &out) == 2);
  BOOST_TEST(ctl({"reset-second-factor", "nobody@example.com"}, &out) == 1);
  BOOST_TEST(out.find("no account") != std::string::npos, out);
  BOOST_TEST(a.call("GET", "/v1/admin/users").status == 200u);  // untouched so far

  BOOST_TEST_REQUIRE(ctl({"reset-second-factor", "LOST@example.com"}, &out) == 0, out);
  BOOST_TEST(out.find(admin.user_id) != std::string::npos, out);

  BOOST_TEST(a.call("GET", "/v1/admin/users").status == 401u);  // signed out
  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM user_totp WHERE user_id = '" + admin.user_id + "'") == 0);
  // The password signs in again; as an administrator without a factor, only to enrol one.
  client again{r.app.port()};
  auto in = again.call("POST", "/v1/auth/signin", signin_body("lost@example.com", password));
  BOOST_TEST(in.status == 200u, in.body);
  auto restricted = again.call("GET", "/v1/admin/users");
  BOOST_TEST(restricted.status == 403u);
  BOOST_TEST(str(body_of(restricted), "code") == "second_factor_enrolment_required");
  r.enrol(again);
  BOOST_TEST(again.call("GET", "/v1/admin/users").status == 200u);

  BOOST_TEST(r.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor_reset' AND detail = "
                      "'by=enfinitoctl' AND actor_id IS NULL AND subject_id = '" +
                      admin.user_id + "'") == 1);
  BOOST_TEST(wait_until([&] { return r.reset_mails("lost@example.com") == 1; }, 20s));
  // The new factor is there: a second run resets it again; with none, it says so.
  BOOST_TEST(ctl({"reset-second-factor", "lost@example.com"}, &out) == 0, out);
  BOOST_TEST(ctl({"reset-second-factor", "lost@example.com"}, &out) == 1);
  BOOST_TEST(out.find("no second factor") != std::string::npos, out);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(totp_qr)

BOOST_AUTO_TEST_CASE(the_qr_code_goes_only_to_the_enrolling_session_until_confirmed) {
  rig r;
  auto alice = r.user("alice@example.com", "alice password 1234");
  auto bob = r.user("bob@example.com", "bob password 1234");
  auto a1 = r.session(alice);
  auto a2 = r.session(alice);
  auto b = r.session(bob);
  const std::string qr = "/v1/me/totp/qr.svg";

  auto none = a1.call("GET", qr);
  BOOST_TEST(none.status == 404u);
  BOOST_TEST(none.header("Cache-Control") == "no-store");

  auto e = a1.call("POST", "/v1/me/totp");
  BOOST_REQUIRE_EQUAL(e.status, 201u);
  const auto uri = str(body_of(e), "otpauth_uri");
  const auto secret = str(body_of(e), "secret");
  auto img = a1.call("GET", qr);
  BOOST_REQUIRE_EQUAL(img.status, 200u);
  BOOST_TEST(img.header("Content-Type") == "image/svg+xml");
  BOOST_TEST(img.header("Cache-Control") == "no-store");
  BOOST_TEST(img.header("X-Content-Type-Options") == "nosniff");
  BOOST_TEST(img.body.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  BOOST_TEST(img.body.ends_with("</svg>\n"));
  // Exactly the symbol of the URI the enrolment answered (the secret in it): nothing else.
  auto expected = accounts::qr_encode(uri);
  BOOST_REQUIRE(expected.has_value());
  BOOST_TEST(img.body == accounts::qr_svg(*expected));

  // Not another session of hers, not another user, not an API key, not anonymously.
  BOOST_TEST(a2.call("GET", qr).status == 404u);
  BOOST_TEST(b.call("GET", qr).status == 404u);
  client key{r.app.port(), {}, alice.key};
  BOOST_TEST(key.call("GET", qr).status == 403u);
  client anon{r.app.port()};
  BOOST_TEST(anon.call("GET", qr).status == 401u);

  // Enrolment begun again on another session: the QR code moves there, with the new secret.
  auto e2 = a2.call("POST", "/v1/me/totp");
  BOOST_REQUIRE_EQUAL(e2.status, 201u);
  const auto uri2 = str(body_of(e2), "otpauth_uri");
  BOOST_TEST(uri2 != uri);
  BOOST_TEST(a1.call("GET", qr).status == 404u);
  auto img2 = a2.call("GET", qr);
  BOOST_REQUIRE_EQUAL(img2.status, 200u);
  BOOST_TEST(img2.body == accounts::qr_svg(*accounts::qr_encode(uri2)));

  // Confirmed: never again, not even to the session that enrolled.
  auto ok = a2.call("POST", "/v1/me/totp/confirm",
                    json::serialize(json::object{{"code", code_for(str(body_of(e2), "secret"))}}));
  BOOST_REQUIRE_EQUAL(ok.status, 200u);
  BOOST_TEST(a2.call("GET", qr).status == 404u);
  BOOST_TEST(a1.call("GET", qr).status == 404u);
  BOOST_TEST(secret != str(body_of(e2), "secret"));
}

BOOST_AUTO_TEST_SUITE_END()
