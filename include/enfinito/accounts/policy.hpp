#pragma once
/**
 * @file accounts::policy: the account rules as pure functions, free of I/O and of the clock
 * (callers pass `now`), so unit tests state them directly. The flows in this module and the
 * routes in api/ ask these instead of comparing status strings themselves.
 *
 * An account is `pending` (signed up, awaiting an administrator), `active`, `rejected` or
 * `suspended`. Only an active account signs in; an administrator moves accounts between the
 * states along the transitions below and nowhere else.
 */
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::accounts {

/** What a correct password (or a linked Google account) gets for an account's status. */
enum class sign_in_gate { allowed, pending, refused };
sign_in_gate gate_for(std::string_view status) noexcept;

/** One administrator action: from which status to which, and the audit entry it leaves. */
struct transition {
  std::string_view action;  // approve | reject | suspend | reinstate
  std::string_view from;
  std::string_view to;
  std::string_view audit_action;
};
/** The transition `action` makes from `status`, or nullptr when it does not apply. */
const transition* find_transition(std::string_view action, std::string_view status) noexcept;
/** Whether `action` names an administrator action at all. */
bool is_user_action(std::string_view action) noexcept;
/** An administrator may approve or reinstate their own account, never reject or suspend it. */
bool may_act_on_self(std::string_view action) noexcept;

/** A reset link is mailed only to accounts that may still become or be active. */
bool may_request_reset(std::string_view status) noexcept;

/**
 * Deleting an account needs the password unless the caller signed in (by session, not API
 * key) at most `recent_s` seconds ago. Times in unix seconds.
 */
bool delete_needs_password(bool via_api_key, std::int64_t session_created_at, std::int64_t now,
                           std::int64_t recent_s) noexcept;

/** Who did something, as the export names it: "you", "system" (no actor) or "administrator". */
std::string_view actor_label(std::string_view actor_id, std::string_view user_id) noexcept;

/** Google may be unlinked only while a password remains as a way in. */
bool may_unlink_google(bool has_password) noexcept;

inline constexpr std::size_t name_max_chars = 100;
inline constexpr std::size_t email_max_bytes = 254;
/** An account's address, lower-cased, or nullopt: one '@', no spaces or controls, a dotted
    domain, ASCII, nothing that could smuggle a second recipient into a mail header. */
std::optional<std::string> normalize_email(std::string_view in);
/** A person's or an API key's name: 1..100 characters, not only spaces, no control characters. */
bool name_ok(std::string_view in);

}  // namespace enfinito::accounts
