#pragma once
/**
 * @file store::accounts: typed access to the account tables of migration 2 (users, sessions,
 * api_keys, password_resets, audit_log, mail_outbox). All of the accounts SQL lives in
 * daemon/lib/store/accounts.cpp.
 *
 * Every function takes the `connection&` handed to a `store::write` or `store::read` function
 * and so runs on a store thread, inside the writer's transaction for writes: several calls in
 * one write function commit (or roll back) together. Times are unix seconds. Secrets arrive
 * here only as hashes.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::accounts {

std::int64_t now_s();

struct user {
  std::string id;  // usr_...
  std::string email;
  std::string name;
  std::string password_hash;       // empty: the account has no password
  std::string role = "user";       // admin | user
  std::string status = "pending";  // pending | active | rejected | suspended
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct session {
  std::string id;  // ses_...
  std::string user_id;
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t expires_at = 0;
  std::string client_address;
  std::string method;  // password | google
};

struct api_key {
  std::string id;  // key_...
  std::string user_id;
  std::string name;
  std::string prefix;
  bool read_only = false;
  std::vector<std::string> instance_ids;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_used_at;
  std::optional<std::int64_t> revoked_at;
};

struct audit_entry {
  std::int64_t id = 0;
  std::string subject_id;
  std::string actor_id;
  std::string action;
  std::string detail;
  std::string client_address;
  std::int64_t created_at = 0;
};

/** The mail outbox's sealing: a body is a vault blob bound to (table, row id, field). */
inline constexpr const char* mail_table = "mail_outbox";
inline constexpr const char* mail_body_field = "body";

struct mail {
  std::int64_t id = 0;
  std::string user_id;  // empty: not tied to a user
  std::string recipient;
  std::string subject;
  std::string body;  // plaintext: only in memory (rows written before migration 12 hold it)
  int attempts = 0;
  std::int64_t created_at = 0;  // unix seconds (set by enqueue_mail)
  std::string body_sealed;      // the body as stored since migration 12 (a vault blob); empty: none
};

/** A sealed mail body, for the re-key job. */
struct sealed_mail {
  std::int64_t id = 0;
  std::string blob;
};

// ---- users ----
/** `error::constraint` when the email is taken. */
core::error_code insert_user(connection& c, const user& u);
core::result<std::optional<user>> find_user_by_email(connection& c, std::string_view email);
core::result<std::optional<user>> find_user_by_id(connection& c, std::string_view id);
core::result<std::vector<user>> list_users(connection& c, std::string_view status, std::size_t limit);
/** Sets the status; `error::not_found` when no such user. */
core::error_code set_user_status(connection& c, std::string_view id, std::string_view status);
core::error_code set_user_role(connection& c, std::string_view id, std::string_view role);
core::error_code set_password_hash(connection& c, std::string_view id, std::string_view hash);
/** `error::constraint` when the new email is taken. */
core::error_code update_profile(connection& c, std::string_view id, const std::optional<std::string>& name,
                                const std::optional<std::string>& email);
/** Deletes the user row; ON DELETE CASCADE removes everything hanging off it. */
core::error_code delete_user(connection& c, std::string_view id);

// ---- sessions ----
core::error_code insert_session(connection& c, const session& s, std::string_view token_hash);
/** The live session with that token hash (not past its absolute expiry). */
core::result<std::optional<session>> find_session(connection& c, std::string_view token_hash);
core::error_code touch_session(connection& c, std::string_view id, std::int64_t at);
core::error_code delete_session_by_hash(connection& c, std::string_view token_hash);
core::error_code delete_session(connection& c, std::string_view id);
/** Ends every session of the user except `keep_id` (empty: all). */
core::error_code delete_user_sessions(connection& c, std::string_view user_id, std::string_view keep_id = {});
core::result<std::vector<session>> list_sessions(connection& c, std::string_view user_id);
/** Ends the user's session `id`; `not_found` when the user has no such session. */
core::error_code delete_user_session(connection& c, std::string_view user_id, std::string_view id);
/** Removes sessions past their absolute expiry or idle longer than `idle_s`. */
core::error_code purge_sessions(connection& c, std::int64_t now, std::int64_t idle_s);
/** The housekeeping forms: at most `limit` rows, `removed` set (expired or idle sessions; expired reset tokens). */
core::error_code purge_sessions(connection& c, std::int64_t now, std::int64_t idle_s, std::size_t limit,
                                std::size_t& removed);
core::error_code purge_password_resets(connection& c, std::int64_t now, std::size_t limit, std::size_t& removed);

// ---- API keys ----
core::error_code insert_api_key(connection& c, const api_key& k, std::string_view key_hash);
/** The key with that hash (revoked or not) and its owner's role and status. */
struct key_lookup {
  api_key key;
  std::string role;
  std::string status;
};
core::result<std::optional<key_lookup>> find_api_key(connection& c, std::string_view key_hash);
core::result<std::vector<api_key>> list_api_keys(connection& c, std::string_view user_id);
/** Revokes one of the user's keys; `error::not_found` if it is not theirs or already revoked. */
core::error_code revoke_api_key(connection& c, std::string_view user_id, std::string_view key_id);
core::error_code touch_api_key(connection& c, std::string_view key_id, std::int64_t at);

// ---- password reset tokens ----
core::error_code insert_reset(connection& c, std::string_view token_hash, std::string_view user_id,
                              std::int64_t expires_at);
/** Consumes (deletes) a live token and returns its user id; nullopt if unknown or expired. */
core::result<std::optional<std::string>> take_reset(connection& c, std::string_view token_hash);
core::error_code delete_user_resets(connection& c, std::string_view user_id);

// ---- audit log ----
core::error_code audit(connection& c, std::string_view subject_id, std::string_view actor_id, std::string_view action,
                       std::string_view detail, std::string_view client_address);
core::result<std::vector<audit_entry>> list_audit(connection& c, std::string_view subject_id, std::int64_t after_id,
                                                  std::size_t limit);
/** The filtered reads, newest first, are in store/audit.hpp. */

// ---- mail outbox ----
/** Inserts `m` (recipient, subject, user) with its body sealed: `seal(id)` is called with the
    row's id before the insert and returns the vault blob of the body for that id, so the body's
    plaintext never reaches the database (`body` stays ''). Needs the write transaction (the
    id is the next free one). */
core::error_code enqueue_mail(connection& c, const mail& m, const std::function<std::string(std::int64_t id)>& seal);
/** Mails due at `now`, oldest first. */
core::result<std::vector<mail>> due_mail(connection& c, std::int64_t now, std::size_t limit);
core::error_code mail_sent(connection& c, std::int64_t id);
core::error_code mail_failed(connection& c, std::int64_t id, std::int64_t next_attempt_at, std::string_view why);
core::result<std::int64_t> mail_pending(connection& c);
/** Sealed bodies with id > `after`, by id, at most `limit` (the re-key job). */
core::error_code scan_sealed_mail(connection& c, std::int64_t after, std::size_t limit, std::vector<sealed_mail>& out);
/** Compare-and-swap of a sealed body: `swapped` is false when the row changed or went meanwhile. */
core::error_code replace_sealed_mail(connection& c, std::int64_t id, std::string_view old_blob,
                                     std::string_view new_blob, bool& swapped);

// ---- tables (tests, export) ----
/** Names of every table in the schema (the deletion test checks each one). */
core::result<std::vector<std::string>> table_names(connection& c);
/** Rows of `table` whose any TEXT column equals `value` (tests: nothing of a deleted user left). */
core::result<std::int64_t> count_rows_mentioning(connection& c, std::string_view table, std::string_view value);

}  // namespace enfinito::store::accounts
