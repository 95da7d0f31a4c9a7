#pragma once
/**
 * @file accounts passwords: change (the current password first; every other session ends)
 * and reset by mail. A reset request answers the same whether or not the address has an
 * account, in about the same time (one write either way); the link's token exists only in the
 * sealed mail, the store keeps its SHA-256. Using a link sets the password, ends every
 * session and voids every other link of the user.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>

#include <chrono>
#include <string>

namespace enfinito::accounts {

/** Mails a reset link to `email` (normalised) when its account may reset (policy.hpp). */
net::awaitable<core::error_code> request_reset(context& ctx, const std::string& email, const std::string& address);

enum class reset_outcome { done, busy, invalid_token };
struct reset_result {
  core::error_code ec;
  reset_outcome outcome = reset_outcome::done;
};
/** Sets `password` (valid length) for the user of the reset link `token`. */
net::awaitable<reset_result> reset_password(context& ctx, const std::string& token, const std::string& password,
                                            const std::string& address);

enum class change_outcome { done, not_found, throttled, wrong_password, busy };
struct change_result {
  core::error_code ec;
  change_outcome outcome = change_outcome::done;
  std::chrono::seconds wait{};  // when throttled
};
/** Replaces the password of `user_id` after checking `current`; sessions but `keep_session` end. */
net::awaitable<change_result> change_password(context& ctx, const std::string& user_id, const std::string& keep_session,
                                              const std::string& current, const std::string& fresh,
                                              const std::string& address);

}  // namespace enfinito::accounts
