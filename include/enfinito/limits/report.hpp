#pragma once
/**
 * @file limits::report: a tenant's limits and usage as the API shows them (the fair-share
 * routes, api/limits_routes.cpp, and the personal-data export's `limits` member): the
 * effective rates, quotas with their use and the override as stored; usage per UTC day with
 * ISO dates and totals; and an administrator's override body read field by field, each an
 * integer in its range or null. Pure, but for export_json, which reads the tenant.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/field_refusal.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/limits/tenants.hpp>
#include <enfinito/store/limits.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace enfinito::limits {

/** The tenant's limits; `enabled`: whether rate limits are on at all. */
boost::json::object tenant_json(const tenant_view& v, bool enabled);

/** A UTC day number (utc_day) as YYYY-MM-DD. */
std::string iso_date(std::int64_t day);

/** `[{date, sent, received}]`, in the order given. */
boost::json::array usage_days_json(const std::vector<store::limits::usage_day>& days);

/** `{user_id, days: usage_days_json, total: {sent, received}}`. */
boost::json::object usage_json(const std::string& user_id, const std::vector<store::limits::usage_day>& days);

/** Reads a PUT …/limits body, an object (a field absent or null: the default); the overrides, or the refusal. */
std::variant<store::limits::overrides, core::field_refusal> read_overrides(const boost::json::value& body);

/**
 * The personal-data export's `limits` member: `{limits: tenant_json, usage: every day with
 * messages}`. store::error::not_found: no such user.
 */
net::awaitable<core::result<boost::json::object>> export_json(context ctx, const std::string& user_id);

}  // namespace enfinito::limits
