// Accounts end to end against the real daemon, a real database file, a real SMTP server
// (aiosmtpd) and the real enfinitoctl: sign-up and approval, sessions and CSRF, throttling,
// API keys and their invalidation on every reactor, password reset, suspension, export and
// deletion (P4, P6, P7, P8).
#include "support/daemon.hpp"
#include "support/raw_client.hpp"
#include "support/smtp_server.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"
#include "support/web_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <enfinito/crypto/hash.hpp>

#include <sodium.h>
#include <sqlite3.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

namespace {

// Every Set-Cookie name any accounts test saw (P6: only the session cookie, ever).
std::set<std::string>& seen_cookies() {
  static std::set<std::string> s;
  return s;
}

void record_cookies(const raw_response& r) {
  auto all = r.header("set-cookie");
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto end = all.find(", ", pos);
    auto one = all.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    seen_cookies().insert(one.substr(0, one.find('=')));
    if (end == std::string::npos) break;
    pos = end + 2;
  }
}

boost::json::value body_json(const raw_response& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  return ec ? boost::json::value() : v;
}

std::string str(const boost::json::value& v, std::string_view key) {
  if (!v.is_object() || !v.as_object().contains(key) || !v.at(key).is_string()) return {};
  return std::string(v.at(key).as_string());
}

// A browser-like client: keeps the session cookie, sends Origin and JSON like the web app.
struct client {
  unsigned short port;
  std::string origin = "http://127.0.0.1:8080";  // the default server.public_url
  std::string cookie;                            // "name=value"
  std::string bearer;

  raw_response call(const std::string& method, const std::string& target, const std::string& body = {},
                    std::map<std::string, std::string> headers = {}) {
    if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    if (!origin.empty() && !headers.count("Origin")) headers["Origin"] = origin;
    if (!cookie.empty()) headers["Cookie"] = cookie;
    if (!bearer.empty()) headers["Authorization"] = "Bearer " + bearer;
    auto r = http_call(port, method, target, body, headers);
    record_cookies(r);
    keep_cookie(cookie, r.header("set-cookie"));
    return r;
  }
};

// Writes a TOML for enfinitoctl pointing at the test daemon's database.
std::string ctl_config(const running_app& app) {
  auto path = (app.dir() / "ctl.toml").string();
  std::ofstream(path) << "[store]\npath = \"" << app.settings.store.path << "\"\n";
  return path;
}

int ctl(const running_app& app, const std::string& args, const std::string& stdin_text, std::string* out = nullptr) {
  std::string cmd =
      "printf '%s\\n' '" + stdin_text + "' | " + ENFINITOCTL_PATH + " --config " + ctl_config(app) + " " + args;
  return run_program({"/bin/sh", "-c", cmd}, out);
}

const std::string admin_email = "admin@example.com";
const std::string admin_password = "correct horse battery staple";

// Creates the first administrator with enfinitoctl and signs in.
client admin_client(running_app& app) {
  std::string out;
  BOOST_REQUIRE_MESSAGE(ctl(app, "create-admin --email " + admin_email + " --name Admin", admin_password, &out) == 0,
                        out);
  client a{app.port()};
  auto r = a.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password));
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  return a;
}

// Signs up `email`, approves it as `admin`, signs in; returns the user's client and id.
std::pair<client, std::string> active_user(running_app& app, client& admin, const std::string& email,
                                           const std::string& password = "user password 123") {
  client u{app.port()};
  auto r = u.call("POST", "/v1/auth/signup", signup_body("User", email, password));
  BOOST_REQUIRE(r.status == 202);
  auto list = admin.call("GET", "/v1/admin/users?status=pending");
  BOOST_REQUIRE(list.status == 200);
  std::string id;
  auto doc = body_json(list);
  for (auto& v : doc.at("users").as_array())
    if (str(v, "email") == email) id = str(v, "id");
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(admin.call("POST", "/v1/admin/users/" + id + "/approve", "{}").status == 200);
  auto s = u.call("POST", "/v1/auth/signin", signin_body(email, password));
  BOOST_REQUIRE_MESSAGE(s.status == 200, s.body);
  return {u, id};
}

