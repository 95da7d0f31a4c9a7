// store::accounts: the SQL of users, sessions, API keys, reset tokens, audit log and outbox.
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/changes.hpp>
#include <enfinito/store/error.hpp>
#include "store/audit_row.hpp"
#include "store/columns.hpp"
#include "store/prepare.hpp"

#include <chrono>
#include <limits>
#include <sstream>

namespace enfinito::store::accounts {
namespace {

// Each row type's columns, listed once: its reader takes them by name (store/columns.hpp).
constexpr column_list user_cols{"id, email, name, COALESCE(password_hash, ''), role, status, created_at, updated_at"};

user read_user(statement& s) {
  user u;
  u.id = s.text(user_cols["id"]);
  u.email = s.text(user_cols["email"]);
  u.name = s.text(user_cols["name"]);
  u.password_hash = s.text(user_cols["COALESCE(password_hash, '')"]);
  u.role = s.text(user_cols["role"]);
  u.status = s.text(user_cols["status"]);
  u.created_at = s.int64(user_cols["created_at"]);
  u.updated_at = s.int64(user_cols["updated_at"]);
  return u;
}

constexpr column_list session_cols{"id, user_id, created_at, last_seen_at, expires_at, client_address, method"};

session read_session(statement& s) {
  session v;
  v.id = s.text(session_cols["id"]);
  v.user_id = s.text(session_cols["user_id"]);
  v.created_at = s.int64(session_cols["created_at"]);
  v.last_seen_at = s.int64(session_cols["last_seen_at"]);
  v.expires_at = s.int64(session_cols["expires_at"]);
  v.client_address = s.text(session_cols["client_address"]);
  v.method = s.text(session_cols["method"]);
  return v;
}

constexpr column_list key_cols{
    "k.id, k.user_id, k.name, k.prefix, k.read_only, k.instance_ids, k.created_at, k.last_used_at, k.revoked_at"};
// A key with its owner's role and status, for authentication.
constexpr column_list key_lookup_cols{
    "k.id, k.user_id, k.name, k.prefix, k.read_only, k.instance_ids, k.created_at, k.last_used_at, k.revoked_at, "
    "u.role, u.status"};
static_assert(key_lookup_cols.extends(key_cols), "read_key reads the start of a key lookup's row");

constexpr column_list mail_cols{
    "id, COALESCE(user_id, '') AS owner, recipient, subject, body, attempts, created_at, body_enc"};

mail read_mail(statement& s) {
  mail m;
  m.id = s.int64(mail_cols["id"]);
  m.user_id = s.text(mail_cols["owner"]);
  m.recipient = s.text(mail_cols["recipient"]);
  m.subject = s.text(mail_cols["subject"]);
  m.body = s.text(mail_cols["body"]);
  m.attempts = static_cast<int>(s.int64(mail_cols["attempts"]));
  m.created_at = s.int64(mail_cols["created_at"]);
  m.body_sealed = s.blob(mail_cols["body_enc"]);
  return m;
}

std::vector<std::string> split_ids(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string id; in >> id;) out.push_back(id);
  return out;
}

api_key read_key(statement& s) {
  api_key k;
  k.id = s.text(key_cols["id"]);
  k.user_id = s.text(key_cols["user_id"]);
  k.name = s.text(key_cols["name"]);
  k.prefix = s.text(key_cols["prefix"]);
  k.read_only = s.int64(key_cols["read_only"]) != 0;
  k.instance_ids = split_ids(s.text_view(key_cols["instance_ids"]));
  k.created_at = s.int64(key_cols["created_at"]);
  if (!s.is_null(key_cols["last_used_at"])) k.last_used_at = s.int64(key_cols["last_used_at"]);
  if (!s.is_null(key_cols["revoked_at"])) k.revoked_at = s.int64(key_cols["revoked_at"]);
  return k;
}

// Runs a statement and reports not_found when it changed no row.
core::error_code run_changing(connection& c, statement& s) {
  if (auto ec = s.run()) return ec;
  return c.changes() == 0 ? make_error_code(error::not_found) : core::error_code{};
}

template <class T, class Read>
core::result<std::optional<T>> one(statement& s, Read read) {
  core::error_code ec;
  std::optional<T> out;
  if (s.step(ec)) out = read(s);
  s.reset();
  if (ec) return ec;
  return out;
}

template <class T, class Read>
core::result<std::vector<T>> all(statement& s, Read read) {
  core::error_code ec;
  std::vector<T> out;
  while (s.step(ec)) out.push_back(read(s));
  s.reset();
  if (ec) return ec;
  return out;
}

}  // namespace

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ---- users ----

