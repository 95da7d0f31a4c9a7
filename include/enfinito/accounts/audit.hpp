#pragma once
/**
 * @file accounts audit: what administrators read of the account records: the audit log, a
 * page at a time (newest first, with a cursor), and the users by status. Entries name users
 * by opaque id and never hold a secret or an email address (store::accounts::audit).
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/audit.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace enfinito::accounts {

/** One page of the audit log: at most the filter's limit, `more` when older entries follow. */
struct audit_page {
  std::vector<store::accounts::audit_entry> entries;
  bool more = false;
};
net::awaitable<core::result<audit_page>> read_audit(context& ctx, const store::audit::filter& want);

/** An entry's detail ("key=key_… fields=name,email") as an object; free text as {"text": …}. */
boost::json::object audit_detail(std::string_view detail);

/** An entry as the audit routes show it (unix milliseconds, null for an absent actor/subject/address). */
boost::json::object audit_entry_json(const store::accounts::audit_entry& a);
/** A page as the audit routes answer it: {"data": [entries], "next_cursor": id or null}. */
boost::json::object audit_page_json(const audit_page& page);

/** Whether `status` names an account status (the filter of the users list). */
bool is_status(std::string_view status) noexcept;

/** Every user (up to 1000), or those with `status` when it is not empty. */
net::awaitable<core::result<std::vector<store::accounts::user>>> list_users(context& ctx, const std::string& status);

}  // namespace enfinito::accounts
