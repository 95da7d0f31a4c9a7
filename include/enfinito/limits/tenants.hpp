#pragma once
/**
 * @file limits::tenants: the flows behind the fair-share routes, free of HTTP: a tenant's
 * effective limits (defaults with its override) and what it uses, an administrator's override
 * (stored, applied to the live limiter, audited in one write), and usage per day.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/limits/limiter.hpp>
#include <enfinito/limits/usage.hpp>
#include <enfinito/store/limits.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::limits {

struct context {
  const config::settings& cfg;
  store::store& db;
  limiter* rates = nullptr;     // null: rate limits off
  usage_book* usage = nullptr;  // null: only flushed figures
};

/** An override's rates over the settings' defaults (a field left empty keeps the default). */
tenant_rates to_rates(const store::limits::overrides& o, const config::rate_limit_settings& d);

struct quota_use {
  std::int64_t limit = 0;
  std::int64_t used = 0;
};

struct tenant_view {
  std::string user_id;
  policy rates;  // effective
  quota_use instances, api_keys, webhook_endpoints;
  store::limits::overrides own;  // the override as stored (empty fields: defaults)
};

/** The tenant's view; nullopt when there is no such user. */
net::awaitable<core::result<std::optional<tenant_view>>> read_tenant(context ctx, std::string user_id);

/**
 * Replaces the tenant's override (all empty: back to the defaults), audited with `actor` and
 * `address`, then applies its rates to the limiter. store::error::not_found: no such user.
 */
net::awaitable<core::error_code> set_override(context ctx, std::string user_id, store::limits::overrides o,
                                              std::string actor, std::string address);

/** Loads every override into the limiter (startup, before the reactors serve). */
core::error_code load_overrides(context ctx);

/**
 * The tenant's usage for the `days` UTC days ending today (`today` from utc_day), oldest first,
 * one entry per day (zeros included), flushed and unflushed counts together.
 */
net::awaitable<core::result<std::vector<store::limits::usage_day>>> read_usage(context ctx, std::string user_id,
                                                                               std::int64_t today, int days);

/**
 * The tenant's days with messages in [from_day, to_day], oldest first (days without any are
 * absent), flushed and unflushed counts together: what the personal-data export lists.
 */
net::awaitable<core::result<std::vector<store::limits::usage_day>>> read_usage_days(context ctx, std::string user_id,
                                                                                    std::int64_t from_day,
                                                                                    std::int64_t to_day);

/** Adds the counted-but-unflushed usage to usage_daily (a store write) and drops old rows. */
core::error_code flush_usage(store::connection& c, usage_book& book, std::int64_t now_ms, std::int64_t keep_days,
                             std::size_t batch, std::size_t& removed);

}  // namespace enfinito::limits