core::error_code insert_user(connection& c, const user& u) {
  mark(c, change::users);
  ENF_PREPARE(s,
              "INSERT INTO users(id, email, name, password_hash, role, status, created_at, updated_at) "
              "VALUES(?1, ?2, ?3, NULLIF(?4, ''), ?5, ?6, ?7, ?7)");
  s->bind(1, u.id)
      .bind(2, u.email)
      .bind(3, u.name)
      .bind(4, u.password_hash)
      .bind(5, u.role)
      .bind(6, u.status)
      .bind(7, u.created_at ? u.created_at : now_s());
  return s->run();
}

core::result<std::optional<user>> find_user_by_email(connection& c, std::string_view email) {
  ENF_PREPARE(s, std::string("SELECT ") + user_cols.sql() + " FROM users WHERE email = ?1");
  s->bind(1, email);
  return one<user>(*s, read_user);
}

core::result<std::optional<user>> find_user_by_id(connection& c, std::string_view id) {
  ENF_PREPARE(s, std::string("SELECT ") + user_cols.sql() + " FROM users WHERE id = ?1");
  s->bind(1, id);
  return one<user>(*s, read_user);
}

core::result<std::vector<user>> list_users(connection& c, std::string_view status, std::size_t limit) {
  ENF_PREPARE(s, std::string("SELECT ") + user_cols.sql() +
                     " FROM users WHERE (?1 = '' OR status = ?1) ORDER BY created_at, id LIMIT ?2");
  s->bind(1, status).bind(2, static_cast<std::int64_t>(limit));
  return all<user>(*s, read_user);
}

core::error_code set_user_status(connection& c, std::string_view id, std::string_view status) {
  mark(c, change::users);  // an API key answers only for an active user
  ENF_PREPARE(s, "UPDATE users SET status = ?2, updated_at = ?3 WHERE id = ?1");
  s->bind(1, id).bind(2, status).bind(3, now_s());
  return run_changing(c, *s);
}

core::error_code set_user_role(connection& c, std::string_view id, std::string_view role) {
  mark(c, change::users);
  ENF_PREPARE(s, "UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1");
  s->bind(1, id).bind(2, role).bind(3, now_s());
  return run_changing(c, *s);
}

core::error_code set_password_hash(connection& c, std::string_view id, std::string_view hash) {
  ENF_PREPARE(s, "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1");
  s->bind(1, id).bind(2, hash).bind(3, now_s());
  return run_changing(c, *s);
}

core::error_code update_profile(connection& c, std::string_view id, const std::optional<std::string>& name,
                                const std::optional<std::string>& email) {
  ENF_PREPARE(s,
              "UPDATE users SET name = COALESCE(?2, name), email = COALESCE(?3, email), "
              "updated_at = ?4 WHERE id = ?1");
  s->bind(1, id).bind(2, name).bind(3, email).bind(4, now_s());
  return run_changing(c, *s);
}

core::error_code delete_user(connection& c, std::string_view id) {
  mark(c, change::users);
  // The deletion cascades to everything the user owned.
  for (auto k : {change::api_keys, change::sessions, change::instances, change::hook_endpoints, change::media_jobs})
    mark(c, k);
  ENF_PREPARE(s, "DELETE FROM users WHERE id = ?1");
  s->bind(1, id);
  return run_changing(c, *s);
}

// ---- sessions ----

core::error_code insert_session(connection& c, const session& x, std::string_view token_hash) {
  mark(c, change::sessions);
  ENF_PREPARE(s,
              "INSERT INTO sessions(id, token_hash, user_id, created_at, last_seen_at, expires_at, "
              "client_address, method) VALUES(?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)");
  s->bind(1, x.id)
      .bind(2, token_hash)
      .bind(3, x.user_id)
      .bind(4, x.created_at)
      .bind(5, x.expires_at)
      .bind(6, x.client_address)
      .bind(7, x.method);
  return s->run();
}

