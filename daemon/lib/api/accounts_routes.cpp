// The accounts routes: sign-up, sign-in/out, password reset, profile, export, deletion,
// API keys and the admin approval flow. Handlers validate, authenticate, hash passwords on the
// blocking pool and call store::accounts inside store writes; mail goes through the outbox.
#include <enfinito/api/accounts.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/webhooks.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

#include "api/accounts_validate.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <ctime>

namespace enfinito::api {
namespace acc = store::accounts;
using namespace detail;
namespace {

constexpr std::size_t max_api_keys = 100;
constexpr std::size_t max_key_instances = 100;
constexpr std::size_t export_page_rows = 500;  // rows per store read while streaming the export

// Unwraps a checked<T> or returns its problem from the handler.
#define ENF_TRY(var, expr)                                                       \
  auto var##_checked = (expr);                                                   \
  if (auto* var##_err = std::get_if<http::response>(&var##_checked))             \
    co_return std::move(*var##_err);                                             \
  auto& var = std::get<0>(var##_checked)

// Authenticates or returns the problem from the handler.
#define ENF_AUTH(var, need)                                                      \
  auto var##_who = co_await authenticate(req, s, need);                          \
  if (auto* var##_err = std::get_if<http::response>(&var##_who))                 \
    co_return std::move(*var##_err);                                             \
  auto& var = std::get<principal>(var##_who)

std::vector<std::pair<std::string, export_section>>& export_sections() {
  static std::vector<std::pair<std::string, export_section>> sections;
  return sections;
}

std::vector<std::pair<std::string, export_pager>>& export_streams() {
  static std::vector<std::pair<std::string, export_pager>> streams;
  return streams;
}

std::string iso8601(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

boost::json::object user_json(const acc::user& u) {
  return {{"id", u.id},         {"email", u.email},   {"name", u.name},
          {"role", u.role},     {"status", u.status}, {"created_at", iso8601(u.created_at)},
          {"has_password", !u.password_hash.empty()}};
}

boost::json::object key_json(const acc::api_key& k) {
  boost::json::array ids;
  for (const auto& i : k.instance_ids) ids.emplace_back(i);
  boost::json::object o{{"id", k.id},
                        {"name", k.name},
                        {"prefix", k.prefix},
                        {"read_only", k.read_only},
                        {"instance_ids", std::move(ids)},
                        {"created_at", iso8601(k.created_at)}};
  o["last_used_at"] = k.last_used_at ? boost::json::value(iso8601(*k.last_used_at)) : boost::json::value(nullptr);
  return o;
}

boost::json::object session_json(const acc::session& x, std::string_view current) {
  return {{"id", x.id},
          {"created_at", iso8601(x.created_at)},
          {"last_seen_at", iso8601(x.last_seen_at)},
          {"expires_at", iso8601(x.expires_at)},
          {"client_address", x.client_address},
          {"method", x.method},
          {"current", x.id == current}};
}

http::response store_problem() {
  return http::problem(http::status::service_unavailable, "store_unavailable", "Service unavailable",
                       "the database is not available; try again");
}

http::response session_required() {
  return http::problem(http::status::forbidden, "session_required", "Forbidden",
                       "account management needs a signed-in session, not an API key");
}

http::response too_many(std::chrono::seconds wait) {
  auto r = http::problem(http::status::too_many_requests, "too_many_attempts", "Too many attempts",
                         "too many failed sign-ins; try again later or reset the password");
  r.set(http::bhttp::field::retry_after, std::to_string(wait.count()));
  return r;
}

// Refuses members other than `allowed` (a typo must not be silently ignored).
std::optional<http::response> only_fields(const boost::json::object& o, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : o) {
    bool ok = false;
    for (auto a : allowed) ok = ok || k == a;
    if (!ok) return http::field_problem(k, "unknown field", "unknown_field");
  }
  return std::nullopt;
}

checked<std::string> email_field(const boost::json::object& o, std::string_view name = "email") {
  auto f = string_field(o, name, true);
  if (auto* e = std::get_if<http::response>(&f)) return std::move(*e);
  auto norm = normalize_email(*std::get<0>(f));
  if (!norm) return http::field_problem(name, "is not a valid email address", "invalid_email");
  return *norm;
}

checked<std::string> password_field(const boost::json::object& o, std::string_view name) {
  auto f = string_field(o, name, true);
  if (auto* e = std::get_if<http::response>(&f)) return std::move(*e);
  auto& pw = *std::get<0>(f);
  if (!auth::password_length_ok(pw))
    return http::field_problem(name, "must be 8 to 1024 characters long", "invalid_password");
  return pw;
}

checked<std::string> name_field(const boost::json::object& o, bool required) {
  auto f = string_field(o, "name", required);
  if (auto* e = std::get_if<http::response>(&f)) return std::move(*e);
  auto& v = std::get<0>(f);
  if (!v) return std::string();
  if (!name_ok(*v)) return http::field_problem("name", "must be 1 to 100 characters, no control characters", "invalid_name");
  return *v;
}

net::awaitable<std::optional<acc::user>> load_user(services& s, const std::string& id, core::error_code& ec) {
  std::optional<acc::user> u;
  ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto r = acc::find_user_by_id(c, id);
    if (!r) return r.error();
    u = std::move(*r);
    return {};
  });
  co_return u;
}

// Verifies `password` against the user's hash on the blocking pool, throttled per account.
net::awaitable<std::optional<http::response>> check_current_password(services& s, const http::request& req,
                                                                     const acc::user& u, const std::string& password,
                                                                     std::string_view field) {
  auto addr = client_address(req);
  if (auto wait = s.auth->throttle().blocked(u.email, addr)) co_return too_many(*wait);
  // Captures by reference only: the frame outlives the job (see auth::run_blocking).
  bool ok = co_await auth::run_blocking(s.blocking, [&hash = u.password_hash, &password] {
    if (hash.empty()) {
      auth::verify_dummy(password);
      return false;
    }
    return auth::verify_password(hash, password);
  });
  if (ok) co_return std::nullopt;
  s.auth->throttle().failure(u.email, addr);
  co_await s.db.write([&](store::connection& c) {
    return acc::audit(c, u.id, u.id, "password_check_failed", "", addr);
  });
  co_return http::field_problem(field, "is not the current password", "wrong_password");
}

// ---- sign-up, sign-in, sign-out ----

net::awaitable<http::response> signup(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"name", "email", "password"})) co_return std::move(*r);
  ENF_TRY(name, name_field(body, true));
  ENF_TRY(email, email_field(body));
  ENF_TRY(password, password_field(body, "password"));
  // Hash whether or not the address is taken: the answer and its timing must not tell.
  auto hash = co_await auth::run_blocking(s.blocking, [&password] { return auth::hash_password(password); });
  if (hash.empty()) co_return http::problem(http::status::service_unavailable, "busy", "Try again later");
  auto addr = client_address(req);
  std::string first_admin;  // set when this sign-up became the dev-mode administrator
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    auto existing = acc::find_user_by_email(c, email);
    if (!existing) return existing.error();
    if (*existing)  // taken: same answer; the owner is not told (no mail bomb), only the audit log
      return acc::audit(c, (*existing)->id, "", "signup_duplicate", "", addr);
    acc::user u;
    u.id = "usr_" + crypto::random_token(16);
    u.email = email;
    u.name = name;
    u.password_hash = hash;
    u.created_at = acc::now_s();
    // Dev mode: the first account administers the sandbox (production: enfinitoctl create-admin).
    // Checked inside the write, so two racing sign-ups cannot both be first.
    if (s.cfg.dev) {
      auto anyone = acc::list_users(c, "", 1);
      if (!anyone) return anyone.error();
      if (anyone->empty()) {
        u.role = "admin";
        u.status = "active";
        first_admin = u.id;
      }
    }
    if (auto e = acc::insert_user(c, u)) return e;
    if (!first_admin.empty())
      if (auto e = acc::audit(c, u.id, u.id, "dev_first_user_admin", "", addr)) return e;
    return acc::audit(c, u.id, u.id, "signup", "", addr);
  });
  if (ec) co_return store_problem();
  if (!first_admin.empty()) {
    core::log::warn("dev_first_user_admin",
                    {{"warning", "DEV MODE: the first account signed up is an active administrator"},
                     {"user", first_admin}});
    co_return http::json_response(http::status::accepted,
                                  boost::json::object{{"status", "active"},
                                                      {"detail", "Dev mode: the first account is the administrator "
                                                                 "and can sign in now."}});
  }
  co_return http::json_response(http::status::accepted,
                                boost::json::object{{"status", "pending"},
                                                    {"detail", "If this address can be registered, the account now "
                                                               "awaits approval by an administrator."}});
}

net::awaitable<http::response> signin(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"email", "password"})) co_return std::move(*r);
  ENF_TRY(email, email_field(body));
  ENF_TRY(pw_field, string_field(body, "password", true));
  std::string password = *pw_field;
  auto addr = client_address(req);
  if (auto wait = s.auth->throttle().blocked(email, addr)) co_return too_many(*wait);

  std::optional<acc::user> u;
  auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto r = acc::find_user_by_email(c, email);
    if (!r) return r.error();
    u = std::move(*r);
    return {};
  });
  if (ec) co_return store_problem();
  const std::string stored = u ? u->password_hash : std::string();
  bool ok = co_await auth::run_blocking(s.blocking, [&stored, &password] {
    const auto& hash = stored;
    if (hash.empty() || password.size() > auth::password_max_bytes) {
      auth::verify_dummy(password);  // same time as a real check
      return false;
    }
    return auth::verify_password(hash, password);
  });
  if (!ok) {
    s.auth->throttle().failure(email, addr);
    co_await s.db.write([&](store::connection& c) {
      return acc::audit(c, u ? u->id : "", "", "signin_failed", "", addr);
    });
    co_return http::problem(http::status::unauthorized, "invalid_credentials", "Sign-in failed",
                            "the email or the password is wrong");
  }
  s.auth->throttle().success(email);
  if (u->status != "active") {
    // Only someone who knows the password learns the account's state.
    auto r = http::problem(http::status::forbidden, "account_not_active", "Account not active",
                           u->status == "pending" ? "the account awaits approval by an administrator"
                                                  : "the account cannot sign in");
    co_return r;
  }
  if (auth::needs_rehash(u->password_hash)) {
    auto fresh = co_await auth::run_blocking(s.blocking, [&password] { return auth::hash_password(password); });
    if (!fresh.empty())
      co_await s.db.write([&](store::connection& c) { return acc::set_password_hash(c, u->id, fresh); });
  }
  auto cookie = co_await start_session(s, req, u->id, "password");
  if (!cookie) co_return store_problem();
  auto res = http::json_response(http::status::ok, boost::json::object{{"user", user_json(*u)}});
  res.set(http::bhttp::field::set_cookie, *cookie);
  co_return res;
}

