// Canary secrets end to end (issue 7): the real daemon binary at log level debug, a real SMTP
// server, the fake Graph API as Meta, and credentials planted with recognisable values:
// passwords (administrator, user, the password after a reset), an API key, session cookies, a
// password-reset token, a Meta access token, an app secret and a webhook verify token. The
// scenario walks sign-up, approval, sign-in, key creation, an instance, sends, inbound webhooks,
// the verify handshake, a password reset, the export and sign-out; then every log line, every
// response body (except the one that legitimately returns a secret once), every email (except
// the reset mail carrying its own token), the export, enfinitoctl's output and the database
// files (main file and WAL, also read while the reset token is valid) are searched for every
// canary: zero hits. Keys and tokens sent in query strings under many names and in a path
// never reach the log (issue 23).
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/http_client.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"
#include "support/web_client.hpp"

#include <enfinito/accounts/totp.hpp>
#include <enfinito/core/clock.hpp>
#include <fake_graph/core.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

constexpr const char* phone = "106540352290001";
constexpr const char* waba = "102290129390001";
constexpr const char* app_id = "1234567890123";
constexpr const char* meta_token = "EAAGcanaryE2EtokenZk2Lw9Xv4Rt6Yp1Mn3Bb8Cc0";
constexpr const char* app_secret = "canaryE2EappSECRET4d9c2b7e1f";
const std::string admin_password = "canary-admin-pw-Qz81x";
const std::string user_password = "canary-user-pw-Lk29v";
const std::string new_password = "canary-new-pw-Hy73m";

std::string fake_config() {
  return fake_graph::one_number_config(phone, waba, meta_token,
                                       {{"display_phone_number", "15550190001"}, {"verified_name", "Canary Shop"}},
                                       {{"knobs", json::object{{"window_mode", "off"}}}});
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A client that keeps its cookie and records every response body it saw.
struct client : web_client {
  client(std::uint16_t p, std::string* all) : web_client{.port = p, .seen = all} {}
};

// Every file of the database (main file, -wal, -shm) as it is now; `wal` set when a non-empty
// WAL was among them.
std::string database_files(const std::filesystem::path& dir, bool* wal) {
  std::string bytes;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.rfind("enfinito.db", 0) != 0) continue;
    auto content = read_all(e.path());
    if (wal && name.ends_with("-wal") && !content.empty()) *wal = true;
    bytes += content;
  }
  return bytes;
}

std::string token_of_cookie(const std::string& cookie) { return cookie.substr(cookie.find('=') + 1); }

