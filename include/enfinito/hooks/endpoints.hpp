#pragma once
/**
 * @file hooks::endpoints: the writes behind a customer's webhook endpoints
 * (`/v1/instances/{id}/webhooks…`, api/hooks_routes.cpp parses, authenticates and shapes):
 * the target URL check at registration (the SSRF policy: the URL's form, a literal address,
 * and every address the host resolves to now; hooks::engine checks again at every connect),
 * creating an endpoint with a new signing secret sealed by the vault, changing and deleting
 * one (each with its audit record), rotating that secret, queuing a delivery again, and
 * queuing a `webhook.test` delivery.
 *
 * Secrets: a new secret is returned to the caller once (create and rotate only) and reaches
 * the store only sealed (AAD: store::hooks::table, endpoint id, store::hooks::secret_field).
 * Tenancy: the caller passes an endpoint it read with the user's id (store::hooks::get).
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/hooks/endpoint_fields.hpp>
#include <enfinito/store/audit.hpp>
#include <enfinito/store/hooks.hpp>

#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::hooks {

/** What the endpoint writes need of the daemon. */
struct endpoint_context {
  store::store& db;
  crypto::vault_source& vault;
  net::thread_pool& blocking;
  const config::customer_webhooks_settings& settings;
  store::audit::actor who{};  // recorded with create and rotate, in their write
  // The tenant's quota of endpoints across its instances ([quotas] webhook_endpoints, or its
  // override: store/limits.hpp), checked in the insert's transaction.
  std::int64_t tenant_quota = INT64_MAX;
};

/**
 * The audit detail of a change to `e`: its ids, and the names of the fields changed (never a
 * URL or a secret: a URL may carry a customer's token in its path).
 */
std::string audit_detail(const store::hooks::endpoint& e, bool url = false, bool event_types = false,
                         bool format = false, bool state = false);

/** Why `url` may not be a webhook target, or empty when it may. */
net::awaitable<std::string> check_target(const config::customer_webhooks_settings& c, const std::string& url);

struct created {
  core::error_code ec;
  bool too_many = false;  // the instance has max_endpoints_per_instance already: nothing stored
  // Set: the tenant has its quota (this many, possibly 0) already: nothing stored. Optional, as
  // an administrator's quota of 0 is a quota too (a plain 0 here once read as "room left").
  std::optional<std::int64_t> over_quota;
  core::secret_string secret;
};
/**
 * Stores `e` (the route filled id, user, instance, url, event types, format, times) with a new
 * sealed signing secret, unless the instance is at its cap. Sets `e.secret_blob`.
 */
net::awaitable<created> create_endpoint(endpoint_context ctx, store::hooks::endpoint& e);

struct found {
  core::error_code ec;
  bool instance = false;  // the instance is the user's
  bool endpoint = false;  // and the endpoint is the instance's (when asked for)
  store::hooks::endpoint ep;
};
/** Reads the user's instance, and its endpoint `webhook_id` when not empty; one read. */
net::awaitable<found> find_endpoint(store::store& db, std::string user_id, std::string instance_id,
                                    std::string webhook_id);

/** A new endpoint of `user_id`'s instance from a create body (id and times set, no secret yet). */
store::hooks::endpoint draft_endpoint(const std::string& user_id, const std::string& instance_id,
                                      const endpoint_change& in);

struct updated {
  core::error_code ec;  // store::error::not_found: the endpoint is gone
  std::string refused;  // why the new URL may not be a target (check_target): nothing stored
};
/**
 * Applies `change` to `e` (a new URL checked first; a state change sets or clears
 * `paused_reason`), writes it with its audit record (the fields named, never the URL) and
 * reads the row back into `e`.
 */
net::awaitable<updated> update_endpoint(endpoint_context ctx, store::hooks::endpoint& e, endpoint_change change);

/** Deletes `e` with its audit record. store::error::not_found: it is gone already. */
net::awaitable<core::error_code> delete_endpoint(endpoint_context ctx, const store::hooks::endpoint& e);

struct rotated {
  core::error_code ec;  // store::error::not_found: the endpoint is gone
  core::secret_string secret;
};
/** A new signing secret for `e`; sets `e.updated_at`. */
net::awaitable<rotated> rotate_secret(endpoint_context ctx, store::hooks::endpoint& e);

/** The endpoint's deliveries, newest first, below `before` (0: from the newest), at most `limit`. */
net::awaitable<core::error_code> read_deliveries(store::store& db, std::string endpoint_id, std::int64_t before,
                                                 std::size_t limit, std::vector<store::hooks::delivery>& out);

/** Queues delivery `delivery_id` of endpoint `endpoint_id` again; `out` is the delivery after. */
net::awaitable<core::error_code> redeliver(endpoint_context ctx, const std::string& endpoint_id,
                                           const std::string& delivery_id, store::hooks::delivery& out);

/**
 * Queues a `webhook.test` delivery to `e` only, delivered by the engine like any other (a
 * 'meta' endpoint gets a Meta-shaped body with no entries). Sets `delivery_id`.
 */
net::awaitable<core::error_code> send_test_event(endpoint_context ctx, const store::hooks::endpoint& e,
                                                 std::string& delivery_id);

}  // namespace enfinito::hooks
