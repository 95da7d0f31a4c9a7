#pragma once
/**
 * @file accounts profile: reading a user and changing their name or email. A new email
 * needs the current password (an email is how an account is recovered), checked under the
 * sign-in throttle; an address another account uses is refused without saying whose.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/store/accounts.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace enfinito::accounts {

/** The user `user_id`, or nullopt when there is none. */
net::awaitable<core::result<std::optional<store::accounts::user>>> load_user(context& ctx, const std::string& user_id);
/** The user `user_id` read into `into`; store::error::not_found when there is none. */
net::awaitable<core::error_code> read_user(context& ctx, const std::string& user_id, store::accounts::user& into);

enum class profile_outcome {
  updated,  // `user` holds the profile as it now is
  not_found,
  password_required,  // the email changes and no current password was given
  throttled,          // retry after `wait`
  wrong_password,
  email_taken,
};
struct profile_result {
  core::error_code ec;
  profile_outcome outcome = profile_outcome::updated;
  std::chrono::seconds wait{};
  store::accounts::user user;
};

/**
 * Sets `name` and/or `email` (validated, normalised; at least one given). `current_password`
 * is checked only when the email really changes.
 */
net::awaitable<profile_result> update_profile(context& ctx, const std::string& user_id,
                                              const std::optional<std::string>& name,
                                              const std::optional<std::string>& email,
                                              const std::optional<std::string>& current_password,
                                              const std::string& address);

}  // namespace enfinito::accounts