net::awaitable<http::response> signout(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  if (p.via_api_key) co_return session_required();
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    if (auto e = acc::delete_session(c, p.session_id)) return e;
    return acc::audit(c, p.user_id, p.user_id, "signout", "", client_address(req));
  });
  if (ec) co_return store_problem();
  auto res = http::no_content();
  res.set(http::bhttp::field::set_cookie, expired_session_cookie(s.cfg));
  co_return res;
}

// ---- password reset ----

net::awaitable<http::response> forgot(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"email"})) co_return std::move(*r);
  ENF_TRY(email, email_field(body));
  auto addr = client_address(req);
  auto token = crypto::random_token(32);
  auto hash = crypto::sha256_hex(token);
  const auto vault = s.vault->current();  // seals the mail: the token is never on disk in the clear
  // One write either way, so that a known and an unknown address take about the same time.
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    auto u = acc::find_user_by_email(c, email);
    if (!u) return u.error();
    if (!*u || ((*u)->status != "active" && (*u)->status != "pending"))
      return acc::audit(c, *u ? (*u)->id : "", "", "password_reset_requested", "", addr);
    if (auto e = acc::insert_reset(c, hash, (*u)->id, acc::now_s() + s.cfg.auth.reset_token_ttl_s)) return e;
    if (auto e = mail::enqueue(c, mail::password_reset((*u)->id, (*u)->email, token, s.cfg), *vault)) return e;
    return acc::audit(c, (*u)->id, "", "password_reset_requested", "", addr);
  });
  if (ec) co_return store_problem();
  co_return http::json_response(
      http::status::accepted,
      boost::json::object{{"detail", "If an account uses this address, a reset link is on its way."}});
}

