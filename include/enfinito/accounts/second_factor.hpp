#pragma once
/**
 * @file accounts second_factor: the TOTP second factor's flows (the rules are accounts/totp.hpp).
 *
 *   enrol:    a new random secret, sealed by the vault, stored unconfirmed; shown as base32
 *             and as an otpauth:// URI, and as that URI's QR code to the enrolling session
 *             until confirmed
 *   confirm:  the first right code confirms it and makes the single-use recovery codes
 *             (shown once, stored as SHA-256)
 *   sign-in:  a right password for an enrolled user gives a short-lived challenge instead of a
 *             session; the challenge and a code (or a recovery code) give the session
 *   remove:   with a code (or a recovery code)
 *   reset:    a lost factor, by an administrator (DELETE /v1/admin/users/{id}/second-factor) or
 *             the operator (`enfinitoctl reset-second-factor EMAIL`, for a locked-out
 *             administrator): the factor and its recovery codes go, every session of the user
 *             is signed out, the user is mailed, all in one audited write
 *
 * Codes are throttled with the passwords (auth::runtime's throttle, by account and address),
 * a code's time step is used once, and every enrolment, use, failure and removal is audited
 * in the write that makes it. An administrator without a confirmed factor gets a session that
 * can only enrol (api::authenticate); confirming lifts that restriction on the user's sessions.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/store/accounts.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::crypto {
class vault;
}

namespace enfinito::accounts {

/** How long a sign-in challenge lives (seconds). */
inline constexpr std::int64_t challenge_ttl_s = 300;

struct enrolment {
  core::error_code ec;
  bool already_enrolled = false;  // a confirmed factor exists: remove it first
  core::secret_string secret_base32;
  core::secret_string uri;  // otpauth://…
};
/** Begins (or restarts) an enrolment by the session `session_id` (the only one shown its QR code). */
net::awaitable<enrolment> begin_enrolment(context& ctx, const store::accounts::user& u, const std::string& address,
                                          const std::string& session_id);

/**
 * The QR code (SVG, accounts/qr_svg.hpp) of the waiting enrolment's otpauth:// URI, for the
 * session that began it and only until it is confirmed; `shown` false otherwise. The SVG holds
 * the secret: never logged, served with no-store.
 */
struct enrolment_qr {
  core::error_code ec;
  bool shown = false;
  core::secret_string svg;
};
net::awaitable<enrolment_qr> read_enrolment_qr(context& ctx, const store::accounts::user& u,
                                               const std::string& session_id);

enum class code_verdict { ok, wrong, throttled, not_enrolled };
struct code_result {
  core::error_code ec;
  code_verdict verdict = code_verdict::wrong;
  std::chrono::seconds wait{};
  bool recovery_code_used = false;
};

struct confirmation : code_result {
  std::vector<core::secret_string> recovery_codes;  // shown once
};
/** Confirms the waiting enrolment with `code` (not_enrolled: none is waiting). */
net::awaitable<confirmation> confirm_enrolment(context& ctx, const store::accounts::user& u, const std::string& code,
                                               const std::string& address);

/** Removes the factor after a right code or recovery code. */
net::awaitable<code_result> remove_factor(context& ctx, const store::accounts::user& u, const std::string& code,
                                          const std::string& address);

enum class factor_reset_outcome { done, no_user, not_enrolled };
/**
 * The reset's write, shared by the administrator's route and enfinitoctl: removes `user_id`'s
 * factor (confirmed or pending) and recovery codes, deletes every session of the user, queues
 * mail::second_factor_reset sealed by `v`, and audits `second_factor_reset` with `by` (e.g.
 * "by=administrator") as detail and `actor_id` (empty: the operator). Nothing changes unless
 * `out` is done.
 */
core::error_code reset_factor(store::connection& c, const config::settings& cfg, const crypto::vault& v,
                              std::string_view user_id, std::string_view actor_id, std::string_view by,
                              std::string_view address, factor_reset_outcome& out);

struct factor_reset_result {
  core::error_code ec;
  factor_reset_outcome outcome = factor_reset_outcome::done;
};
/** An administrator (`actor_id`) resets `user_id`'s factor (the caller checked the rules). */
net::awaitable<factor_reset_result> reset_by_admin(context& ctx, const std::string& user_id,
                                                   const std::string& actor_id, const std::string& address);

struct factor_state {
  core::error_code ec;
  bool enrolled = false;  // confirmed
  bool pending = false;   // enrolment begun, not confirmed
  std::int64_t recovery_codes_left = 0;
};
net::awaitable<factor_state> read_factor_state(context& ctx, const std::string& user_id);

/** After a right password: whether `u` must give a code, and then the challenge token. */
struct gate {
  core::error_code ec;
  bool required = false;
  core::secret_string challenge;
};
net::awaitable<gate> second_factor_gate(context& ctx, const store::accounts::user& u, const std::string& method);

/** The sign-in's second step: the challenge and a code or recovery code; a session when they hold. */
struct second_step : code_result {
  bool challenge_invalid = false;  // unknown, used or expired: sign in again
  store::accounts::user user;      // when ok
  std::string method;              // the first step's method ("password")
  std::string session_token;       // when ok: the session opened (accounts/sessions.hpp)
};
net::awaitable<second_step> complete_sign_in(context& ctx, const std::string& challenge, const std::string& code,
                                             const std::string& address);

}  // namespace enfinito::accounts