// Opens the test daemon's database read-write (WAL lets us next to the daemon).
struct raw_db {
  sqlite3* db = nullptr;
  explicit raw_db(const std::string& path) {
    sqlite3_open(path.c_str(), &db);
    sqlite3_busy_timeout(db, 5000);
  }
  ~raw_db() { sqlite3_close(db); }
  std::int64_t scalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    std::int64_t v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  }
  bool exec(const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    std::vector<std::string> out;
    while (st && sqlite3_step(st) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    return out;
  }
};

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every table: no row mentions the user's id or email (what a deletion must leave).
void expect_no_row_mentions(raw_db& db, const std::string& uid, const std::string& email) {
  auto tables = db.column("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  BOOST_TEST(tables.size() >= 7u);
  for (const auto& t : tables) {
    auto cols = db.column("SELECT name FROM pragma_table_info('" + t + "')");
    for (const auto& needle : {uid, email}) {
      std::string sql = "SELECT COUNT(*) FROM \"" + t + "\" WHERE 0";
      for (const auto& col : cols) sql += " OR instr(CAST(\"" + col + "\" AS TEXT), '" + needle + "') > 0";
      BOOST_TEST_CONTEXT(t << " " << needle) { BOOST_TEST(db.scalar(sql) == 0); }
    }
  }
}

// Signs up `email` and returns its id, still pending.
std::string pending_user(client& admin, unsigned short port, const std::string& email, const std::string& password) {
  client u{port};
  BOOST_REQUIRE(u.call("POST", "/v1/auth/signup", signup_body("User", email, password)).status == 202);
  auto doc = body_json(admin.call("GET", "/v1/admin/users?status=pending"));
  for (auto& v : doc.at("users").as_array())
    if (str(v, "email") == email) return str(v, "id");
  return {};
}

// The token of the newest data-rights link for `action` mailed to `to`, waiting for the real
// SMTP server to receive it (empty after 20 s).
std::string mailed_link(const smtp_server& smtp, const std::string& to, const std::string& action) {
  const std::regex link("data-rights#action=" + action + "&token=([A-Za-z0-9_-]+)");
  std::string token;
  wait_until(
      [&] {
        auto mails = smtp.messages();
        for (auto it = mails.rbegin(); it != mails.rend(); ++it) {
          std::smatch m;
          if (it->find(to) != std::string::npos && std::regex_search(*it, m, link)) {
            token = m[1];
            return true;
          }
        }
        return false;
      },
      20s, 50ms);
  return token;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(accounts)

BOOST_AUTO_TEST_CASE(no_default_account_and_ctl_bootstraps_the_admin) {
  running_app app;
  client a{app.port()};
  BOOST_TEST(a.call("POST", "/v1/auth/signin", signin_body("admin@localhost.localdomain", "admin")).status == 401);
  BOOST_TEST(a.call("GET", "/v1/admin/users").status == 401);
  std::string out;
  BOOST_TEST(ctl(app, "create-admin --email " + admin_email + " --name Admin", "short", &out) == 2);
  BOOST_TEST(ctl(app, "create-admin --email not-an-email --name Admin", admin_password, &out) == 2);
  auto admin = admin_client(app);
  BOOST_TEST(ctl(app, "create-admin --email " + admin_email + " --name Again", admin_password, &out) == 1);
  auto me = admin.call("GET", "/v1/me");
  BOOST_TEST(me.status == 200);
  BOOST_TEST(str(body_json(me), "role") == "admin");
  BOOST_TEST(str(body_json(me), "id").starts_with("usr_"));
}

BOOST_AUTO_TEST_CASE(signup_approval_mail_signin_and_signout) {
  temp_dir smtp_dir;
  smtp_server smtp(smtp_dir.path());
  BOOST_REQUIRE(smtp.start());
  running_app app([&](config::settings& s) { use_test_smtp(s, smtp.port()); });
  auto admin = admin_client(app);
  client u{app.port()};
  auto r = u.call("POST", "/v1/auth/signup", signup_body("Ada Lovelace", "Ada@Example.com", "analytical engine"));
  BOOST_TEST(r.status == 202);
  BOOST_TEST(u.cookie.empty());
  // Pending: the right password learns it is pending, no session.
  auto p = u.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "analytical engine"));
  BOOST_TEST(p.status == 403);
  BOOST_TEST(str(body_json(p), "code") == "account_not_active");
  BOOST_TEST(u.cookie.empty());
  // Users are not admins.
  auto list = admin.call("GET", "/v1/admin/users?status=pending");
  BOOST_REQUIRE(list.status == 200);
  auto users = body_json(list).at("users").as_array();
  BOOST_REQUIRE(users.size() == 1u);
  auto id = str(users[0], "id");
  BOOST_TEST(admin.call("POST", "/v1/admin/users/" + id + "/approve", "{}").status == 200);
  BOOST_TEST(admin.call("POST", "/v1/admin/users/" + id + "/approve", "{}").status == 409);
  BOOST_TEST(admin.call("POST", "/v1/admin/users/usr_nope/approve", "{}").status == 404);
  // The approval mail: to the user, with the sign-in URL, and nothing else about them (P7).
  auto mails = smtp.wait_for(1);
  BOOST_REQUIRE(mails.size() == 1u);
  BOOST_TEST(mails[0].find("To: ada@example.com") != std::string::npos);
  BOOST_TEST(mails[0].find("From: noreply@enfinito.example") != std::string::npos);
  BOOST_TEST(mails[0].find("http://127.0.0.1:8080/") != std::string::npos);
  BOOST_TEST(mails[0].find("Ada Lovelace") == std::string::npos);
  BOOST_TEST(mails[0].find(id) == std::string::npos);
  // Sign in: the cookie's attributes.
  auto s = u.call("POST", "/v1/auth/signin", signin_body("ada@example.com", "analytical engine"));
  BOOST_REQUIRE(s.status == 200);
  auto sc = s.header("set-cookie");
  BOOST_TEST(sc.starts_with("enfinito_session="));
  BOOST_TEST(sc.find("HttpOnly") != std::string::npos);
  BOOST_TEST(sc.find("SameSite=Lax") != std::string::npos);
  BOOST_TEST(sc.find("Path=/") != std::string::npos);
  BOOST_TEST(sc.find("Secure") == std::string::npos);  // plain HTTP here; TLS adds Secure and __Host-
  auto token = u.cookie.substr(u.cookie.find('=') + 1);
  BOOST_TEST(token.size() >= 22u);  // >= 128 bits in base64url
  BOOST_TEST(u.call("GET", "/v1/me").status == 200);
  BOOST_TEST(u.call("GET", "/v1/admin/users").status == 403);
  // The database holds only the token's hash.
  raw_db db(app.settings.store.path);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = '" + token + "'") == 0);
  // Sign-out deletes the session on the server: the old cookie is dead.
  auto old = u.cookie;
  auto out = u.call("POST", "/v1/auth/signout", "{}");
  BOOST_TEST(out.status == 204);
  BOOST_TEST(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  u.cookie = old;
  BOOST_TEST(u.call("GET", "/v1/me").status == 401);
}

BOOST_AUTO_TEST_CASE(same_answer_whether_or_not_the_email_exists) {
  running_app app;
  client c{app.port()};
  auto first = c.call("POST", "/v1/auth/signup", signup_body("A", "someone@example.com", "password one"));
  auto again = c.call("POST", "/v1/auth/signup", signup_body("B", "someone@example.com", "password two"));
  BOOST_TEST(first.status == again.status);
  BOOST_TEST(first.body == again.body);
  auto known = c.call("POST", "/v1/auth/password/forgot", R"({"email":"someone@example.com"})");
  auto unknown = c.call("POST", "/v1/auth/password/forgot", R"({"email":"nobody@example.com"})");
  BOOST_TEST(known.status == 202);
  BOOST_TEST(known.status == unknown.status);
  BOOST_TEST(known.body == unknown.body);
  // Sign-in: unknown email and wrong password give the same answer, in about the same time
  // (both run one Argon2id verification).
  auto time = [&](const std::string& email) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = c.call("POST", "/v1/auth/signin", signin_body(email, "wrong password"));
    return std::make_pair(r, std::chrono::steady_clock::now() - t0);
  };
  auto [a, ta] = time("someone@example.com");
  auto [b, tb] = time("nobody@example.com");
  BOOST_TEST(a.status == 401);
  BOOST_TEST(a.status == b.status);
  BOOST_TEST(a.body == b.body);
  BOOST_TEST((tb > ta / 3));  // no fast path for an unknown address
  BOOST_TEST((ta > tb / 3));
}

BOOST_AUTO_TEST_CASE(cookie_requests_are_csrf_checked) {
  running_app app;
  auto admin = admin_client(app);
  // Reads need no Origin.
  auto no_origin = admin;
  no_origin.origin.clear();
  BOOST_TEST(no_origin.call("GET", "/v1/me").status == 200);
  // Unsafe methods: JSON content type and our own Origin.
  BOOST_TEST(no_origin.call("PATCH", "/v1/me", R"({"name":"X"})").status == 403);
  auto evil = admin;
  evil.origin = "https://evil.example";
  auto r = evil.call("PATCH", "/v1/me", R"({"name":"X"})");
  BOOST_TEST(r.status == 403);
  BOOST_TEST(str(body_json(r), "code") == "csrf_rejected");
  BOOST_TEST(admin.call("PATCH", "/v1/me", R"({"name":"X"})", {{"Content-Type", "text/plain"}}).status == 403);
  BOOST_TEST(admin.call("PATCH", "/v1/me", R"({"name":"X"})", {{"Sec-Fetch-Site", "cross-site"}}).status == 403);
  auto ok = admin.call("PATCH", "/v1/me", R"({"name":"New Name"})", {{"Sec-Fetch-Site", "same-origin"}});
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(str(body_json(ok), "name") == "New Name");
  // A file upload from the dashboard is multipart: allowed only when the browser itself marks
  // the request same-origin (past the CSRF check, the made-up instance is a 404).
  const std::string upload = "/v1/instances/ins_AAAAAAAAAAAAAAAAAAAAAA/media";
  const std::string form =
      "--b\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n--b--\r\n";
  const std::pair<std::string, std::string> multipart{"Content-Type", "multipart/form-data; boundary=b"};
  auto plain = admin.call("POST", upload, form, {multipart});
  BOOST_TEST(plain.status == 403);
  BOOST_TEST(str(body_json(plain), "code") == "csrf_rejected");
  BOOST_TEST(admin.call("POST", upload, form, {multipart, {"Sec-Fetch-Site", "cross-site"}}).status == 403);
  BOOST_TEST(evil.call("POST", upload, form, {multipart, {"Sec-Fetch-Site", "same-origin"}}).status == 403);
  auto same = admin.call("POST", upload, form, {multipart, {"Sec-Fetch-Site", "same-origin"}});
  BOOST_TEST(same.status == 404);
}