net::awaitable<http::response> reset(services& s, http::request& req) {
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"token", "password"})) co_return std::move(*r);
  ENF_TRY(token, string_field(body, "token", true));
  if (token->empty() || token->size() > 128) co_return http::field_problem("token", "is not a valid token", "invalid_token");
  ENF_TRY(password, password_field(body, "password"));
  auto hash = co_await auth::run_blocking(s.blocking, [&password] { return auth::hash_password(password); });
  if (hash.empty()) co_return http::problem(http::status::service_unavailable, "busy", "Try again later");
  auto token_hash = crypto::sha256_hex(*token);
  auto addr = client_address(req);
  bool found = false;
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    auto uid = acc::take_reset(c, token_hash);
    if (!uid) return uid.error();
    if (!*uid) return {};
    found = true;
    if (auto e = acc::set_password_hash(c, **uid, hash)) return e;
    if (auto e = acc::delete_user_sessions(c, **uid)) return e;  // every session ends
    if (auto e = acc::delete_user_resets(c, **uid)) return e;     // and every other link
    return acc::audit(c, **uid, **uid, "password_reset", "", addr);
  });
  if (ec) co_return store_problem();
  if (!found) co_return http::field_problem("token", "is unknown, used or expired", "invalid_token");
  co_return http::no_content();
}

// ---- profile ----

net::awaitable<http::response> me_get(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  core::error_code ec;
  auto u = co_await load_user(s, p.user_id, ec);
  if (ec) co_return store_problem();
  if (!u) co_return http::problem(http::status::not_found, "user_not_found", "Not found");
  co_return http::json_response(http::status::ok, user_json(*u));
}

