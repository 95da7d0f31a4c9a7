#pragma once
/**
 * @file store::second_factor: the SQL of the TOTP second factor (migration 21): the sealed
 * secret per user, the hashed single-use recovery codes, and the sign-in challenges between a
 * right password and the code. Same conventions as store::accounts: every function takes the
 * `connection&` of a store write (or read, for `get`); times are unix seconds; tokens and
 * codes are stored only as SHA-256 hex; the secret only as a vault blob sealed for
 * (`table`, user id, `secret_field`).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::second_factor {

inline constexpr const char* table = "user_totp";
inline constexpr const char* secret_field = "secret";

struct factor {
  std::string user_id;
  std::string secret_blob;
  std::optional<std::int64_t> confirmed_at;
  std::int64_t last_step = 0;
  std::int64_t created_at = 0;
  std::string enrolling_session;  // the session that began an unconfirmed enrolment (migration 24)
};

core::result<std::optional<factor>> get(connection& c, std::string_view user_id);
/** Whether the user has a confirmed factor. */
core::error_code enrolled(connection& c, std::string_view user_id, bool& out);

/** Starts (or restarts) an unconfirmed enrolment by `session_id` (empty: none; the QR code is
    shown only to it); `constraint` when a confirmed one exists. */
core::error_code begin(connection& c, std::string_view user_id, std::string_view secret_blob, std::int64_t now,
                       std::string_view session_id = {});
/** Marks the enrolment confirmed at `step`; `not_found` when there is none waiting. */
core::error_code confirm(connection& c, std::string_view user_id, std::int64_t step, std::int64_t now);
/** Records `step` as used; `constraint` when a step at or after it was used already (a replay). */
core::error_code use_step(connection& c, std::string_view user_id, std::int64_t step);
/** Removes the factor and every recovery code; `not_found` when there was none. */
core::error_code remove(connection& c, std::string_view user_id);

/** Replaces the user's recovery codes with these hashes. */
core::error_code set_recovery_codes(connection& c, std::string_view user_id, const std::vector<std::string>& hashes);
/** Consumes a recovery code; `taken` false when it is not one of the user's (or was used). */
core::error_code take_recovery_code(connection& c, std::string_view user_id, std::string_view hash, bool& taken);
core::result<std::int64_t> count_recovery_codes(connection& c, std::string_view user_id);

/** Stores a sign-in challenge (sweeping a bounded number of expired ones first). */
core::error_code insert_challenge(connection& c, std::string_view token_hash, std::string_view user_id,
                                  std::string_view method, std::int64_t expires_at, std::int64_t now);
struct challenge {
  std::string user_id;
  std::string method;
};
/** The live challenge `token_hash`, left in place (a mistyped code may be typed again). */
core::result<std::optional<challenge>> find_challenge(connection& c, std::string_view token_hash, std::int64_t now);
core::error_code delete_challenge(connection& c, std::string_view token_hash);

/** Marks `session_id` as enrolment-only (an administrator without a factor). */
core::error_code restrict_session(connection& c, std::string_view session_id, std::string_view user_id);
/** Whether `session_id` is enrolment-only. */
core::error_code session_restricted(connection& c, std::string_view session_id, bool& out);
/** Lifts the restriction from every session of the user (a factor was confirmed). */
core::error_code lift_restrictions(connection& c, std::string_view user_id);

/** A sealed secret as key rotation sees it (app/rekey.cpp). */
struct sealed_secret {
  std::string id;  // user id
  std::string blob;
};
core::error_code scan_secrets(connection& c, std::string_view after, std::size_t limit,
                              std::vector<sealed_secret>& out);
core::error_code replace_secret(connection& c, std::string_view id, std::string_view old_blob,
                                std::string_view new_blob, bool& swapped);

}  // namespace enfinito::store::second_factor