BOOST_AUTO_TEST_CASE(failed_signins_are_throttled_per_account_without_locking_out_others) {
  running_app app([](config::settings& s) { s.auth.signin_max_failures_per_account = 5; });
  auto admin = admin_client(app);
  client c{app.port()};
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(c.call("POST", "/v1/auth/signin", signin_body(admin_email, "wrong password")).status == 401);
  // Past the limit even the right password waits (no oracle), with Retry-After.
  auto r = c.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password));
  BOOST_TEST(r.status == 429);
  BOOST_TEST(!r.header("retry-after").empty());
  BOOST_TEST(std::stoi(r.header("retry-after")) <= 900);
  // Another account from the same address is not affected.
  BOOST_TEST(c.call("POST", "/v1/auth/signin", signin_body("other@example.com", "x wrong x")).status == 401);
  // The audit log recorded the failures, from where, and no password.
  raw_db db(app.settings.store.path);
  BOOST_TEST(
      db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'signin_failed' AND client_address = '127.0.0.1'") >= 5);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%wrong password%'") == 0);
}

BOOST_AUTO_TEST_CASE(api_keys_are_shown_once_hashed_limited_and_revoked_on_every_reactor) {
  running_app app;
  auto admin = admin_client(app);
  auto [u, uid] = active_user(app, admin, "keys@example.com");
  auto created = u.call("POST", "/v1/api-keys", R"({"name":"ci"})");
  BOOST_REQUIRE(created.status == 201);
  auto key = str(body_json(created), "key");
  auto key_id = str(body_json(created), "id");
  BOOST_TEST(key.starts_with("enf_live_"));
  BOOST_TEST(key.size() >= 9u + 43u);  // 256 bits after the prefix
  BOOST_TEST(key_id.starts_with("key_"));
  // Listed without the key or its hash.
  auto list = u.call("GET", "/v1/api-keys");
  BOOST_TEST(list.body.find(key) == std::string::npos);
  BOOST_TEST(list.body.find("hash") == std::string::npos);
  BOOST_TEST(list.body.find(key.substr(0, 16)) != std::string::npos);  // the prefix
  raw_db db(app.settings.store.path);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM api_keys WHERE instr(key_hash, '" + key + "') > 0 OR prefix = '" + key +
                       "'") == 0);
  // Bearer works; query string never does.
  client k{app.port(), ""};
  k.bearer = key;
  BOOST_TEST(k.call("GET", "/v1/me").status == 200);
  client q{app.port(), ""};
  BOOST_TEST(q.call("GET", "/v1/me?access_token=" + key).status == 401);
  BOOST_TEST(q.call("GET", "/v1/me?api_key=" + key).status == 401);
  // Keys cannot manage keys (a leaked key cannot mint more).
  BOOST_TEST(k.call("POST", "/v1/api-keys", R"({"name":"more"})").status == 403);
  // A key may be limited only to the caller's own instances.
  auto [other, oid] = active_user(app, admin, "other@example.com");
  for (auto [id, owner] : {std::pair{"ins_theirs", oid}, std::pair{"ins_mine", uid}})
    BOOST_REQUIRE(
        db.exec("INSERT INTO instances(id, user_id, name, phone_number_id_enc, waba_id_enc, "
                "access_token_enc, app_secret_enc, app_id_enc, verify_token_enc, phone_number_lookup, "
                "token_last4, created_at, updated_at) VALUES('" +
                std::string(id) + "', '" + owner + "', 'n', x'00', x'00', x'00', x'00', x'00', x'00', '" + id +
                "', '0000', 0, 0)"));
  for (auto bad : {R"(["ins_theirs"])", R"(["ins_mine","ins_nowhere"])"}) {
    auto refused = u.call("POST", "/v1/api-keys", std::string(R"({"name":"x","instance_ids":)") + bad + "}");
    BOOST_TEST(refused.status == 400);
    BOOST_TEST(str(body_json(refused), "code") == "unknown_instance");
    BOOST_TEST(str(body_json(refused), "field") == "instance_ids");
  }
  // Read-only keys read but do not write.
  auto ro = u.call("POST", "/v1/api-keys", R"({"name":"ro","read_only":true,"instance_ids":["ins_mine"]})");
  BOOST_REQUIRE(ro.status == 201);
  client r{app.port(), ""};
  r.bearer = str(body_json(ro), "key");
  BOOST_TEST(r.call("GET", "/v1/me").status == 200);
  BOOST_TEST(r.call("POST", "/v1/auth/signout", "{}").status == 403);
  auto w = r.call("PATCH", "/v1/me", R"({"name":"X"})");
  BOOST_TEST(w.status == 403);
  BOOST_TEST(str(body_json(w), "code") == "read_only_key");
  // Cross-tenant: another user cannot revoke it, and learns nothing.
  auto x = other.call("DELETE", "/v1/api-keys/" + key_id);
  BOOST_TEST(x.status == 404);
  BOOST_TEST(str(body_json(x), "code") == "api_key_not_found");
  // Warm the cache on every reactor (each connection lands on some reactor), then revoke:
  // the very next request on every reactor fails.
  for (int i = 0; i < 16; ++i) BOOST_TEST(k.call("GET", "/v1/me").status == 200);
  BOOST_TEST(u.call("DELETE", "/v1/api-keys/" + key_id).status == 204);
  for (int i = 0; i < 16; ++i) BOOST_TEST(k.call("GET", "/v1/me").status == 401);
  BOOST_TEST(u.call("DELETE", "/v1/api-keys/" + key_id).status == 404);
}