net::awaitable<http::response> me_patch(services& s, http::request& req) {
  ENF_AUTH(p, access::write);
  if (p.via_api_key) co_return session_required();
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"name", "email", "current_password"})) co_return std::move(*r);
  std::optional<std::string> name, email;
  if (body.contains("name")) {
    ENF_TRY(n, name_field(body, true));
    name = n;
  }
  if (body.contains("email")) {
    ENF_TRY(e, email_field(body));
    email = e;
  }
  if (!name && !email) co_return http::field_problem("name", "nothing to change: send name or email", "missing_field");
  core::error_code ec;
  auto u = co_await load_user(s, p.user_id, ec);
  if (ec) co_return store_problem();
  if (!u) co_return http::problem(http::status::not_found, "user_not_found", "Not found");
  if (email && *email != u->email) {
    ENF_TRY(current, string_field(body, "current_password", true));
    if (auto bad = co_await check_current_password(s, req, *u, *current, "current_password")) co_return std::move(*bad);
  } else {
    email.reset();
  }
  std::string fields = std::string(name ? "name" : "") + (name && email ? "," : "") + (email ? "email" : "");
  ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    if (auto e = acc::update_profile(c, p.user_id, name, email)) return e;
    return acc::audit(c, p.user_id, p.user_id, "profile_updated", "fields=" + fields, client_address(req));
  });
  if (ec == store::error::constraint) co_return http::problem(http::status::conflict, "email_taken", "Conflict",
                                                             "this email address cannot be used");
  if (ec) co_return store_problem();
  u = co_await load_user(s, p.user_id, ec);
  if (ec || !u) co_return store_problem();
  co_return http::json_response(http::status::ok, user_json(*u));
}

net::awaitable<http::response> me_password(services& s, http::request& req) {
  ENF_AUTH(p, access::write);
  if (p.via_api_key) co_return session_required();
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"current_password", "new_password"})) co_return std::move(*r);
  ENF_TRY(current, string_field(body, "current_password", true));
  ENF_TRY(fresh, password_field(body, "new_password"));
  core::error_code ec;
  auto u = co_await load_user(s, p.user_id, ec);
  if (ec) co_return store_problem();
  if (!u) co_return http::problem(http::status::not_found, "user_not_found", "Not found");
  if (auto bad = co_await check_current_password(s, req, *u, *current, "current_password")) co_return std::move(*bad);
  auto hash = co_await auth::run_blocking(s.blocking, [&fresh] { return auth::hash_password(fresh); });
  if (hash.empty()) co_return http::problem(http::status::service_unavailable, "busy", "Try again later");
  ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    if (auto e = acc::set_password_hash(c, p.user_id, hash)) return e;
    if (auto e = acc::delete_user_sessions(c, p.user_id, p.session_id)) return e;  // others end
    return acc::audit(c, p.user_id, p.user_id, "password_changed", "", client_address(req));
  });
  if (ec) co_return store_problem();
  co_return http::no_content();
}

// ---- the personal-data export (P8), streamed ------------------------------------------
//
// One JSON document: the small parts (profile, keys, sessions, instances, Google identity)
// are read at once; the parts that grow with use (audit log, message logs) are streamed page
// by page, each page one store read, so the export never holds a large account in memory.
// Pages are read one after another, not in one snapshot: a row written meanwhile may or may
// not appear, which is fine for a copy of one's data.

struct export_state {
  services* s = nullptr;
  std::string user_id;
  std::string head;                // `{"profile":…,…` without the closing brace
  std::size_t stream = 0;          // index into the streams, export_streams().size() = done
  bool in_array = false;           // the current stream's `[` was written
  bool first_row = true;
  std::string cursor;
  std::vector<std::pair<std::string, export_pager>> streams;
};

net::awaitable<boost::system::result<bool>> export_next(std::shared_ptr<export_state> st, std::string& chunk) {
  if (!st->head.empty()) {
    chunk = std::move(st->head);
    st->head.clear();
    co_return true;
  }
  if (st->stream == st->streams.size()) {
    chunk = ",\"exported_at\":\"" + iso8601(acc::now_s()) + "\"}";
    co_return false;
  }
  auto& [name, pager] = st->streams[st->stream];
  if (!st->in_array) {
    chunk = ",\"" + name + "\":[";
    st->in_array = true;
    st->first_row = true;
    st->cursor.clear();
  }
  boost::json::array page;
  const std::string* uid = &st->user_id;
  std::string* cursor = &st->cursor;
  export_pager* fn = &pager;
  auto read = [uid, cursor, fn, &page](store::connection& c) { return (*fn)(c, *uid, *cursor, export_page_rows, page); };
  auto ec = co_await st->s->db.read(read);
  if (ec) co_return boost::system::result<bool>(boost::system::in_place_error, ec);
  for (const auto& row : page) {
    if (!st->first_row) chunk += ',';
    st->first_row = false;
    chunk += boost::json::serialize(row);
  }
  if (st->cursor.empty()) {  // that was the last page
    chunk += ']';
    st->in_array = false;
    ++st->stream;
  }
  co_return true;
}