core::result<std::optional<session>> find_session(connection& c, std::string_view token_hash) {
  ENF_PREPARE(s, std::string("SELECT ") + session_cols.sql() + " FROM sessions WHERE token_hash = ?1");
  s->bind(1, token_hash);
  return one<session>(*s, read_session);
}

core::error_code touch_session(connection& c, std::string_view id, std::int64_t at) {
  ENF_PREPARE(s, "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1");
  s->bind(1, id).bind(2, at);
  return s->run();
}

core::error_code delete_session_by_hash(connection& c, std::string_view token_hash) {
  mark(c, change::sessions);
  ENF_PREPARE(s, "DELETE FROM sessions WHERE token_hash = ?1");
  s->bind(1, token_hash);
  return s->run();
}

core::error_code delete_session(connection& c, std::string_view id) {
  mark(c, change::sessions);
  ENF_PREPARE(s, "DELETE FROM sessions WHERE id = ?1");
  s->bind(1, id);
  return s->run();
}

core::error_code delete_user_sessions(connection& c, std::string_view user_id, std::string_view keep_id) {
  mark(c, change::sessions);
  ENF_PREPARE(s, "DELETE FROM sessions WHERE user_id = ?1 AND id <> COALESCE(?2, '')");
  s->bind(1, user_id).bind(2, keep_id);
  return s->run();
}

core::error_code delete_user_session(connection& c, std::string_view user_id, std::string_view id) {
  mark(c, change::sessions);
  ENF_PREPARE(s, "DELETE FROM sessions WHERE id = ?1 AND user_id = ?2");
  s->bind(1, id).bind(2, user_id);
  if (auto ec = s->run()) return ec;
  return c.changes() == 0 ? make_error_code(error::not_found) : core::error_code{};
}

core::result<std::vector<session>> list_sessions(connection& c, std::string_view user_id) {
  ENF_PREPARE(
      s, std::string("SELECT ") + session_cols.sql() + " FROM sessions WHERE user_id = ?1 ORDER BY created_at, id");
  s->bind(1, user_id);
  return all<session>(*s, read_session);
}

core::error_code purge_sessions(connection& c, std::int64_t now, std::int64_t idle_s) {
  mark(c, change::sessions);
  ENF_PREPARE(s, "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2");
  s->bind(1, now).bind(2, now - idle_s);
  return s->run();
}

core::error_code purge_sessions(connection& c, std::int64_t now, std::int64_t idle_s, std::size_t limit,
                                std::size_t& removed) {
  mark(c, change::sessions);
  ENF_PREPARE(s,
              "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
              "WHERE expires_at <= ?1 OR last_seen_at <= ?2 LIMIT ?3)");
  s->bind(1, now).bind(2, now - idle_s).bind(3, static_cast<std::int64_t>(limit));
  if (auto ec = s->run()) return ec;
  removed = static_cast<std::size_t>(c.changes());
  return {};
}

core::error_code purge_password_resets(connection& c, std::int64_t now, std::size_t limit, std::size_t& removed) {
  ENF_PREPARE(s,
              "DELETE FROM password_resets WHERE token_hash IN (SELECT token_hash FROM password_resets "
              "WHERE expires_at <= ?1 LIMIT ?2)");
  s->bind(1, now).bind(2, static_cast<std::int64_t>(limit));
  if (auto ec = s->run()) return ec;
  removed = static_cast<std::size_t>(c.changes());
  return {};
}

// ---- API keys ----