BOOST_AUTO_TEST_CASE(suspension_ends_sessions_and_keys_at_once_and_reinstating_restores_keys) {
  running_app app;
  auto admin = admin_client(app);
  auto [u, uid] = active_user(app, admin, "sus@example.com");
  auto key = str(body_json(u.call("POST", "/v1/api-keys", R"({"name":"k"})")), "key");
  client k{app.port(), ""};
  k.bearer = key;
  for (int i = 0; i < 8; ++i) BOOST_TEST(k.call("GET", "/v1/me").status == 200);
  BOOST_TEST(admin.call("POST", "/v1/admin/users/" + uid + "/suspend", "{}").status == 200);
  for (int i = 0; i < 8; ++i) BOOST_TEST(k.call("GET", "/v1/me").status == 401);
  BOOST_TEST(u.call("GET", "/v1/me").status == 401);
  BOOST_TEST(u.call("POST", "/v1/auth/signin", signin_body("sus@example.com", "user password 123")).status == 403);
  BOOST_TEST(admin.call("POST", "/v1/admin/users/" + uid + "/reinstate", "{}").status == 200);
  BOOST_TEST(k.call("GET", "/v1/me").status == 200);
  // Reject applies to pending users only.
  BOOST_TEST(admin.call("POST", "/v1/admin/users/" + uid + "/reject", "{}").status == 409);
  raw_db db(app.settings.store.path);
  BOOST_TEST(
      db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'user_suspended' AND subject_id = '" + uid + "'") == 1);
}

BOOST_AUTO_TEST_CASE(password_reset_link_is_single_use_and_ends_every_session) {
  temp_dir smtp_dir;
  smtp_server smtp(smtp_dir.path());
  BOOST_REQUIRE(smtp.start());
  running_app app([&](config::settings& s) {
    use_test_smtp(s, smtp.port());
    s.server.public_url = "https://enfinito.example.com";
  });
  client admin{app.port(), "https://enfinito.example.com"};
  {
    std::string out;
    BOOST_REQUIRE(ctl(app, "create-admin --email " + admin_email + " --name Admin", admin_password, &out) == 0);
    BOOST_REQUIRE(admin.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password)).status == 200);
  }
  auto old_cookie = admin.cookie;
  client c{app.port(), "https://enfinito.example.com"};
  BOOST_TEST(c.call("POST", "/v1/auth/password/forgot", R"({"email":"admin@example.com"})",
                    {{"X-Forwarded-Host", "attacker.example"}})
                 .status == 202);
  auto mails = smtp.wait_for(1);
  BOOST_REQUIRE(mails.size() == 1u);
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(
      mails[0], m, std::regex("https://enfinito\\.example\\.com/reset-password#token=([A-Za-z0-9_-]+)")));
  BOOST_TEST(mails[0].find("attacker") == std::string::npos);
  std::string token = m[1];
  raw_db db(app.settings.store.path);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM password_resets WHERE token_hash = '" + token + "'") == 0);  // hashed
  BOOST_TEST(c.call("POST", "/v1/auth/password/reset", R"({"token":")" + token + R"(","password":"short"})").status ==
             400);
  auto done =
      c.call("POST", "/v1/auth/password/reset", R"({"token":")" + token + R"(","password":"a brand new password"})");
  BOOST_TEST(done.status == 204);
  auto again =
      c.call("POST", "/v1/auth/password/reset", R"({"token":")" + token + R"(","password":"another new password"})");
  BOOST_TEST(again.status == 400);
  BOOST_TEST(str(body_json(again), "field") == "token");
  admin.cookie = old_cookie;
  BOOST_TEST(admin.call("GET", "/v1/me").status == 401);  // every session ended
  BOOST_TEST(c.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password)).status == 401);
  BOOST_TEST(c.call("POST", "/v1/auth/signin", signin_body(admin_email, "a brand new password")).status == 200);
}

BOOST_AUTO_TEST_CASE(changing_the_password_ends_the_other_sessions) {
  running_app app;
  auto a = admin_client(app);
  client b{app.port()};
  BOOST_REQUIRE(b.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password)).status == 200);
  auto wrong =
      a.call("POST", "/v1/me/password", R"({"current_password":"nope nope","new_password":"the next password"})");
  BOOST_TEST(wrong.status == 400);
  BOOST_TEST(str(body_json(wrong), "field") == "current_password");
  auto r = a.call("POST", "/v1/me/password",
                  boost::json::serialize(boost::json::object{{"current_password", admin_password},
                                                             {"new_password", "the next password"}}));
  BOOST_TEST(r.status == 204);
  BOOST_TEST(a.call("GET", "/v1/me").status == 200);
  BOOST_TEST(b.call("GET", "/v1/me").status == 401);
  // An email change needs the current password.
  auto e = a.call("PATCH", "/v1/me", R"({"email":"new@example.com"})");
  BOOST_TEST(e.status == 400);
  BOOST_TEST(str(body_json(e), "field") == "current_password");
  auto e2 = a.call("PATCH", "/v1/me", R"({"email":"new@example.com","current_password":"the next password"})");
  BOOST_TEST(e2.status == 200);
  BOOST_TEST(str(body_json(e2), "email") == "new@example.com");
}

BOOST_AUTO_TEST_CASE(mail_survives_an_smtp_outage_and_is_retried) {
  auto port = free_port();
  temp_dir dir;
  running_app app([&](config::settings& s) { use_test_smtp(s, port); });
  client c{app.port()};
  c.call("POST", "/v1/auth/signup", signup_body("Bob", "bob@example.com", "bob password"));
  auto admin = admin_client(app);
  auto list = admin.call("GET", "/v1/admin/users?status=pending");
  auto id = str(body_json(list).at("users").as_array()[0], "id");
  BOOST_REQUIRE(admin.call("POST", "/v1/admin/users/" + id + "/approve", "{}").status == 200);  // did not wait on SMTP
  raw_db db(app.settings.store.path);
  wait_until([&] { return db.scalar("SELECT MAX(attempts) FROM mail_outbox") >= 2; }, 10s);
  BOOST_TEST(db.scalar("SELECT MAX(attempts) FROM mail_outbox") >= 2);  // tried, failed, kept
  smtp_server smtp(dir.path(), port);
  BOOST_REQUIRE(smtp.start());
  auto mails = smtp.wait_for(1);
  BOOST_REQUIRE(mails.size() == 1u);
  BOOST_TEST(mails[0].find("To: bob@example.com") != std::string::npos);
  wait_until([&] { return db.scalar("SELECT COUNT(*) FROM mail_outbox") == 0; }, 5s);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM mail_outbox") == 0);  // sent mail is not kept
}

