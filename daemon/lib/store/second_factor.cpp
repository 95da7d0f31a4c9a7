// store::second_factor: the SQL of TOTP secrets, recovery codes and sign-in challenges (see
// include/enfinito/store/second_factor.hpp).
#include <enfinito/store/second_factor.hpp>
#include <enfinito/store/error.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

namespace enfinito::store::second_factor {
namespace {

constexpr column_list factor_cols{"user_id, secret_blob, confirmed_at, last_step, created_at, enrolling_session"};
constexpr column_list secret_cols{"user_id, secret_blob"};
static_assert(factor_cols.extends(secret_cols), "a secret is the start of a factor's row");

}  // namespace

core::result<std::optional<factor>> get(connection& c, std::string_view user_id) {
  ENF_PREPARE(s, std::string("SELECT ") + factor_cols.sql() + " FROM user_totp WHERE user_id = ?1");
  s->bind(1, user_id);
  core::error_code ec;
  std::optional<factor> out;
  if (s->step(ec)) {
    factor f;
    f.user_id = s->text(factor_cols["user_id"]);
    f.secret_blob = s->blob(factor_cols["secret_blob"]);
    if (!s->is_null(factor_cols["confirmed_at"])) f.confirmed_at = s->int64(factor_cols["confirmed_at"]);
    f.last_step = s->int64(factor_cols["last_step"]);
    f.created_at = s->int64(factor_cols["created_at"]);
    if (!s->is_null(factor_cols["enrolling_session"])) f.enrolling_session = s->text(factor_cols["enrolling_session"]);
    out = std::move(f);
  }
  s->reset();
  if (ec) return ec;
  return out;
}

core::error_code enrolled(connection& c, std::string_view user_id, bool& out) {
  ENF_PREPARE(s, "SELECT 1 FROM user_totp WHERE user_id = ?1 AND confirmed_at IS NOT NULL");
  s->bind(1, user_id);
  return has_row(*s, out);
}

core::error_code begin(connection& c, std::string_view user_id, std::string_view secret_blob, std::int64_t now,
                       std::string_view session_id) {
  // Only an unconfirmed enrolment is replaced: a working factor is removed with a code first.
  ENF_PREPARE(s,
              "INSERT INTO user_totp(user_id, secret_blob, confirmed_at, last_step, created_at, enrolling_session) "
              "VALUES(?1, ?2, NULL, 0, ?3, NULLIF(?4, '')) ON CONFLICT(user_id) DO UPDATE SET "
              "secret_blob = excluded.secret_blob, last_step = 0, created_at = excluded.created_at, "
              "enrolling_session = excluded.enrolling_session WHERE user_totp.confirmed_at IS NULL");
  s->bind(1, user_id).bind_blob(2, secret_blob).bind(3, now).bind(4, session_id);
  if (auto ec = s->run()) return ec;
  return c.changes() ? core::error_code{} : make_error_code(error::constraint);
}

core::error_code confirm(connection& c, std::string_view user_id, std::int64_t step, std::int64_t now) {
  ENF_PREPARE(s,
              "UPDATE user_totp SET confirmed_at = ?3, last_step = ?2, enrolling_session = NULL "
              "WHERE user_id = ?1 AND confirmed_at IS NULL");
  s->bind(1, user_id).bind(2, step).bind(3, now);
  if (auto ec = s->run()) return ec;
  return c.changes() ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code use_step(connection& c, std::string_view user_id, std::int64_t step) {
  ENF_PREPARE(s,
              "UPDATE user_totp SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2 AND confirmed_at IS NOT NULL");
  s->bind(1, user_id).bind(2, step);
  if (auto ec = s->run()) return ec;
  return c.changes() ? core::error_code{} : make_error_code(error::constraint);
}

core::error_code remove(connection& c, std::string_view user_id) {
  {
    ENF_PREPARE(codes, "DELETE FROM recovery_codes WHERE user_id = ?1");
    codes->bind(1, user_id);
    if (auto ec = codes->run()) return ec;
  }
  ENF_PREPARE(s, "DELETE FROM user_totp WHERE user_id = ?1");
  s->bind(1, user_id);
  if (auto ec = s->run()) return ec;
  return c.changes() ? core::error_code{} : make_error_code(error::not_found);
}

core::error_code set_recovery_codes(connection& c, std::string_view user_id, const std::vector<std::string>& hashes) {
  {
    ENF_PREPARE(d, "DELETE FROM recovery_codes WHERE user_id = ?1");
    d->bind(1, user_id);
    if (auto ec = d->run()) return ec;
  }
  ENF_PREPARE(s, "INSERT INTO recovery_codes(user_id, code_hash) VALUES(?1, ?2)");
  for (const auto& h : hashes) {
    s->bind(1, user_id).bind(2, h);
    if (auto ec = s->run()) return ec;
  }
  return {};
}

core::error_code take_recovery_code(connection& c, std::string_view user_id, std::string_view hash, bool& taken) {
  ENF_PREPARE(s, "DELETE FROM recovery_codes WHERE user_id = ?1 AND code_hash = ?2");
  s->bind(1, user_id).bind(2, hash);
  if (auto ec = s->run()) return ec;
  taken = c.changes() > 0;
  return {};
}

core::result<std::int64_t> count_recovery_codes(connection& c, std::string_view user_id) {
  ENF_PREPARE(s, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1");
  s->bind(1, user_id);
  std::int64_t n = 0;
  if (auto ec = read_value(*s, n)) return ec;
  return n;
}

core::error_code insert_challenge(connection& c, std::string_view token_hash, std::string_view user_id,
                                  std::string_view method, std::int64_t expires_at, std::int64_t now) {
  {
    // Bounded, so that a sign-in never pays for a large backlog.
    ENF_PREPARE(sweep,
                "DELETE FROM signin_challenges WHERE rowid IN "
                "(SELECT rowid FROM signin_challenges WHERE expires_at <= ?1 LIMIT 64)");
    sweep->bind(1, now);
    if (auto ec = sweep->run()) return ec;
  }
  ENF_PREPARE(s, "INSERT INTO signin_challenges(token_hash, user_id, method, expires_at) VALUES(?1, ?2, ?3, ?4)");
  s->bind(1, token_hash).bind(2, user_id).bind(3, method).bind(4, expires_at);
  return s->run();
}

core::result<std::optional<challenge>> find_challenge(connection& c, std::string_view token_hash, std::int64_t now) {
  static constexpr column_list challenge_cols{"user_id, method"};
  ENF_PREPARE(s, std::string("SELECT ") + challenge_cols.sql() +
                     " FROM signin_challenges WHERE token_hash = ?1 AND expires_at > ?2");
  s->bind(1, token_hash).bind(2, now);
  core::error_code ec;
  std::optional<challenge> out;
  if (s->step(ec)) out = challenge{s->text(challenge_cols["user_id"]), s->text(challenge_cols["method"])};
  s->reset();
  if (ec) return ec;
  return out;
}

core::error_code delete_challenge(connection& c, std::string_view token_hash) {
  ENF_PREPARE(s, "DELETE FROM signin_challenges WHERE token_hash = ?1");
  s->bind(1, token_hash);
  return s->run();
}

core::error_code restrict_session(connection& c, std::string_view session_id, std::string_view user_id) {
  ENF_PREPARE(s, "INSERT OR IGNORE INTO enrolment_sessions(session_id, user_id) VALUES(?1, ?2)");
  s->bind(1, session_id).bind(2, user_id);
  return s->run();
}

core::error_code session_restricted(connection& c, std::string_view session_id, bool& out) {
  ENF_PREPARE(s, "SELECT 1 FROM enrolment_sessions WHERE session_id = ?1");
  s->bind(1, session_id);
  return has_row(*s, out);
}

core::error_code lift_restrictions(connection& c, std::string_view user_id) {
  ENF_PREPARE(s, "DELETE FROM enrolment_sessions WHERE user_id = ?1");
  s->bind(1, user_id);
  return s->run();
}

core::error_code scan_secrets(connection& c, std::string_view after, std::size_t limit,
                              std::vector<sealed_secret>& out) {
  ENF_PREPARE(
      s, std::string("SELECT ") + secret_cols.sql() + " FROM user_totp WHERE user_id > ?1 ORDER BY user_id LIMIT ?2");
  s->bind(1, after).bind(2, static_cast<std::int64_t>(limit));
  core::error_code ec;
  while (s->step(ec)) out.push_back({s->text(secret_cols["user_id"]), s->blob(secret_cols["secret_blob"])});
  s->reset();
  return ec;
}

core::error_code replace_secret(connection& c, std::string_view id, std::string_view old_blob,
                                std::string_view new_blob, bool& swapped) {
  ENF_PREPARE(s, "UPDATE user_totp SET secret_blob = ?3 WHERE user_id = ?1 AND secret_blob = ?2");
  s->bind(1, id).bind_blob(2, old_blob).bind_blob(3, new_blob);
  if (auto ec = s->run()) return ec;
  swapped = c.changes() > 0;
  return {};
}

}  // namespace enfinito::store::second_factor