// The audit log as an export stream: entries about the user, oldest first.
export_pager audit_pager() {
  return [](store::connection& c, const std::string& user_id, std::string& cursor, std::size_t limit,
            boost::json::array& page) -> core::error_code {
    const std::int64_t after = cursor.empty() ? 0 : std::stoll(cursor);
    auto audit = acc::list_audit(c, user_id, after, limit);
    if (!audit) return audit.error();
    for (const auto& a : *audit)
      page.push_back(boost::json::object{
          {"action", a.action},
          {"detail", a.detail},
          {"by", a.actor_id == user_id ? "you" : (a.actor_id.empty() ? "system" : "administrator")},
          {"client_address", a.client_address},
          {"at", iso8601(a.created_at)}});
    cursor = audit->size() < limit ? std::string() : std::to_string(audit->back().id);
    return {};
  };
}

net::awaitable<http::response> me_export(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  boost::json::object out;
  auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto u = acc::find_user_by_id(c, p.user_id);
    if (!u) return u.error();
    if (!*u) return store::error::not_found;
    out["profile"] = user_json(**u);
    auto keys = acc::list_api_keys(c, p.user_id);
    if (!keys) return keys.error();
    boost::json::array ka;
    for (const auto& k : *keys) ka.push_back(key_json(k));
    out["api_keys"] = std::move(ka);
    auto sessions = acc::list_sessions(c, p.user_id);
    if (!sessions) return sessions.error();
    boost::json::array sa;
    for (const auto& x : *sessions) sa.push_back(session_json(x, p.session_id));
    out["sessions"] = std::move(sa);
    for (auto& [name, fn] : export_sections())
      if (auto e = fn(c, p.user_id, out)) return e;
    return {};
  });
  if (ec == store::error::not_found) co_return http::problem(http::status::not_found, "user_not_found", "Not found");
  if (ec) co_return store_problem();
  auto st = std::make_shared<export_state>();
  st->s = &s;
  st->user_id = p.user_id;
  st->head = boost::json::serialize(out);
  st->head.pop_back();  // the closing brace comes after the streamed parts
  st->streams.emplace_back("audit_log", audit_pager());
  for (const auto& x : export_streams()) st->streams.push_back(x);
  req.stream_body = [st](std::string& chunk) { return export_next(st, chunk); };
  http::response res{http::status::ok, 11};
  res.set(http::bhttp::field::content_type, "application/json");
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"enfinito-export.json\"");
  res.set(http::bhttp::field::cache_control, "no-store");
  co_return res;
}

net::awaitable<http::response> me_delete(services& s, http::request& req) {
  ENF_AUTH(p, access::write);
  bool recent = !p.via_api_key && acc::now_s() - p.session_created_at <= s.cfg.auth.recent_signin_s;
  bool has_body = !req.msg.body().empty();
  if (!recent || has_body) {
    ENF_TRY(body, body_object(req, s.json));
    if (auto r = only_fields(body, {"password"})) co_return std::move(*r);
    ENF_TRY(pw, string_field(body, "password", !recent));
    if (pw) {
      core::error_code ec;
      auto u = co_await load_user(s, p.user_id, ec);
      if (ec || !u) co_return store_problem();
      if (auto bad = co_await check_current_password(s, req, *u, *pw, "password")) co_return std::move(*bad);
    }
  }
  auto addr = client_address(req);
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    // One transaction: the user row goes, and ON DELETE CASCADE takes sessions, keys, reset
    // tokens, queued mail, audit entries about the user and whatever later features hang off
    // users(id). The deletion itself is logged by opaque id only.
    if (auto e = acc::delete_user(c, p.user_id)) return e;
    return acc::audit(c, "", "", "account_deleted", "", addr);
  });
  if (ec) co_return store_problem();
  core::log::info("account_deleted", {{"user_id", p.user_id}});
  auto res = http::no_content();
  res.set(http::bhttp::field::set_cookie, expired_session_cookie(s.cfg));
  co_return res;
}

// ---- sessions (the settings page's "active sessions") ----

// Times are unix milliseconds here, like the rest of the web app's API (sessions store seconds).
boost::json::object session_view(const acc::session& x, std::string_view current) {
  return {{"id", x.id},
          {"created_at", x.created_at * 1000},
          {"last_seen_at", x.last_seen_at > 0 ? boost::json::value(x.last_seen_at * 1000) : boost::json::value(nullptr)},
          {"expires_at", x.expires_at * 1000},
          {"method", x.method},
          {"client_address", x.client_address},
          {"current", x.id == current}};
}