// A request with no credentials at all (the key only in the query string).
void anon_call(unsigned short port, const std::string& target) {
  http_request("127.0.0.1", port, "GET", target, {}, {});
}

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::value& v, const char* k) { return std::string(v.as_object().at(k).as_string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(canary_secrets)

BOOST_AUTO_TEST_CASE(planted_credentials_appear_in_no_log_response_mail_export_or_database) {
  temp_dir dir, smtp_dir;
  smtp_server smtp(smtp_dir.path());
  BOOST_REQUIRE(smtp.start());
  fake_meta meta(fake_config());
  const auto db_path = (dir / "enfinito.db").string();
  const std::string toml = process_toml(
      db_path, meta.base_url(),
      "[log]\nlevel = \"debug\"\n"
      "[queue]\nbackoff_base_ms = 50\nbackoff_max_ms = 500\nsweep_interval_ms = 200\n"
      "[smtp]\nhost = \"127.0.0.1\"\nport = " +
          std::to_string(smtp.port()) +
          "\nfrom = \"noreply@enfinito.example\"\nstarttls = \"off\"\nretry_base_ms = 200\nretry_max_ms = 400\n"
          "poll_interval_ms = 50\ntimeout_ms = 3000\n");
  daemon_process d(dir.path(), toml);
  BOOST_REQUIRE_MESSAGE(d.start(), d.log());
  std::string seen, legit, tool_output;
  bool wal_seen = false;

  // The first administrator, by enfinitoctl (the password on stdin).
  const std::string cfg = (dir / "enfinitod.toml").string();
  const std::string cred_env = "CREDENTIALS_DIRECTORY=" + (dir / "credentials").string();
  {
    std::string out;
    const std::string cmd = "printf '%s\\n' '" + admin_password + "' | " + ENFINITOCTL_PATH + " --config " + cfg +
                            " create-admin --email admin@example.com --name Admin";
    BOOST_REQUIRE_MESSAGE(run_program({"/bin/sh", "-c", cmd}, &out, {cred_env}) == 0, out);
    tool_output += out;
  }
  client admin{d.port(), &seen};
  BOOST_REQUIRE(admin
                    .call("POST", "/v1/auth/signin",
                          json::serialize(json::object{{"email", "admin@example.com"}, {"password", admin_password}}))
                    .status == 200u);
  const std::string admin_cookie = admin.cookie;
  // Administrators must enrol a second factor first: its secret is a canary too (shown once,
  // in the enrolment answer, kept out of `seen`).
  auto enrolled = admin.call("POST", "/v1/me/totp", "{}", false);
  BOOST_REQUIRE_MESSAGE(enrolled.status == 201u, enrolled.body);
  const std::string totp_secret = str(body_of(enrolled), "secret");
  legit += enrolled.body;
  const auto totp_key = accounts::totp::from_base32(totp_secret);
  BOOST_REQUIRE(totp_key.has_value());
  const auto totp_code = accounts::totp::code_text(accounts::totp::code_at(*totp_key, core::wall_ms()));
  BOOST_REQUIRE(admin.call("POST", "/v1/me/totp/confirm", R"({"code":")" + totp_code + R"("})", false).status == 200u);

  // A user signs up, is approved, signs in.
  client user{d.port(), &seen};
  BOOST_REQUIRE(user.call("POST", "/v1/auth/signup", signup_body("Carol", "carol@example.com", user_password)).status ==
                202u);
  auto pending = admin.call("GET", "/v1/admin/users?status=pending");
  std::string user_id;
  const auto pending_doc = body_of(pending);
  for (const auto& u : pending_doc.at("users").as_array())
    if (str(u, "email") == "carol@example.com") user_id = str(u, "id");
  BOOST_REQUIRE(!user_id.empty());
  BOOST_REQUIRE(admin.call("POST", "/v1/admin/users/" + user_id + "/approve", "{}").status == 200u);
  BOOST_REQUIRE(user.call("POST", "/v1/auth/signin",
                          json::serialize(json::object{{"email", "carol@example.com"}, {"password", user_password}}))
                    .status == 200u);
  const std::string user_cookie = user.cookie;
  BOOST_REQUIRE(!user_cookie.empty());

  // An API key: its one legitimate appearance is the creation answer (kept out of `seen`).
  auto created = user.call("POST", "/v1/api-keys", R"({"name":"canary key"})", false);
  BOOST_REQUIRE_MESSAGE(created.status == 201u, created.body);
  legit += created.body;
  const std::string api_key = str(body_of(created), "key");
  client keyed{d.port(), &seen};
  keyed.bearer = api_key;

  // An instance with the Meta token and app secret; the verify token comes back in its views.
  auto inst = keyed.call("POST", "/v1/instances",
                         json::serialize(json::object{{"name", "Shop"},
                                                      {"phone_number_id", phone},
                                                      {"waba_id", waba},
                                                      {"access_token", meta_token},
                                                      {"app_secret", app_secret},
                                                      {"app_id", app_id}}));
  BOOST_REQUIRE_MESSAGE(inst.status == 201u, inst.body);
  const std::string instance = str(body_of(inst), "id");
  const std::string verify_token = str(body_of(inst).at("webhook"), "verify_token");
  BOOST_REQUIRE_EQUAL(meta.admin_status("numbers", {{"id", phone},
                                                    {"callback_url", "http://127.0.0.1:" + std::to_string(d.port()) +
                                                                         "/webhooks/meta/" + instance},
                                                    {"app_secret", app_secret},
                                                    {"verify_token", verify_token}}),
                      200u);
  // Meta's subscription handshake (the verify token travels in the query string).
  BOOST_TEST(meta.admin_status("verify", {{"phone_number_id", phone}}) == 200u);

  // Messages out through the queue, and in through signed webhooks.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = keyed.call("POST", "/v1/instances/" + instance + "/messages",
                        json::serialize(json::object{{"to", "1555777000" + std::to_string(i)},
                                                     {"type", "text"},
                                                     {"text", json::object{{"body", "hello " + std::to_string(i)}}}}));
    BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
    ids.push_back(str(body_of(r), "id"));
  }
  for (int i = 0; i < 2; ++i)
    BOOST_REQUIRE_EQUAL(meta.admin_status("inbound", {{"phone_number_id", phone}, {"type", "text"}}), 200u);
  BOOST_TEST(wait_until([&] {
    auto r = keyed.call("GET", "/v1/events", {}, false);
    return r.body.find("message.received") != std::string::npos;
  }));
  for (const auto& id : ids) keyed.call("GET", "/v1/messages/" + id);
  keyed.call("GET", "/v1/instances/" + instance + "/messages");
  keyed.call("GET", "/v1/events");
  keyed.call("GET", "/v1/instances");
  user.call("GET", "/v1/api-keys");
  user.call("GET", "/v1/me");
  admin.call("GET", "/v1/admin/users");
  // A wrong secret and a wrong password are refused without echoing what was sent.
  client stranger{d.port(), &seen};
  stranger.call("POST", "/v1/auth/signin",
                json::serialize(json::object{{"email", "carol@example.com"}, {"password", user_password + "x"}}));
  stranger.bearer = api_key + "x";
  stranger.call("GET", "/v1/me");
  // Keys and tokens put in the query string (or the path) by mistake, under any name: logged
  // at debug level with the request, they must come out redacted (issue 23).
  for (const char* name : {"api_key", "apikey", "auth", "bearer", "key", "token", "access_token", "x", "limit"})
    keyed.call("GET", std::string("/v1/instances?") + name + "=" + api_key);
  // An allowed name with a session token as its value: the log line's shape rule catches it
  // (the answer may quote the bad cursor back to its sender: not recorded).
  keyed.call("GET", "/v1/instances?cursor=" + token_of_cookie(user_cookie), {}, false);
  keyed.call("GET", "/v1/instances/" + api_key);
  anon_call(d.port(), "/v1/instances?api_key=" + api_key);

  // A password reset: the mail carries the token (its one legitimate place).
  const auto mails_before = smtp.messages().size();
  client anon{d.port(), &seen};
  BOOST_TEST(anon.call("POST", "/v1/auth/password/forgot", R"({"email":"carol@example.com"})").status == 202u);
  // The database files while the token is valid: as the forgot request committed it, and after
  // the sender delivered and deleted the mail (the inserted page stays in the WAL).
  std::string db_while_valid = database_files(dir.path(), &wal_seen);
  auto mails = smtp.wait_for(mails_before + 1);
  BOOST_REQUIRE(mails.size() > mails_before);
  std::smatch m;
  std::string reset_mail;
  for (const auto& mail : mails)
    if (std::regex_search(mail, m, std::regex("reset-password#token=([A-Za-z0-9_-]+)"))) reset_mail = mail;
  BOOST_REQUIRE(!reset_mail.empty());
  std::regex_search(reset_mail, m, std::regex("reset-password#token=([A-Za-z0-9_-]+)"));
  const std::string reset_token = m[1];
  db_while_valid += database_files(dir.path(), &wal_seen);
  BOOST_TEST(wal_seen, "the WAL was read while the reset token was valid");
  BOOST_TEST(db_while_valid.find(reset_token) == std::string::npos, "the valid reset token is in the database files");
  BOOST_TEST(anon.call("POST", "/v1/auth/password/reset",
                       json::serialize(json::object{{"token", reset_token}, {"password", new_password}}))
                 .status == 204u);
  client again{d.port(), &seen};
  BOOST_REQUIRE(again
                    .call("POST", "/v1/auth/signin",
                          json::serialize(json::object{{"email", "carol@example.com"}, {"password", new_password}}))
                    .status == 200u);
  const std::string new_cookie = again.cookie;

  // Identifiers in logs (issue 20): the Phone Number ID in Graph-compatible paths, a contact's
  // phone number in conversation paths (also with `+`), the WABA and App IDs where no route
  // takes them, and a send Meta's rules refuse.
  for (int i = 0; i < 2; ++i)
    keyed.call("POST", std::string("/graph/v21.0/") + phone + "/messages",
               json::serialize(json::object{{"messaging_product", "whatsapp"},
                                            {"to", "15557770009"},
                                            {"type", "text"},
                                            {"text", json::object{{"body", "graph hello"}}}}));
  keyed.call("POST", std::string("/graph/v21.0/") + phone + "/messages",
             R"({"messaging_product":"whatsapp","to":"15557770009"})");
  keyed.call("GET", std::string("/graph/v21.0/") + phone + "/message_templates");
  keyed.call("GET", "/v1/instances/" + instance + "/conversations/15557770000");
  keyed.call("GET", "/v1/instances/" + instance + "/conversations/%2B15557770001/messages");
  keyed.call("GET", std::string("/graph/v21.0/") + waba + "/message_templates");
  anon_call(d.port(), std::string("/graph/v21.0/") + app_id + "/subscriptions");

  // The export (a whole account's data) and sign-out.
  auto exported = again.call("GET", "/v1/me/export");
  BOOST_TEST(exported.status == 200u);
  again.call("POST", "/v1/auth/signout", "{}");
  admin.call("POST", "/v1/auth/signout", "{}");

  d.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(d.wait(), 0);
  const auto log = d.log();
  BOOST_TEST(log.find("event=") != std::string::npos);
  BOOST_TEST(log.find("level=debug") != std::string::npos, "the log is at debug level");
  std::string db_bytes = db_while_valid + database_files(dir.path(), nullptr);
  BOOST_TEST(db_bytes.size() > 4096u);
  std::string other_mail;
  for (const auto& mail : smtp.messages())
    if (mail != reset_mail) other_mail += mail;

  auto token_of = token_of_cookie;
  const std::map<std::string, std::string> canaries{{"admin password", admin_password},
                                                    {"user password", user_password},
                                                    {"new password", new_password},
                                                    {"API key", api_key},
                                                    {"admin session", token_of(admin_cookie)},
                                                    {"user session", token_of(user_cookie)},
                                                    {"new session", token_of(new_cookie)},
                                                    {"reset token", reset_token},
                                                    {"Meta access token", meta_token},
                                                    {"app secret", app_secret},
                                                    {"verify token", verify_token},
                                                    {"TOTP secret", totp_secret}};
  // The search can find things: the verify token is in the instance views it saw, the key in
  // its one creation answer, the reset token in its mail.
  BOOST_TEST(seen.find(verify_token) != std::string::npos);
  BOOST_TEST(legit.find(api_key) != std::string::npos);
  BOOST_TEST(reset_mail.find(reset_token) != std::string::npos);
  int hits = 0;
  for (const auto& [what, value] : canaries) {
    BOOST_TEST_CONTEXT(what) {
      BOOST_REQUIRE(value.size() >= 16u);
      auto none = [&](const std::string& where, const std::string& hay) {
        if (hay.find(value) == std::string::npos) return;
        ++hits;
        BOOST_ERROR(what << " found in " << where);
      };
      none("the daemon log", log);
      none("the database files", db_bytes);
      none("the export", exported.body);
      none("enfinitoctl's output", tool_output);
      // The verify token is shown to its owner in the instance views (Meta's form needs it).
      if (what != "verify token") none("a response body", seen);
      // The reset mail carries its own token and nothing else of this list.
      none("a mail", other_mail);
      if (what != "reset token") none("the reset mail", reset_mail);
    }
  }
  BOOST_TEST_MESSAGE("canary secrets: " << canaries.size() << " canaries, searched in " << log.size()
                                        << " bytes of debug log, " << seen.size() << " bytes of responses, "
                                        << smtp.messages().size() << " mails, " << exported.body.size()
                                        << " bytes of export, " << db_bytes.size()
                                        << " bytes of database files: " << hits << " hits");
  BOOST_TEST(hits == 0);

  // Identifiers are not secrets (responses and the database have them) but the customer's: no
  // log line carries one, only its keyed tag (docs/security.md, "Identifiers in logs").
  const std::map<std::string, std::string> identifiers{{"Phone Number ID", phone},
                                                       {"WABA ID", waba},
                                                       {"App ID", app_id},
                                                       {"display phone number", "15550190001"},
                                                       {"a contact's number", "15557770000"},
                                                       {"a contact's number with +", "15557770001"},
                                                       {"a Graph send's recipient", "15557770009"},
                                                       {"a queued send's recipient", "15557770002"}};
  for (const auto& [what, value] : identifiers)
    BOOST_TEST(log.find(value) == std::string::npos, what << " in the daemon log");
  BOOST_TEST(log.find("path=/graph/v21.0/#") != std::string::npos, "the access log shows the tag in its place");
  BOOST_TEST(seen.find(phone) != std::string::npos, "the search can find the Phone Number ID (in responses)");

  // P5: the daemon connected to the configured Meta base URL and SMTP server, nothing else, and
  // every connection had its purpose (upstream/outbound.hpp).
  const std::string meta_port = std::to_string(meta.port()), smtp_port = std::to_string(smtp.port());
  std::set<std::string> purposes;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    BOOST_TEST(line.find("event=upstream.connect_unnamed") == std::string::npos, line);
    if (line.find("event=upstream.connect ") == std::string::npos) continue;
    std::smatch f;
    BOOST_REQUIRE(std::regex_search(line, f, std::regex("purpose=(\\S+) host=(\\S+) port=(\\S+)")));
    const std::string purpose = f[1], endpoint = std::string(f[2]) + ":" + std::string(f[3]);
    purposes.insert(purpose);
    if (purpose == "smtp")
      BOOST_TEST(endpoint == "127.0.0.1:" + smtp_port);
    else if (purpose == "meta_graph" || purpose == "meta_media")
      BOOST_TEST(endpoint == "127.0.0.1:" + meta_port, line);
    else
      BOOST_ERROR("P5: a connection for " << purpose << " to " << endpoint);
  }
  BOOST_TEST(purposes.count("meta_graph") == 1u);
  BOOST_TEST(purposes.count("smtp") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