BOOST_AUTO_TEST_CASE(a_mail_the_server_refuses_for_good_is_dead_lettered_not_retried_forever) {
  temp_dir dir;
  smtp_server smtp(dir.path());
  BOOST_REQUIRE(smtp.start());
  running_app app([&](config::settings& s) { use_test_smtp(s, smtp.port()); });
  client c{app.port()};
  // The test server answers 550 at RCPT for addresses starting with "bounce".
  c.call("POST", "/v1/auth/signup", signup_body("Bo", "bounce@example.com", "bob password"));
  c.call("POST", "/v1/auth/signup", signup_body("Al", "al@example.com", "al password"));
  auto admin = admin_client(app);
  auto list = body_json(admin.call("GET", "/v1/admin/users?status=pending")).at("users").as_array();
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  std::string bounce_id;
  for (auto& u : list) {
    BOOST_REQUIRE(admin.call("POST", "/v1/admin/users/" + str(u, "id") + "/approve", "{}").status == 200);
    if (str(u, "email") == "bounce@example.com") bounce_id = str(u, "id");
  }
  auto mails = smtp.wait_for(1);
  BOOST_REQUIRE_EQUAL(mails.size(), 1u);
  BOOST_TEST(mails[0].find("To: al@example.com") != std::string::npos);
  raw_db db(app.settings.store.path);
  wait_until([&] { return db.scalar("SELECT COUNT(*) FROM mail_outbox") == 0; }, 10s);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM mail_outbox") == 0);  // refused once, not retried
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'mail_undeliverable' AND subject_id = '" +
                       bounce_id + "' AND detail LIKE '%550%'") == 1);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_naming_the_field) {
  running_app app;
  client c{app.port()};
  struct tcase {
    std::string target, body, field;
  };
  std::vector<tcase> cases = {
      {"/v1/auth/signup", R"({"name":"A","email":"not-an-email","password":"long enough"})", "email"},
      {"/v1/auth/signup", R"({"name":"A","email":"a@b","password":"long enough"})", "email"},
      {"/v1/auth/signup", R"({"name":"A","email":"a@example.com\r\nBcc: x@y.z","password":"long enough"})", "email"},
      {"/v1/auth/signup", R"({"name":"A","email":"a,b@example.com","password":"long enough"})", "email"},
      {"/v1/auth/signup",
       R"({"name":")" + std::string(101, 'n') + R"(","email":"a@example.com","password":"long enough"})", "name"},
      {"/v1/auth/signup", R"({"name":"","email":"a@example.com","password":"long enough"})", "name"},
      {"/v1/auth/signup", R"({"name":"A\nB","email":"a@example.com","password":"long enough"})", "name"},
      {"/v1/auth/signup", R"({"email":"a@example.com","password":"long enough"})", "name"},
      {"/v1/auth/signup", R"({"name":42,"email":"a@example.com","password":"long enough"})", "name"},
      {"/v1/auth/signup", R"({"name":"A","email":"a@example.com","password":"short"})", "password"},
      {"/v1/auth/signup", R"({"name":"A","email":"a@example.com","password":")" + std::string(1025, 'p') + R"("})",
       "password"},
      {"/v1/auth/signup", R"({"name":"A","email":"a@example.com","password":"long enough","role":"admin"})", "role"},
      {"/v1/auth/signin", R"({"email":"a@example.com"})", "password"},
      {"/v1/auth/signin", R"({"email":["a@example.com"],"password":"x"})", "email"},
      {"/v1/auth/password/forgot", R"({"email":null})", "email"},
      {"/v1/auth/password/reset", R"({"token":"","password":"long enough"})", "token"},
      {"/v1/auth/signup", R"([1,2])", "body"},
      // The minimum age (16) is confirmed, not assumed: absent, false or not a boolean.
      {"/v1/auth/signup", R"({"name":"A","email":"a@example.com","password":"long enough"})", "age_confirmed"},
      {"/v1/auth/signup", R"({"name":"A","email":"a@example.com","password":"long enough","age_confirmed":false})",
       "age_confirmed"},
      {"/v1/auth/signup", R"({"name":"A","email":"a@example.com","password":"long enough","age_confirmed":"yes"})",
       "age_confirmed"},
  };
  for (const auto& t : cases) {
    BOOST_TEST_CONTEXT(t.target << " " << t.body.substr(0, 80)) {
      auto r = c.call("POST", t.target, t.body);
      BOOST_TEST(r.status == 400);
      BOOST_TEST(r.header("content-type") == "application/problem+json");
      BOOST_TEST(str(body_json(r), "field") == t.field);
    }
  }
  // 64 characters and multi-byte passwords are fine, counted as characters.
  BOOST_TEST(
      c.call("POST", "/v1/auth/signup", signup_body("Émile", "emile@example.com", std::string(64, 'x'))).status == 202);
  BOOST_TEST(c.call("POST", "/v1/auth/signup", signup_body("Zoë", "zoe@example.com", "ääääääää")).status == 202);
  // Not UTF-8, not JSON, wrong content type.
  auto bad = c.call("POST", "/v1/auth/signup",
                    std::string("{\"name\":\"\xff\xfe\",\"email\":\"x@example.com\",\"password\":\"long enough\"}"));
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(c.call("POST", "/v1/auth/signup", "{not json").status == 400);
  BOOST_TEST(c.call("POST", "/v1/auth/signup", signup_body("A", "a@example.com", "long enough"),
                    {{"Content-Type", "text/plain"}})
                     .status /
                 100 ==
             4);
  // Admin list: bad status filter.
  auto admin = admin_client(app);
  auto r = admin.call("GET", "/v1/admin/users?status=everyone");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(str(body_json(r), "field") == "status");
  auto k = admin.call("POST", "/v1/api-keys", R"({"name":"k","instance_ids":"ins_1"})");
  BOOST_TEST(str(body_json(k), "field") == "instance_ids");
  auto k2 = admin.call("POST", "/v1/api-keys", R"({"name":"k","read_only":"yes"})");
  BOOST_TEST(str(body_json(k2), "field") == "read_only");
}

BOOST_AUTO_TEST_CASE(export_holds_the_users_data_without_secrets) {
  running_app app;
  auto admin = admin_client(app);
  auto [u, uid] = active_user(app, admin, "exp@example.com");
  auto key = str(body_json(u.call("POST", "/v1/api-keys", R"({"name":"exported"})")), "key");
  auto r = u.call("GET", "/v1/me/export");
  BOOST_REQUIRE(r.status == 200);
  auto doc = body_json(r);
  BOOST_TEST(str(doc.at("profile"), "email") == "exp@example.com");
  BOOST_TEST(doc.at("api_keys").as_array().size() == 1u);
  BOOST_TEST(doc.at("sessions").as_array().size() == 1u);
  BOOST_TEST(doc.at("audit_log").as_array().size() >= 3u);  // signup, approval, sign-in, key
  BOOST_TEST(r.body.find(key) == std::string::npos);
  BOOST_TEST(r.body.find("$argon2") == std::string::npos);
  BOOST_TEST(r.body.find("hash") == std::string::npos);
  BOOST_TEST(r.body.find("admin@example.com") == std::string::npos);  // nobody else's data
}

BOOST_AUTO_TEST_CASE(export_streams_a_large_account_page_by_page) {
  running_app app;
  auto admin = admin_client(app);
  auto [u, uid] = active_user(app, admin, "big@example.com");
  raw_db db(app.settings.store.path);
  // 12,345 audit entries: many pages of 500, and more than the old in-memory cap of 10,000.
  BOOST_REQUIRE(
      db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12345) "
              "INSERT INTO audit_log(subject_id, actor_id, action, detail, client_address, created_at) "
              "SELECT '" +
              uid + "', '" + uid + "', 'bulk', 'row ' || i, '127.0.0.1', 0 FROM n"));
  // Two instances with 700 messages each: the message stream crosses pages and instances.
  for (std::string ins : {"ins_big1", "ins_big2"}) {
    BOOST_REQUIRE(
        db.exec("INSERT INTO instances(id, user_id, name, phone_number_id_enc, waba_id_enc, "
                "access_token_enc, app_secret_enc, app_id_enc, verify_token_enc, phone_number_lookup, "
                "token_last4, created_at, updated_at) VALUES('" +
                ins + "', '" + uid + "', 'n', x'00', x'00', x'00', x'00', x'00', x'00', '" + ins + "', '0000', 0, 0)"));
    BOOST_REQUIRE(
        db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700) "
                "INSERT INTO messages(id, instance_id, direction, peer, type, body, status, created_at, "
                "updated_at) SELECT 'msg_" +
                ins + "_' || i, '" + ins +
                "', 'inbound', '1555', 'text', "
                "'{}', 'received', i, i FROM n"));
  }
  const auto expected = db.scalar("SELECT COUNT(*) FROM audit_log WHERE subject_id = '" + uid + "'");
  auto r = u.call("GET", "/v1/me/export");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.header("transfer-encoding") == "chunked");
  auto doc = body_json(r);  // one well-formed document
  const auto& audit = doc.at("audit_log").as_array();
  BOOST_TEST(static_cast<std::int64_t>(audit.size()) == expected);
  BOOST_TEST(str(audit.back(), "detail") == "row 12345");  // oldest first, nothing skipped at page edges
  std::set<std::string> details;
  for (const auto& e : audit)
    if (str(e, "action") == "bulk") details.insert(std::string(e.at("detail").as_string()));
  BOOST_TEST(details.size() == 12345u);  // and nothing repeated
  const auto& messages = doc.at("messages").as_array();
  BOOST_TEST(messages.size() == 1400u);
  std::set<std::string> ids;
  for (const auto& m : messages) ids.insert(std::string(m.at("id").as_string()));
  BOOST_TEST(ids.size() == 1400u);
  BOOST_TEST(str(messages.front(), "id") == "msg_ins_big1_700");  // instance by instance, newest first
  BOOST_TEST(str(messages.back(), "id") == "msg_ins_big2_1");
  BOOST_TEST(doc.at("exported_at").is_string());
  BOOST_TEST(str(doc.at("profile"), "email") == "big@example.com");
}