net::awaitable<http::response> sessions_list(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  if (p.via_api_key) co_return session_required();
  std::vector<acc::session> rows;
  auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto r = acc::list_sessions(c, p.user_id);
    if (!r) return r.error();
    rows = std::move(*r);
    return {};
  });
  if (ec) co_return store_problem();
  boost::json::array a;
  for (const auto& x : rows) a.push_back(session_view(x, p.session_id));
  co_return http::json_response(http::status::ok, boost::json::object{{"data", std::move(a)}});
}

// Signs one of the caller's sessions out (another device, or this one: then the cookie goes too).
net::awaitable<http::response> sessions_revoke(services& s, http::request& req) {
  ENF_AUTH(p, access::write);
  if (p.via_api_key) co_return session_required();
  const std::string id(req.param("id"));
  if (!core::id_like(id, "ses_")) co_return http::problem(http::status::not_found, "session_not_found", "No such session");
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    if (auto e = acc::delete_user_session(c, p.user_id, id)) return e;
    return acc::audit(c, p.user_id, p.user_id, "session_revoked", "session=" + id, client_address(req));
  });
  // Another user's session is "not found" too: no hint that it exists.
  if (ec == store::error::not_found)
    co_return http::problem(http::status::not_found, "session_not_found", "No such session");
  if (ec) co_return store_problem();
  auto res = http::no_content();
  if (id == p.session_id) res.set(http::bhttp::field::set_cookie, expired_session_cookie(s.cfg));
  co_return res;
}

// ---- API keys ----

net::awaitable<http::response> keys_list(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  std::vector<acc::api_key> keys;
  auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto r = acc::list_api_keys(c, p.user_id);
    if (!r) return r.error();
    keys = std::move(*r);
    return {};
  });
  if (ec) co_return store_problem();
  boost::json::array a;
  for (const auto& k : keys) a.push_back(key_json(k));
  co_return http::json_response(http::status::ok, boost::json::object{{"api_keys", std::move(a)}});
}

bool instance_id_ok(std::string_view id) { return !id.empty() && id.size() <= 64 && core::url_safe_chars(id); }

net::awaitable<http::response> keys_create(services& s, http::request& req) {
  ENF_AUTH(p, access::write);
  if (p.via_api_key) co_return session_required();
  ENF_TRY(body, body_object(req, s.json));
  if (auto r = only_fields(body, {"name", "read_only", "instance_ids"})) co_return std::move(*r);
  ENF_TRY(name, name_field(body, true));
  ENF_TRY(read_only, bool_field(body, "read_only"));
  acc::api_key k;
  if (auto* v = body.if_contains("instance_ids"); v && !v->is_null()) {
    if (!v->is_array()) co_return http::field_problem("instance_ids", "must be an array of instance ids", "invalid_type");
    if (v->as_array().size() > max_key_instances)
      co_return http::field_problem("instance_ids", "too many instances", "invalid_field");
    for (const auto& e : v->as_array()) {
      if (!e.is_string() || !instance_id_ok(e.as_string()))
        co_return http::field_problem("instance_ids", "must hold instance ids", "invalid_field");
      k.instance_ids.emplace_back(e.as_string());
    }
  }
  auto key = "enf_live_" + crypto::random_token(32);  // 256 random bits after the prefix
  k.id = "key_" + crypto::random_token(16);
  k.user_id = p.user_id;
  k.name = name;
  k.prefix = key.substr(0, 16);
  k.read_only = read_only.value_or(false);
  k.created_at = acc::now_s();
  bool too_many_keys = false, unknown_instance = false;
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    auto existing = acc::list_api_keys(c, p.user_id);
    if (!existing) return existing.error();
    if (existing->size() >= max_api_keys) {
      too_many_keys = true;
      return {};
    }
    // A key limited to instances may name only the caller's own (checked in the same
    // transaction as the insert, so a concurrent delete cannot slip between).
    store::instances::instance row;
    for (const auto& id : k.instance_ids) {
      auto e = store::instances::get(c, p.user_id, id, row);
      if (e == store::error::not_found) {
        unknown_instance = true;
        return {};
      }
      if (e) return e;
    }
    if (auto e = acc::insert_api_key(c, k, crypto::sha256_hex(key))) return e;
    return acc::audit(c, p.user_id, p.user_id, "api_key_created", "key=" + k.id, client_address(req));
  });
  if (ec) co_return store_problem();
  if (too_many_keys)
    co_return http::problem(http::status::conflict, "too_many_api_keys", "Conflict", "revoke an API key first");
  if (unknown_instance)
    co_return http::field_problem("instance_ids", "names an instance that is not yours or does not exist",
                                  "unknown_instance");
  auto o = key_json(k);
  o["key"] = key;  // shown once, never again
  co_return http::json_response(http::status::created, o);
}

