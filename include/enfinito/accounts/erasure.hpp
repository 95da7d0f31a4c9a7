#pragma once
/**
 * @file accounts export and deletion (P8, P4): a user's copy of their data and the end of
 * their account.
 *
 * The export is one JSON document: the small parts (profile, keys, sessions, the policy notices
 * mailed, and the sections other modules add: instances, Google identity, limits and usage) are
 * read at once; the parts that grow with
 * use (the audit log, message logs) are streamed page by page, each page one store read, so
 * an export never holds a large account in memory. Pages are read one after another, not in
 * one snapshot: a row written meanwhile may or may not appear, which is fine for a copy of
 * one's data. Sections keep secrets out (no credentials, no hashes).
 *
 * Deletion is one transaction: the user row goes, and ON DELETE CASCADE takes sessions, keys,
 * reset tokens, queued mail, audit entries about the user and whatever hangs off users(id).
 * The deletion itself is audited and logged by opaque id only. The caller then invalidates
 * the API-key and instance caches.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::accounts {

/**
 * A part of the personal-data export. Runs on a store reader with a read-only connection and
 * adds its members to `out` (e.g. `out["instances"] = ...`), for the user `user_id` only.
 */
using export_section =
    std::function<core::error_code(store::connection& c, const std::string& user_id, boost::json::object& out)>;
/** Adds a section to every export. Call at startup, before the server runs (not thread-safe). */
void add_export_section(std::string name, export_section fn);

/**
 * A part of the export that grows with use, streamed one page at a time: fills `page` with at
 * most `limit` JSON values for `user_id`, starting after `cursor` (empty: from the start), and
 * sets `cursor` to resume after this page, or empty when this was the last page. Runs on a
 * store reader.
 */
using export_pager = std::function<core::error_code(store::connection& c, const std::string& user_id,
                                                    std::string& cursor, std::size_t limit, boost::json::array& page)>;
/** Adds a streamed array member `name` to every export (startup only, not thread-safe). */
void add_export_stream(std::string name, export_pager fn);

/**
 * Produces the export's text one piece at a time: fills `chunk`, answers true while more
 * follows and false with the last piece. Each call runs on the caller's executor.
 */
using export_producer = std::function<net::awaitable<boost::system::result<bool>>(std::string& chunk)>;

/**
 * Reads the export's small parts for `user_id` (`session_id` marks the caller's session) and
 * returns the producer of the whole document; store::error::not_found when there is no user.
 * `extra`: members the caller read elsewhere (the limits in force and usage, which need the
 * daemon's live counters; api::limits_export), put first. The producer keeps a pointer to
 * `ctx.db` (the app's store outlives every request).
 */
net::awaitable<core::result<export_producer>> start_export(context& ctx, const std::string& user_id,
                                                           const std::string& session_id,
                                                           boost::json::object extra = {});

/** Deletes the account `user_id` and everything that hangs off it, audited. */
net::awaitable<core::error_code> delete_account(context& ctx, const std::string& user_id, const std::string& address);

/**
 * The deletion's transaction, shared by the self-service, the administrator's and
 * `enfinitoctl delete-user`: the cascade, then one audit entry naming no one but the actor
 * (`actor_id`, empty for the user themself or the operator) and how (`detail`, e.g.
 * "by=administrator"). store::error::not_found when there is no such user.
 */
core::error_code erase_user(store::connection& c, std::string_view user_id, std::string_view actor_id,
                            std::string_view detail, std::string_view address);

/** An administrator deletes `user_id` (never themself: the route refuses that first). */
net::awaitable<core::error_code> delete_by_admin(context& ctx, const std::string& user_id, const std::string& actor_id,
                                                 const std::string& address);

// ---- data rights for every account state (issue 20) -------------------------------------
//
// A pending, rejected or suspended user cannot sign in, and a Google sign-up may have no
// password at all; they still own their data. On request, a single-use link is mailed to the
// account's address (proof of the mailbox, like a password reset): with it, one export or one
// deletion, within `auth.reset_token_ttl_s`. The request answers the same whether or not the
// address has an account; requests are limited per client address and per email.

/** What a data-rights link does. */
enum class data_action { export_data, delete_account };
std::string_view action_name(data_action a) noexcept;  // "export" | "delete"
std::optional<data_action> parse_action(std::string_view name) noexcept;

/** Mails a link for `action` to the account of `email` (normalised), whatever its status. */
struct data_link_request {
  core::error_code ec;
  bool throttled = false;  // retry after `wait`
  std::chrono::seconds wait{};
};
net::awaitable<data_link_request> request_data_link(context& ctx, const std::string& email, data_action action,
                                                    const std::string& address);

/** Consumes the link `token` for `action`: its user, or nullopt when unknown, used or expired. */
net::awaitable<core::result<std::optional<std::string>>> redeem_data_link(context& ctx, const std::string& token,
                                                                          data_action action,
                                                                          const std::string& address);

}  // namespace enfinito::accounts