BOOST_AUTO_TEST_CASE(deleting_the_account_removes_everything_and_leaves_no_plaintext) {
  temp_dir smtp_dir;
  smtp_server smtp(smtp_dir.path());  // never started: the reset mail stays queued, then goes with the user
  running_app app([&](config::settings& s) { use_test_smtp(s, smtp.port()); });
  auto admin = admin_client(app);
  const std::string email = "delete.me.unique@example.org";
  auto [u, uid] = active_user(app, admin, email, "deletable password");
  BOOST_REQUIRE(u.call("POST", "/v1/api-keys", R"({"name":"gone"})").status == 201);
  auto key = str(body_json(u.call("POST", "/v1/api-keys", R"({"name":"gone too"})")), "key");
  client other{app.port()};
  BOOST_REQUIRE(other.call("POST", "/v1/auth/password/forgot", R"({"email":")" + email + R"("})").status == 202);
  client second{app.port()};
  BOOST_REQUIRE(second.call("POST", "/v1/auth/signin", signin_body(email, "deletable password")).status == 200);
  // A stale session needs the password; a wrong one is refused.
  auto wrong = u.call("DELETE", "/v1/me", R"({"password":"not it at all"})");
  BOOST_TEST(wrong.status == 400);
  auto r = u.call("DELETE", "/v1/me", R"({"password":"deletable password"})");
  BOOST_TEST(r.status == 204);
  BOOST_TEST(second.call("GET", "/v1/me").status == 401);
  client k{app.port(), ""};
  k.bearer = key;
  BOOST_TEST(k.call("GET", "/v1/me").status == 401);
  raw_db db(app.settings.store.path);
  expect_no_row_mentions(db, uid, email);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account_deleted'") == 1);
  // And the file keeps no copy (secure_delete; the WAL checkpointed first).
  int rc = SQLITE_BUSY;
  wait_until(
      [&] {
        int log = 0, ckpt = 0;
        rc = sqlite3_wal_checkpoint_v2(db.db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt);
        return rc == SQLITE_OK;
      },
      2s);
  BOOST_TEST(rc == SQLITE_OK);
  auto bytes = file_bytes(app.settings.store.path) + file_bytes(app.settings.store.path + "-wal");
  BOOST_TEST(bytes.find(email) == std::string::npos);
  BOOST_TEST(bytes.find(uid) == std::string::npos);
  BOOST_TEST(bytes.find("admin@example.com") != std::string::npos);  // the check can see emails
}

BOOST_AUTO_TEST_CASE(pending_rejected_and_suspended_users_export_and_delete_by_mailed_link) {
  temp_dir smtp_dir;
  smtp_server smtp(smtp_dir.path());
  BOOST_REQUIRE(smtp.start());
  running_app app([&](config::settings& s) { use_test_smtp(s, smtp.port()); });
  auto admin = admin_client(app);
  const std::string password = "data rights password";
  const std::string pending = "rights.pending@example.org", rejected = "rights.rejected@example.org",
                    suspended = "rights.suspended@example.org";
  std::map<std::string, std::string> ids;
  ids[pending] = pending_user(admin, app.port(), pending, password);
  ids[rejected] = pending_user(admin, app.port(), rejected, password);
  BOOST_REQUIRE(admin.call("POST", "/v1/admin/users/" + ids[rejected] + "/reject", "{}").status == 200);
  ids[suspended] = active_user(app, admin, suspended, password).second;
  BOOST_REQUIRE(admin.call("POST", "/v1/admin/users/" + ids[suspended] + "/suspend", "{}").status == 200);
  raw_db db(app.settings.store.path);
  for (const auto& [email, uid] : ids) {
    BOOST_TEST_CONTEXT(email) {
      BOOST_REQUIRE(!uid.empty());
      client c{app.port()};
      BOOST_TEST(c.call("POST", "/v1/auth/signin", signin_body(email, password)).status ==
                 403);  // still cannot sign in
      auto asked = c.call("POST", "/v1/auth/data-rights", R"({"email":")" + email + R"(","action":"export"})");
      BOOST_TEST(asked.status == 202);
      auto token = mailed_link(smtp, email, "export");
      BOOST_REQUIRE(!token.empty());
      BOOST_TEST(db.scalar("SELECT COUNT(*) FROM data_links WHERE token_hash = '" + token + "'") == 0);  // hashed
      BOOST_TEST(c.call("POST", "/v1/auth/data-rights/delete", R"({"token":")" + token + R"("})").status == 400);
      auto exported = c.call("POST", "/v1/auth/data-rights/export", R"({"token":")" + token + R"("})");
      BOOST_REQUIRE(exported.status == 200);
      auto doc = body_json(exported);
      BOOST_TEST(str(doc.at("profile"), "email") == email);
      BOOST_TEST(str(doc.at("profile"), "id") == uid);
      BOOST_TEST(doc.at("audit_log").as_array().size() >= 2u);
      BOOST_TEST(exported.body.find("$argon2") == std::string::npos);
      BOOST_TEST(exported.body.find(admin_email) == std::string::npos);  // nobody else's data
      // Single use.
      BOOST_TEST(c.call("POST", "/v1/auth/data-rights/export", R"({"token":")" + token + R"("})").status == 400);

      BOOST_TEST(c.call("POST", "/v1/auth/data-rights", R"({"email":")" + email + R"(","action":"delete"})").status ==
                 202);
      auto del = mailed_link(smtp, email, "delete");
      BOOST_REQUIRE(!del.empty());
      // A deletion link does not export (and stays usable for what it was made for).
      BOOST_TEST(c.call("POST", "/v1/auth/data-rights/export", R"({"token":")" + del + R"("})").status == 400);
      BOOST_TEST(c.call("POST", "/v1/auth/data-rights/delete", R"({"token":")" + del + R"("})").status == 204);
      BOOST_TEST(c.call("POST", "/v1/auth/data-rights/delete", R"({"token":")" + del + R"("})").status == 400);
      expect_no_row_mentions(db, uid, email);
    }
  }
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account_deleted'") == 3);
  // An unknown address gets the same answer and no mail; bad input names its field.
  client c{app.port()};
  BOOST_TEST(c.call("POST", "/v1/auth/data-rights", R"({"email":"nobody@example.org","action":"export"})").status ==
             202);
  auto bad = c.call("POST", "/v1/auth/data-rights", R"({"email":"nobody@example.org","action":"print"})");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(str(body_json(bad), "field") == "action");
  BOOST_TEST(c.call("POST", "/v1/auth/data-rights/export", R"({"token":"not-a-token"})").status == 400);
}

BOOST_AUTO_TEST_CASE(data_right_links_are_limited_per_email) {
  running_app app;
  client c{app.port()};
  int accepted = 0, limited = 0;
  for (int i = 0; i < 8; ++i) {
    auto r = c.call("POST", "/v1/auth/data-rights", R"({"email":"flood@example.org","action":"delete"})");
    if (r.status == 202) ++accepted;
    if (r.status == 429) {
      ++limited;
      BOOST_TEST(!r.header("retry-after").empty());
    }
  }
  BOOST_TEST(accepted == 5);
  BOOST_TEST(limited == 3);
}