net::awaitable<http::response> keys_revoke(services& s, http::request& req) {
  ENF_AUTH(p, access::write);
  if (p.via_api_key) co_return session_required();
  std::string id(req.param("id"));
  auto ec = co_await s.db.write([&](store::connection& c) -> core::error_code {
    if (auto e = acc::revoke_api_key(c, p.user_id, id)) return e;
    return acc::audit(c, p.user_id, p.user_id, "api_key_revoked", "key=" + id, client_address(req));
  });
  // Another user's key is "not found" too: no hint that it exists.
  if (ec == store::error::not_found)
    co_return http::problem(http::status::not_found, "api_key_not_found", "Not found", "no such API key");
  if (ec) co_return store_problem();
  co_return http::no_content();
}

// ---- admin: the audit log ----

// An audit entry's detail ("key=key_… fields=name,email") as an object; free text as {"text": …}.
boost::json::object audit_detail(std::string_view detail) {
  boost::json::object o;
  while (!detail.empty()) {
    const auto sp = detail.find(' ');
    const auto part = detail.substr(0, sp);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) return {{"text", detail}};
    o[part.substr(0, eq)] = part.substr(eq + 1);
    detail = sp == std::string_view::npos ? std::string_view() : detail.substr(sp + 1);
  }
  return o;
}

net::awaitable<http::response> audit_list(services& s, http::request& req) {
  ENF_AUTH(p, access::admin);
  if (p.via_api_key) co_return session_required();
  acc::audit_filter f;
  if (auto l = req.query_param("limit")) {
    const bool ok = !l->empty() && l->size() <= 3 && std::all_of(l->begin(), l->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok || std::stoul(*l) < 1 || std::stoul(*l) > 200) co_return http::field_problem("limit", "1 to 200");
    f.limit = std::stoul(*l);
  }
  if (auto c = req.query_param("cursor")) {
    const bool ok = !c->empty() && c->size() <= 18 && std::all_of(c->begin(), c->end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!ok) co_return http::field_problem("cursor", "not a cursor from this API");
    f.before_id = std::stoll(*c);
  }
  if (auto u = req.query_param("user")) {
    if (!core::id_like(*u, "usr_")) co_return http::field_problem("user", "a user id (usr_…)");
    f.user = *u;
  }
  if (auto a = req.query_param("action")) {
    const bool ok = !a->empty() && a->size() <= 64 && core::url_safe_chars(*a);
    if (!ok) co_return http::field_problem("action", "an action name such as signin or api_key_created");
    f.action = *a;
  }
  const std::size_t limit = f.limit;
  f.limit = limit + 1;
  std::vector<acc::audit_entry> rows;
  auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto r = acc::list_audit_newest(c, f);
    if (!r) return r.error();
    rows = std::move(*r);
    return {};
  });
  if (ec) co_return store_problem();
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  auto opt = [](const std::string& v) { return v.empty() ? boost::json::value(nullptr) : boost::json::value(v); };
  boost::json::array data;
  for (const auto& a : rows)
    data.push_back(boost::json::object{{"id", a.id},
                                       {"at", a.created_at * 1000},
                                       {"actor_user_id", opt(a.actor_id)},
                                       {"subject_user_id", opt(a.subject_id)},
                                       {"action", a.action},
                                       {"client_ip", opt(a.client_address)},
                                       {"detail", audit_detail(a.detail)}});
  boost::json::object out{{"data", std::move(data)}};
  if (more) out["next_cursor"] = std::to_string(rows.back().id);
  else out["next_cursor"] = nullptr;
  co_return http::json_response(http::status::ok, out);
}

// ---- admin ----

net::awaitable<http::response> admin_list(services& s, http::request& req) {
  ENF_AUTH(p, access::admin);
  (void)p;  // an administrator sees every account: nothing here is scoped to the caller
  std::string status;
  if (auto q = req.query_param("status")) {
    status = *q;
    if (status != "pending" && status != "active" && status != "rejected" && status != "suspended")
      co_return http::field_problem("status", "must be pending, active, rejected or suspended", "invalid_field");
  }
  std::vector<acc::user> users;
  auto ec = co_await s.db.read([&](store::connection& c) -> core::error_code {
    auto r = acc::list_users(c, status, 1000);
    if (!r) return r.error();
    users = std::move(*r);
    return {};
  });
  if (ec) co_return store_problem();
  boost::json::array a;
  for (const auto& u : users) a.push_back(user_json(u));
  co_return http::json_response(http::status::ok, boost::json::object{{"users", std::move(a)}});
}

