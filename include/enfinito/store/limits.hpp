#pragma once
/**
 * @file store::limits: the SQL of fair shares (migration 20): a tenant's overrides of its rate
 * limits and quotas, what a tenant owns (for the quotas), and usage per UTC day. Same
 * conventions as store::accounts: every function takes the `connection&` of a store read or
 * write; the quota check runs inside the write that creates the thing, so two concurrent
 * creations cannot both pass it.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace enfinito::store::limits {

/** One tenant's overrides; an empty field keeps the setting. */
struct overrides {
  std::optional<std::int64_t> key_per_s, key_burst, tenant_per_s, tenant_burst;
  std::optional<std::int64_t> max_instances, max_api_keys, max_webhook_endpoints;
  std::int64_t updated_at = 0;  // unix ms
  bool empty() const noexcept {
    return !key_per_s && !key_burst && !tenant_per_s && !tenant_burst && !max_instances && !max_api_keys &&
           !max_webhook_endpoints;
  }
};

/** The tenant's overrides (all empty when it has none). */
core::result<overrides> get(connection& c, std::string_view user_id);
/** Replaces the tenant's overrides (all empty: removes the row). */
core::error_code put(connection& c, std::string_view user_id, const overrides& o);
/** Every tenant that has overrides (startup: the limiter's table). */
core::result<std::vector<std::pair<std::string, overrides>>> all(connection& c);

/** What a quota counts. */
enum class quota { instances, api_keys, webhook_endpoints };
/** The quota's name in settings, answers and the admin API: "instances", "api_keys", "webhook_endpoints". */
std::string_view quota_name(quota q) noexcept;

/**
 * Inside the write that would create one more `q`: the tenant's quota (its override, else
 * `default_max`) when it already has that many (refuse), nullopt when one more fits.
 */
core::result<std::optional<std::int64_t>> full(connection& c, std::string_view user_id, quota q,
                                               std::int64_t default_max);
/** How many `q` the tenant has now (unrevoked keys). */
core::result<std::int64_t> count(connection& c, std::string_view user_id, quota q);

/** One tenant's messages on one UTC day. */
struct usage_day {
  std::int64_t day = 0;  // days since 1970-01-01 UTC
  std::int64_t sent = 0;
  std::int64_t received = 0;
};
/** Adds counts to a tenant's day (a row is made when missing). A deleted user's counts are dropped. */
core::error_code add_usage(connection& c, std::string_view user_id, const usage_day& d);
/** The tenant's days in [from_day, to_day], ascending; days without messages are absent. */
core::result<std::vector<usage_day>> usage(connection& c, std::string_view user_id, std::int64_t from_day,
                                           std::int64_t to_day);
/** Deletes usage rows of days before `before_day`, at most `limit`; sets `deleted`. */
core::error_code purge_usage(connection& c, std::int64_t before_day, std::size_t limit, std::size_t& deleted);

}  // namespace enfinito::store::limits