BOOST_AUTO_TEST_CASE(an_administrator_deletes_a_user_with_the_same_cascade) {
  running_app app;
  auto admin = admin_client(app);
  const std::string email = "admin.deletes.me@example.org";
  auto [u, uid] = active_user(app, admin, email);
  auto key = str(body_json(u.call("POST", "/v1/api-keys", R"({"name":"gone"})")), "key");
  client k{app.port(), ""};
  k.bearer = key;
  BOOST_TEST(k.call("GET", "/v1/me").status == 200);  // cached on a reactor now
  auto me = body_json(admin.call("GET", "/v1/me"));
  BOOST_TEST(admin.call("DELETE", "/v1/admin/users/" + str(me, "id")).status == 409);  // not themselves
  BOOST_TEST(admin.call("DELETE", "/v1/admin/users/usr_doesnotexist").status == 404);
  BOOST_TEST(u.call("DELETE", "/v1/admin/users/" + str(me, "id")).status == 403);  // administrators only
  BOOST_TEST(admin.call("DELETE", "/v1/admin/users/" + uid).status == 204);
  BOOST_TEST(admin.call("DELETE", "/v1/admin/users/" + uid).status == 404);
  for (int i = 0; i < 8; ++i) BOOST_TEST(k.call("GET", "/v1/me").status == 401);
  BOOST_TEST(u.call("GET", "/v1/me").status == 401);
  raw_db db(app.settings.store.path);
  expect_no_row_mentions(db, uid, email);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account_deleted' AND actor_id = '" +
                       str(me, "id") + "' AND detail = 'by=administrator'") == 1);
}

BOOST_AUTO_TEST_CASE(ctl_delete_user_runs_the_same_cascade) {
  running_app app;
  auto admin = admin_client(app);
  const std::string email = "ctl.deletes.me@example.org";
  auto uid = pending_user(admin, app.port(), email, "ctl delete password");
  BOOST_REQUIRE(!uid.empty());
  std::string out;
  BOOST_CHECK_MESSAGE(ctl(app, "delete-user " + email, "", &out) == 0, out);
  BOOST_TEST(ctl(app, "delete-user " + email, "", &out) == 1);  // gone
  BOOST_TEST(ctl(app, "delete-user not-an-email", "", &out) == 2);
  raw_db db(app.settings.store.path);
  expect_no_row_mentions(db, uid, email);
  BOOST_TEST(
      db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account_deleted' AND detail = 'by=enfinitoctl'") == 1);
}

BOOST_AUTO_TEST_CASE(sign_ups_never_approved_or_rejected_are_purged_after_the_retention) {
  running_app app([](config::settings& s) {
    s.retention.interval = 100ms;
    s.retention.rejected_accounts = 24h;  // retention.rejected_days = 1
  });
  auto admin = admin_client(app);
  const std::string password = "retention password";
  const std::string old_pending = "old.pending@example.org", new_pending = "new.pending@example.org",
                    old_rejected = "old.rejected@example.org", new_rejected = "new.rejected@example.org";
  std::map<std::string, std::string> ids;
  for (const auto& e : {old_pending, new_pending, old_rejected, new_rejected}) {
    ids[e] = pending_user(admin, app.port(), e, password);
    BOOST_REQUIRE(!ids[e].empty());
  }
  for (const auto& e : {old_rejected, new_rejected})
    BOOST_REQUIRE(admin.call("POST", "/v1/admin/users/" + ids[e] + "/reject", "{}").status == 200);
  // Something that hangs off the account: a data-rights link and its queued mail.
  client c{app.port()};
  BOOST_REQUIRE(
      c.call("POST", "/v1/auth/data-rights", R"({"email":")" + old_pending + R"(","action":"export"})").status == 202);
  raw_db db(app.settings.store.path);
  const auto back = [&](const std::string& e, const std::string& column, int days) {
    BOOST_REQUIRE(db.exec("UPDATE users SET " + column + " = " + column + " - " + std::to_string(days * 86400) +
                          " WHERE id = '" + ids[e] + "'"));
  };
  back(old_pending, "created_at", 2);
  back(old_rejected, "created_at", 3);
  back(old_rejected, "updated_at", 2);
  back(new_rejected, "created_at", 30);  // waited long, rejected just now: counts from the rejection
  wait_until([&] { return db.scalar("SELECT COUNT(*) FROM users") == 3; }, 5s);
  std::this_thread::sleep_for(300ms);                        // a few more ticks: the others must survive them
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM users") == 3);  // the administrator and the two recent ones
  expect_no_row_mentions(db, ids[old_pending], old_pending);
  expect_no_row_mentions(db, ids[old_rejected], old_rejected);
  for (const auto& e : {new_pending, new_rejected})
    BOOST_TEST(db.scalar("SELECT COUNT(*) FROM users WHERE id = '" + ids[e] + "'") == 1, e);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account_deleted' "
                       "AND detail = 'by=retention status=pending'") == 1);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account_deleted' "
                       "AND detail = 'by=retention status=rejected'") == 1);
}

BOOST_AUTO_TEST_CASE(notify_users_mails_each_active_user_once_even_when_run_twice) {
  temp_dir smtp_dir;
  smtp_server smtp(smtp_dir.path());
  BOOST_REQUIRE(smtp.start());
  running_app app([&](config::settings& s) { use_test_smtp(s, smtp.port()); });
  auto admin = admin_client(app);
  active_user(app, admin, "notice.one@example.org");
  active_user(app, admin, "notice.two@example.org");
  const auto waiting = pending_user(admin, app.port(), "notice.pending@example.org", "pending password");
  BOOST_REQUIRE(!waiting.empty());
  // enfinitoctl next to the running daemon, with the daemon's vault key (mails are sealed).
  const auto toml = (app.dir() / "notify.toml").string();
  std::ofstream(toml) << "[store]\npath = \"" << app.settings.store.path << "\"\n[secrets]\ndir = \""
                      << app.settings.secrets_dir << "\"\n";
  const auto body_file = (app.dir() / "notice.txt").string();
  std::ofstream(body_file) << "Hello,\n\nour privacy policy changes on 1 February: see https://example.org/privacy.\n";
  const auto notify = [&](std::string* out) {
    return run_program({ENFINITOCTL_PATH, "--config", toml, "notify-users", "--subject", "Privacy policy update",
                        "--body-file", body_file, "--per-second", "2"},
                       out);
  };
  std::string out;
  BOOST_TEST_REQUIRE(notify(&out) == 0, out);  // 3 active users: a batch of 2, a second later 1
  BOOST_TEST(out.find("3 mails queued now") != std::string::npos, out);
  BOOST_TEST_REQUIRE(notify(&out) == 0, out);  // the same notice again: nobody twice
  BOOST_TEST(out.find("0 mails queued now, 3 users have it") != std::string::npos, out);
  const auto notices = [&] {
    std::map<std::string, int> by_recipient;
    for (const auto& m : smtp.messages()) {
      if (m.find("Subject: Privacy policy update") == std::string::npos) continue;
      std::smatch to;
      if (std::regex_search(m, to, std::regex("\nTo: *<?([^>\r\n]+)"))) ++by_recipient[to[1]];
    }
    return by_recipient;
  };
  wait_until([&] { return notices().size() >= 3; }, 20s);
  std::this_thread::sleep_for(500ms);  // a late duplicate would arrive meanwhile
  const std::map<std::string, int> once{{admin_email, 1}, {"notice.one@example.org", 1}, {"notice.two@example.org", 1}};
  BOOST_TEST((notices() == once));  // not the pending user, nobody twice
  raw_db db(app.settings.store.path);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM notices_sent") == 3);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'notice_queued'") == 1);
  // Bad input: no subject, a subject that would inject a header, a missing body file.
  std::vector<std::string> base{ENFINITOCTL_PATH, "--config", toml, "notify-users"};
  auto with = [&](std::vector<std::string> extra) {
    auto v = base;
    v.insert(v.end(), extra.begin(), extra.end());
    return run_program(v, &out);
  };
  BOOST_TEST(with({"--body-file", body_file}) == 2);
  BOOST_TEST(with({"--subject", "a\r\nBcc: x@example.org", "--body-file", body_file}) == 2);
  BOOST_TEST(with({"--subject", "S", "--body-file", (app.dir() / "missing.txt").string()}) == 1);
}

