#pragma once
/**
 * @file api accounts: the account routes (sign-up, sign-in, sessions, password reset, profile,
 * export, deletion, API keys, admin approval) and the pieces other modules reuse:
 * - `apply_user_action`: approve / reject / suspend / reinstate, shared by the admin API and
 *   `enfinitoctl approve`;
 * - `add_export_section`: how later features (instances, messages, webhooks, Google identity)
 *   add their part to `GET /v1/me/export`.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/http/router.hpp>
#include <enfinito/store/connection.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace enfinito::api {

/** Registers the accounts routes (called by register_all). */
void register_accounts_routes(http::router& r, services& s);

/** The outcome of an admin action on a user. */
enum class user_action_result { done, not_found, invalid_transition };

/**
 * Runs inside a store write: moves the user `user_id` through `action` ("approve": pending →
 * active and the approval mail; "reject": pending → rejected; "suspend": active → suspended and
 * every session ended; "reinstate": suspended → active), with an audit entry by `actor_id`
 * (empty: the operator via enfinitoctl); `vault` seals the mail's body. A suspend's status change
 * reaches the API-key cache through the change stream, so the user's API keys fail at once.
 */
core::error_code apply_user_action(store::connection& c, const config::settings& cfg, const crypto::vault& vault,
                                   std::string_view user_id,
                                   std::string_view action, std::string_view actor_id, std::string_view address,
                                   user_action_result& outcome);

/**
 * A part of the personal-data export. Runs on a store reader with a read-only connection and
 * adds its members to `out` (e.g. `out["instances"] = ...`), for the user `user_id` only.
 * Sections must keep secrets out (no credentials, no hashes).
 */
using export_section = std::function<core::error_code(store::connection& c, const std::string& user_id,
                                                      boost::json::object& out)>;
/** Adds a section to every export. Call at startup, before the server runs (not thread-safe). */
void add_export_section(std::string name, export_section fn);

/**
 * A part of the export that grows with use (audit log, message logs), streamed one page at a
 * time so the export never holds it whole: fills `page` with at most `limit` JSON values for
 * `user_id`, starting after `cursor` (empty: from the start), and sets `cursor` to resume
 * after this page, or empty when this was the last page. Runs on a store reader.
 */
using export_pager = std::function<core::error_code(store::connection& c, const std::string& user_id,
                                                    std::string& cursor, std::size_t limit,
                                                    boost::json::array& page)>;
/** Adds a streamed array member `name` to every export (startup only, not thread-safe). */
void add_export_stream(std::string name, export_pager fn);

}  // namespace enfinito::api