net::awaitable<http::response> admin_action(services& s, http::request& req, std::string action) {
  ENF_AUTH(p, access::admin);
  std::string id(req.param("id"));
  if (id == p.user_id && action != "approve" && action != "reinstate")
    co_return http::problem(http::status::conflict, "invalid_transition", "Conflict",
                            "administrators cannot reject or suspend themselves");
  user_action_result outcome = user_action_result::done;
  const auto vault = s.vault->current();  // seals the approval mail
  auto ec = co_await s.db.write([&](store::connection& c) {
    return apply_user_action(c, s.cfg, *vault, id, action, p.user_id, client_address(req), outcome);
  });
  if (ec) co_return store_problem();
  if (outcome == user_action_result::not_found)
    co_return http::problem(http::status::not_found, "user_not_found", "Not found", "no such user");
  if (outcome == user_action_result::invalid_transition)
    co_return http::problem(http::status::conflict, "invalid_transition", "Conflict",
                            "the user's current status does not allow this");
  core::error_code lec;
  auto u = co_await load_user(s, id, lec);
  if (lec || !u) co_return store_problem();
  co_return http::json_response(http::status::ok, user_json(*u));
}

}  // namespace

core::error_code apply_user_action(store::connection& c, const config::settings& cfg, const crypto::vault& vault,
                                   std::string_view user_id,
                                   std::string_view action, std::string_view actor_id, std::string_view address,
                                   user_action_result& outcome) {
  struct transition {
    std::string_view action, from, to;
  };
  static constexpr transition table[] = {{"approve", "pending", "active"},
                                         {"reject", "pending", "rejected"},
                                         {"suspend", "active", "suspended"},
                                         {"reinstate", "suspended", "active"}};
  auto u = acc::find_user_by_id(c, user_id);
  if (!u) return u.error();
  if (!*u) {
    outcome = user_action_result::not_found;
    return {};
  }
  const transition* t = nullptr;
  for (const auto& x : table)
    if (x.action == action) t = &x;
  if (!t || (*u)->status != t->from) {
    outcome = user_action_result::invalid_transition;
    return {};
  }
  if (auto e = acc::set_user_status(c, user_id, t->to)) return e;
  if (action == "approve")
    if (auto e = mail::enqueue(c, mail::approved(user_id, (*u)->email, cfg), vault)) return e;
  if (action == "suspend")
    if (auto e = acc::delete_user_sessions(c, user_id)) return e;
  outcome = user_action_result::done;
  return acc::audit(c, user_id, actor_id, "user_" + std::string(t->to == "active" && action == "approve" ? "approved" :
                                                                action == "reject" ? "rejected" :
                                                                action == "suspend" ? "suspended" : "reinstated"),
                    "", address);
}

void add_export_section(std::string name, export_section fn) {
  export_sections().emplace_back(std::move(name), std::move(fn));
}

void add_export_stream(std::string name, export_pager fn) {
  export_streams().emplace_back(std::move(name), std::move(fn));
}

void register_accounts_routes(http::router& r, services& s) {
  using http::verb;
  auto bind = [&s](net::awaitable<http::response> (*fn)(services&, http::request&)) {
    return [&s, fn](http::request& req) { return fn(s, req); };
  };
  r.add(verb::post, "/v1/auth/signup", "auth.signup", bind(signup));
  r.add(verb::post, "/v1/auth/signin", "auth.signin", bind(signin));
  r.add(verb::post, "/v1/auth/signout", "auth.signout", bind(signout));
  r.add(verb::post, "/v1/auth/password/forgot", "auth.password_forgot", bind(forgot));
  r.add(verb::post, "/v1/auth/password/reset", "auth.password_reset", bind(reset));
  r.add(verb::get, "/v1/me", "me.get", bind(me_get));
  r.add(verb::patch, "/v1/me", "me.patch", bind(me_patch));
  r.add(verb::delete_, "/v1/me", "me.delete", bind(me_delete));
  r.add(verb::post, "/v1/me/password", "me.password", bind(me_password));
  r.add(verb::get, "/v1/me/export", "me.export", bind(me_export));
  r.add(verb::get, "/v1/api-keys", "api_keys.list", bind(keys_list));
  r.add(verb::post, "/v1/api-keys", "api_keys.create", bind(keys_create));
  r.add(verb::delete_, "/v1/api-keys/{id}", "api_keys.revoke", bind(keys_revoke));
  r.add(verb::get, "/v1/me/sessions", "me.sessions_list", bind(sessions_list));
  r.add(verb::delete_, "/v1/me/sessions/{id}", "me.sessions_revoke", bind(sessions_revoke));
  r.add(verb::get, "/v1/admin/users", "admin.users_list", bind(admin_list));
  r.add(verb::get, "/v1/admin/audit", "admin.audit", bind(audit_list));
  for (std::string action : {"approve", "reject", "suspend", "reinstate"})
    r.add(verb::post, "/v1/admin/users/{id}/" + action, "admin.users_" + action,
          [&s, action](http::request& req) { return admin_action(s, req, action); });
}

}  // namespace enfinito::api