BOOST_AUTO_TEST_CASE(sessions_end_after_the_idle_and_the_absolute_timeout) {
  running_app app;
  auto a = admin_client(app);
  client b{app.port()};
  BOOST_REQUIRE(b.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password)).status == 200);
  BOOST_TEST(a.call("GET", "/v1/me").status == 200);
  BOOST_TEST(b.call("GET", "/v1/me").status == 200);
  raw_db db(app.settings.store.path);
  auto hash_of = [&](const client& c) { return crypto::sha256_hex(c.cookie.substr(c.cookie.find('=') + 1)); };
  // a: unused for longer than the idle timeout; b: past its absolute expiry though just used.
  auto idle = app.settings.auth.session_idle_timeout_s;
  sqlite3_exec(db.db,
               ("UPDATE sessions SET last_seen_at = last_seen_at - " + std::to_string(idle + 5) +
                " WHERE token_hash = '" + hash_of(a) + "'")
                   .c_str(),
               nullptr, nullptr, nullptr);
  sqlite3_exec(
      db.db,
      ("UPDATE sessions SET expires_at = strftime('%s','now') - 1 WHERE token_hash = '" + hash_of(b) + "'").c_str(),
      nullptr, nullptr, nullptr);
  BOOST_TEST(a.call("GET", "/v1/me").status == 401);
  BOOST_TEST(b.call("GET", "/v1/me").status == 401);
}

BOOST_AUTO_TEST_CASE(housekeeping_sweeps_expired_rows_nobody_presents_again) {
  running_app app([](config::settings& s) { s.store.housekeeping_interval = 100ms; });
  auto a = admin_client(app);
  client b{app.port()};
  BOOST_REQUIRE(b.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password)).status == 200);
  raw_db db(app.settings.store.path);
  BOOST_REQUIRE(db.scalar("SELECT COUNT(*) FROM sessions") == 2);
  auto uid = db.column("SELECT id FROM users")[0];
  // One session past its absolute expiry, one still live; a spent reset token and flow.
  BOOST_REQUIRE(db.exec("UPDATE sessions SET expires_at = 1 WHERE rowid = (SELECT MIN(rowid) FROM sessions)"));
  BOOST_REQUIRE(db.exec("INSERT INTO password_resets VALUES('h1', '" + uid + "', 0, 1), ('h2', '" + uid +
                        "', 0, strftime('%s','now') + 600)"));
  BOOST_REQUIRE(
      db.exec("INSERT INTO google_flows(state_hash, sealed, purpose, created_at, expires_at) "
              "VALUES('s1', x'00', 'sign_in', 0, 1)"));
  wait_until([&] { return db.scalar("SELECT COUNT(*) FROM sessions") == 1; }, 5s);
  std::this_thread::sleep_for(300ms);  // a few more ticks: the live rows must survive them
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM sessions") == 1);
  BOOST_TEST(db.column("SELECT token_hash FROM password_resets") == std::vector<std::string>{"h2"});
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM google_flows") == 0);
  // The surviving session is the one that works.
  BOOST_TEST(a.call("GET", "/v1/me").status + b.call("GET", "/v1/me").status == 200u + 401u);
}

BOOST_AUTO_TEST_CASE(an_old_hash_is_upgraded_at_sign_in) {
  running_app app;
  auto a = admin_client(app);
  char weak[crypto_pwhash_STRBYTES];
  BOOST_REQUIRE(crypto_pwhash_str_alg(weak, admin_password.data(), admin_password.size(), 1, 8 * 1024 * 1024,
                                      crypto_pwhash_ALG_ARGON2ID13) == 0);
  raw_db db(app.settings.store.path);
  sqlite3_exec(db.db, ("UPDATE users SET password_hash = '" + std::string(weak) + "'").c_str(), nullptr, nullptr,
               nullptr);
  client b{app.port()};
  BOOST_REQUIRE(b.call("POST", "/v1/auth/signin", signin_body(admin_email, admin_password)).status == 200);
  auto stored = db.column("SELECT password_hash FROM users");
  BOOST_REQUIRE(stored.size() == 1u);
  BOOST_TEST(stored[0].starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

BOOST_AUTO_TEST_CASE(starttls_required_never_sends_in_clear) {
  temp_dir smtp_dir;
  smtp_server smtp(smtp_dir.path());  // plain SMTP, no STARTTLS on offer
  BOOST_REQUIRE(smtp.start());
  running_app app([&](config::settings& s) {
    use_test_smtp(s, smtp.port());
    s.smtp.starttls = "required";
  });
  client c{app.port()};
  auto admin = admin_client(app);
  BOOST_REQUIRE(c.call("POST", "/v1/auth/password/forgot", R"({"email":"admin@example.com"})").status == 202);
  raw_db db(app.settings.store.path);
  wait_until([&] { return db.scalar("SELECT MAX(attempts) FROM mail_outbox") >= 1; }, 10s);
  BOOST_TEST(db.scalar("SELECT MAX(attempts) FROM mail_outbox") >= 1);  // refused, kept for later
  BOOST_TEST(smtp.messages().empty());
}

BOOST_AUTO_TEST_CASE(dev_mode_writes_mails_as_files) {
  temp_dir mail_dir;
  running_app app([&](config::settings& s) {
    s.dev = true;
    s.smtp.dev_dir = (mail_dir / "mail").string();
    s.smtp.poll_interval = 50ms;
  });
  client c{app.port()};
  auto admin = admin_client(app);
  BOOST_REQUIRE(c.call("POST", "/v1/auth/password/forgot", R"({"email":"admin@example.com"})").status == 202);
  std::string text;
  wait_until(
      [&] {
        std::error_code ec;
        if (std::filesystem::exists(mail_dir / "mail", ec))
          for (const auto& e : std::filesystem::directory_iterator(mail_dir / "mail", ec))
            text = file_bytes(e.path().string());
        return !text.empty();
      },
      10s);
  BOOST_TEST(text.find("To: admin@example.com") != std::string::npos);
  BOOST_TEST(text.find("/reset-password#token=") != std::string::npos);
}

// Last in the suite: every Set-Cookie the accounts tests saw is the session cookie (P6).
BOOST_AUTO_TEST_CASE(only_the_session_cookie_is_ever_set) {
  {
    running_app app;
    auto admin = admin_client(app);
    admin.call("POST", "/v1/auth/signout", "{}");
  }
  BOOST_TEST(!seen_cookies().empty());
  for (const auto& name : seen_cookies()) BOOST_TEST_CONTEXT(name) {
      BOOST_TEST((name == "enfinito_session" || name == "__Host-enfinito_session"));
    }
}

BOOST_AUTO_TEST_SUITE_END()
