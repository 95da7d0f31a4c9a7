#pragma once
/**
 * @file instances::view: what a user sees of an instance, for the answers of /v1/instances
 * (api/instances_routes.cpp) and the instances part of the account export (GET /v1/me/export).
 *
 * The view decrypts only what it shows (the phone number, WABA and app ids, the webhook verify
 * token), on the blocking pool, and wipes the verify token's copy once it is in the JSON. The
 * access token is masked to its last four characters, the app secret fully. The onboarding and
 * webhook health (instances/onboarding.hpp) join webhook times noted in memory and not flushed
 * yet; the closed-window policy shows as stored and as a send applies it now (issue 19).
 * The export carries no credential at all, not even the ids.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/instances.hpp>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store {
class store;
class connection;
}  // namespace enfinito::store
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::instances {

class webhook_activity;

/** What a view needs of the daemon. */
struct view_context {
  store::store& db;
  crypto::vault_source& vault;
  net::thread_pool& blocking;
  const config::settings& cfg;
  const webhook_activity* activity = nullptr;  // webhook times not flushed yet; may be null
};

/** "****" and the token's last four characters. Pure. */
std::string masked_token(std::string_view last4);

/** The public view of `row`; nothing when a shown credential did not open (logged). */
net::awaitable<std::optional<boost::json::object>> view(view_context ctx, const store::instances::instance& row);

/** A page of the caller's instances, as views. */
struct view_page {
  enum class kind { done, store_failed, vault_failed };
  kind what = kind::done;
  core::error_code ec;              // store_failed
  boost::json::array data;          // done
  std::optional<std::string> next;  // done: the cursor to the next page, if any
};

/** Up to `limit` of `user_id`'s instances after the id `after`, those `visible` lets through
    (an API key's scope) shown. */
net::awaitable<view_page> list_views(view_context ctx, std::string user_id, std::string after, std::size_t limit,
                                     std::function<bool(std::string_view)> visible);

/** The instances section of the account export (P8): names, numbers, states, the masked token;
    no credential. Runs in the export's read. */
core::error_code export_section(store::connection& c, const std::string& user_id, boost::json::object& out);

}  // namespace enfinito::instances
