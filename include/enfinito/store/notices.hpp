#pragma once
/**
 * @file store::notices: the SQL of policy notices mailed to every active user (migration 19;
 * app/notify_ctl.hpp runs them). Same conventions as store::accounts: the `connection&` of a
 * store write, unix seconds.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::notices {

struct recipient {
  std::string user_id;
  std::string email;
};

/** At most `limit` active users not yet recorded for `notice_id`, in id order. */
core::result<std::vector<recipient>> unsent(connection& c, std::string_view notice_id, std::size_t limit);

/** Records that `user_id`'s mail for `notice_id` is queued (in the same write as the mail). */
core::error_code record(connection& c, std::string_view notice_id, std::string_view user_id, std::int64_t now);

/** One notice queued for a user, as the personal-data export lists it. */
struct sent_notice {
  std::string notice_id;
  std::int64_t queued_at = 0;
};
/** The notices recorded for `user_id`, oldest first (at most `limit`). */
core::result<std::vector<sent_notice>> for_user(connection& c, std::string_view user_id, std::size_t limit);

/** How many users are recorded for `notice_id`. */
core::result<std::int64_t> recorded(connection& c, std::string_view notice_id);

}  // namespace enfinito::store::notices