core::error_code insert_api_key(connection& c, const api_key& k, std::string_view key_hash) {
  mark(c, change::api_keys);
  ENF_PREPARE(s,
              "INSERT INTO api_keys(id, user_id, name, prefix, key_hash, read_only, instance_ids, "
              "created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  std::string ids;
  for (const auto& i : k.instance_ids) ids += (ids.empty() ? "" : " ") + i;
  s->bind(1, k.id)
      .bind(2, k.user_id)
      .bind(3, k.name)
      .bind(4, k.prefix)
      .bind(5, key_hash)
      .bind(6, k.read_only ? 1 : 0)
      .bind(7, ids)
      .bind(8, k.created_at);
  return s->run();
}

core::result<std::optional<key_lookup>> find_api_key(connection& c, std::string_view key_hash) {
  ENF_PREPARE(s, std::string("SELECT ") + key_lookup_cols.sql() +
                     " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?1");
  s->bind(1, key_hash);
  return one<key_lookup>(*s, [](statement& st) {
    return key_lookup{read_key(st), st.text(key_lookup_cols["role"]), st.text(key_lookup_cols["status"])};
  });
}

core::result<std::vector<api_key>> list_api_keys(connection& c, std::string_view user_id) {
  ENF_PREPARE(s, std::string("SELECT ") + key_cols.sql() +
                     " FROM api_keys k WHERE k.user_id = ?1 AND k.revoked_at IS NULL ORDER BY k.created_at, k.id");
  s->bind(1, user_id);
  return all<api_key>(*s, read_key);
}

core::error_code revoke_api_key(connection& c, std::string_view user_id, std::string_view key_id) {
  mark(c, change::api_keys);
  ENF_PREPARE(s, "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?2 AND user_id = ?1 AND revoked_at IS NULL");
  s->bind(1, user_id).bind(2, key_id).bind(3, now_s());
  return run_changing(c, *s);
}

core::error_code touch_api_key(connection& c, std::string_view key_id, std::int64_t at) {
  ENF_PREPARE(s, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1");
  s->bind(1, key_id).bind(2, at);
  return s->run();
}

// ---- password reset tokens ----

core::error_code insert_reset(connection& c, std::string_view token_hash, std::string_view user_id,
                              std::int64_t expires_at) {
  ENF_PREPARE(s, "INSERT INTO password_resets(token_hash, user_id, created_at, expires_at) VALUES(?1, ?2, ?3, ?4)");
  s->bind(1, token_hash).bind(2, user_id).bind(3, now_s()).bind(4, expires_at);
  return s->run();
}

core::result<std::optional<std::string>> take_reset(connection& c, std::string_view token_hash) {
  std::optional<std::string> user_id;
  {
    ENF_PREPARE(s, "SELECT user_id FROM password_resets WHERE token_hash = ?1 AND expires_at > ?2");
    s->bind(1, token_hash).bind(2, now_s());
    auto r = one<std::string>(*s, [](statement& st) { return st.text(0); });
    if (!r) return r.error();
    user_id = *r;
  }
  ENF_PREPARE(d, "DELETE FROM password_resets WHERE token_hash = ?1");
  d->bind(1, token_hash);
  if (auto ec = d->run()) return ec;
  return user_id;
}

core::error_code delete_user_resets(connection& c, std::string_view user_id) {
  ENF_PREPARE(s, "DELETE FROM password_resets WHERE user_id = ?1");
  s->bind(1, user_id);
  return s->run();
}

// ---- audit log ----

core::error_code audit(connection& c, std::string_view subject_id, std::string_view actor_id, std::string_view action,
                       std::string_view detail, std::string_view client_address) {
  ENF_PREPARE(s,
              "INSERT INTO audit_log(subject_id, actor_id, action, detail, client_address, created_at) "
              "VALUES(NULLIF(?1, ''), NULLIF(?2, ''), ?3, ?4, ?5, ?6)");
  s->bind(1, subject_id).bind(2, actor_id).bind(3, action).bind(4, detail).bind(5, client_address).bind(6, now_s());
  return s->run();
}

core::result<std::vector<audit_entry>> list_audit(connection& c, std::string_view subject_id, std::int64_t after_id,
                                                  std::size_t limit) {
  ENF_PREPARE(s, std::string("SELECT ") + audit_cols.sql() +
                     " FROM audit_log WHERE (?1 = '' OR subject_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
  s->bind(1, subject_id).bind(2, after_id).bind(3, static_cast<std::int64_t>(limit));
  return all<audit_entry>(*s, read_audit);
}

// ---- mail outbox ----

core::error_code enqueue_mail(connection& c, const mail& m, const std::function<std::string(std::int64_t id)>& seal) {
  // The id first, so that the body can be sealed for its row: the writer's transaction holds
  // the write lock, so the next free id stays free until the insert.
  auto id = c.scalar_int("SELECT COALESCE(MAX(id), 0) + 1 FROM mail_outbox");
  if (!id) return id.error();
  const std::string sealed = seal(*id);
  ENF_PREPARE(s,
              "INSERT INTO mail_outbox(id, user_id, recipient, subject, body, body_enc, next_attempt_at, created_at) "
              "VALUES(?1, NULLIF(?2, ''), ?3, ?4, '', ?5, ?6, ?6)");
  s->bind(1, *id).bind(2, m.user_id).bind(3, m.recipient).bind(4, m.subject).bind_blob(5, sealed).bind(6, now_s());
  return s->run();
}

core::result<std::vector<mail>> due_mail(connection& c, std::int64_t now, std::size_t limit) {
  ENF_PREPARE(s, std::string("SELECT ") + mail_cols.sql() +
                     " FROM mail_outbox WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2");
  s->bind(1, now).bind(2, static_cast<std::int64_t>(limit));
  return all<mail>(*s, read_mail);
}

core::error_code mail_sent(connection& c, std::int64_t id) {
  ENF_PREPARE(s, "DELETE FROM mail_outbox WHERE id = ?1");
  s->bind(1, id);
  return s->run();
}

core::error_code mail_failed(connection& c, std::int64_t id, std::int64_t next_attempt_at, std::string_view why) {
  ENF_PREPARE(s,
              "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 "
              "WHERE id = ?1");
  s->bind(1, id).bind(2, next_attempt_at).bind(3, why);
  return s->run();
}

core::result<std::int64_t> mail_pending(connection& c) { return c.scalar_int("SELECT COUNT(*) FROM mail_outbox"); }

core::error_code scan_sealed_mail(connection& c, std::int64_t after, std::size_t limit, std::vector<sealed_mail>& out) {
  static constexpr column_list sealed_cols{"id, body_enc"};
  ENF_PREPARE(s, std::string("SELECT ") + sealed_cols.sql() +
                     " FROM mail_outbox WHERE id > ?1 AND body_enc IS NOT NULL ORDER BY id LIMIT ?2");
  s->bind(1, after).bind(2, static_cast<std::int64_t>(limit));
  auto rows = all<sealed_mail>(*s, [](statement& st) {
    return sealed_mail{st.int64(sealed_cols["id"]), st.blob(sealed_cols["body_enc"])};
  });
  if (!rows) return rows.error();
  out = std::move(*rows);
  return {};
}

core::error_code replace_sealed_mail(connection& c, std::int64_t id, std::string_view old_blob,
                                     std::string_view new_blob, bool& swapped) {
  ENF_PREPARE(s, "UPDATE mail_outbox SET body_enc = ?3 WHERE id = ?1 AND body_enc = ?2");
  s->bind(1, id).bind_blob(2, old_blob).bind_blob(3, new_blob);
  if (auto rc = s->run()) return rc;
  swapped = c.changes() > 0;
  return {};
}

// ---- tables ----

core::result<std::vector<std::string>> table_names(connection& c) {
  ENF_PREPARE(s, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  return all<std::string>(*s, [](statement& st) { return st.text(0); });
}

core::result<std::int64_t> count_rows_mentioning(connection& c, std::string_view table, std::string_view value) {
  // Table names come from table_names() (sqlite_schema), never from a client.
  std::vector<std::string> cols;
  {
    ENF_PREPARE(s, "SELECT name FROM pragma_table_info(?1)");
    s->bind(1, table);
    auto r = all<std::string>(*s, [](statement& st) { return st.text(0); });
    if (!r) return r.error();
    cols = std::move(*r);
  }
  if (cols.empty()) return std::int64_t{0};
  std::string sql = "SELECT COUNT(*) FROM \"" + std::string(table) + "\" WHERE ";
  for (std::size_t i = 0; i < cols.size(); ++i)
    sql += (i ? " OR " : "") + std::string("instr(CAST(\"") + cols[i] + "\" AS TEXT), ?1) > 0";
  ENF_PREPARE(s, sql);
  s->bind(1, value);
  auto r = one<std::int64_t>(*s, [](statement& st) { return st.int64(0); });
  if (!r) return r.error();
  return r->value_or(0);
}

}  // namespace enfinito::store::accounts
