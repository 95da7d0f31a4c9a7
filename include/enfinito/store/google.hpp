#pragma once
/**
 * @file store::google: the SQL of Google Sign-In (migration 4): linked Google identities and
 * the short-lived sign-in flows. Same conventions as store::accounts: every function takes
 * the `connection&` of a store write or read function; times are unix seconds.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store::google {

/** A linked Google account: these fields and nothing else (P3). */
struct identity {
  std::string user_id;
  std::string sub;
  std::string email;
  std::string name;
  std::string picture_url;
  std::int64_t linked_at = 0;
};

/** A sign-in or link flow in progress. */
struct flow {
  std::string state_hash;
  std::string sealed;   // nonce and PKCE verifier, sealed under a key from `state`
  std::string purpose;  // sign_in | link
  std::string user_id;  // link: the signed-in user; empty for sign_in
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  bool age_confirmed = false;  // sign_in: the person confirmed they are 16 or over (migration 24)
};

/** Live flows at most; a new flow beyond it is refused with `error::constraint`. */
inline constexpr std::int64_t max_live_flows = 100'000;

/** Removes expired flows, then inserts `f` (refused past `max_live_flows`). */
core::error_code insert_flow(connection& c, const flow& f, std::int64_t now);
/** Deletes and returns the live flow with this state hash: each flow is usable once. */
core::result<std::optional<flow>> take_flow(connection& c, std::string_view state_hash, std::int64_t now);
core::result<std::int64_t> count_flows(connection& c);
/** Removes at most `limit` expired flows (housekeeping); sets `removed`. */
core::error_code purge_flows(connection& c, std::int64_t now, std::size_t limit, std::size_t& removed);

/** `error::constraint` when the sub or the user is already linked. */
core::error_code insert_identity(connection& c, const identity& id);
core::result<std::optional<identity>> find_by_sub(connection& c, std::string_view sub);
core::result<std::optional<identity>> find_by_user(connection& c, std::string_view user_id);
/** Refreshes email, name and picture from a newer ID token. */
core::error_code update_identity(connection& c, const identity& id);
/** `error::not_found` when the user has no Google link. */
core::error_code delete_identity(connection& c, std::string_view user_id);

}  // namespace enfinito::store::google
