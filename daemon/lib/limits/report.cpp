// limits::tenant_json, usage_json, read_overrides and export_json: a tenant's limits and usage
// as the API shows them (limits/report.hpp).
#include <enfinito/limits/report.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/store/error.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>

namespace enfinito::limits {
namespace {

namespace json = boost::json;

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object rate_json(const rate& r) {
  return {{"per_second", r.per_s}, {"burst", r.burst}, {"limited", !r.unlimited()}};
}

}  // namespace

json::object tenant_json(const tenant_view& v, bool enabled) {
  auto q = [](const quota_use& u) { return json::object{{"limit", u.limit}, {"used", u.used}}; };
  const auto& o = v.own;
  return {{"user_id", v.user_id},
          {"rate_limits",
           json::object{{"enabled", enabled}, {"key", rate_json(v.rates.key)}, {"tenant", rate_json(v.rates.tenant)}}},
          {"quotas", json::object{{"instances", q(v.instances)},
                                  {"api_keys", q(v.api_keys)},
                                  {"webhook_endpoints", q(v.webhook_endpoints)}}},
          {"overrides", json::object{{"key_per_s", opt(o.key_per_s)},
                                     {"key_burst", opt(o.key_burst)},
                                     {"tenant_per_s", opt(o.tenant_per_s)},
                                     {"tenant_burst", opt(o.tenant_burst)},
                                     {"max_instances", opt(o.max_instances)},
                                     {"max_api_keys", opt(o.max_api_keys)},
                                     {"max_webhook_endpoints", opt(o.max_webhook_endpoints)}}}};
}

std::string iso_date(std::int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

json::array usage_days_json(const std::vector<store::limits::usage_day>& days) {
  json::array out;
  for (const auto& d : days)
    out.push_back(json::object{{"date", iso_date(d.day)}, {"sent", d.sent}, {"received", d.received}});
  return out;
}

json::object usage_json(const std::string& user_id, const std::vector<store::limits::usage_day>& days) {
  std::int64_t sent = 0, received = 0;
  for (const auto& d : days) {
    sent += d.sent;
    received += d.received;
  }
  return json::object{{"user_id", user_id},
                      {"days", usage_days_json(days)},
                      {"total", json::object{{"sent", sent}, {"received", received}}}};
}

std::variant<store::limits::overrides, core::field_refusal> read_overrides(const json::value& body) {
  struct field {
    const char* name;
    std::optional<std::int64_t> store::limits::overrides::*member;
    std::int64_t lo, hi;
  };
  static constexpr field fields[] = {
      {"key_per_s", &store::limits::overrides::key_per_s, 0, 1'000'000},
      {"key_burst", &store::limits::overrides::key_burst, 1, 10'000'000},
      {"tenant_per_s", &store::limits::overrides::tenant_per_s, 0, 1'000'000},
      {"tenant_burst", &store::limits::overrides::tenant_burst, 1, 10'000'000},
      {"max_instances", &store::limits::overrides::max_instances, 0, 1'000'000},
      {"max_api_keys", &store::limits::overrides::max_api_keys, 0, 100},
      {"max_webhook_endpoints", &store::limits::overrides::max_webhook_endpoints, 0, 1'000'000},
  };
  if (!body.is_object()) return core::field_refusal{"", "a JSON object", "invalid_body"};
  store::limits::overrides o;
  for (const auto& [k, v] : body.as_object()) {
    const field* f = nullptr;
    for (const auto& c : fields)
      if (k == c.name) f = &c;
    if (!f) return core::field_refusal{std::string(k), "unknown field"};
    if (v.is_null()) continue;
    if (!v.is_int64() || v.as_int64() < f->lo || v.as_int64() > f->hi)
      return core::field_refusal{std::string(k),
                                 "null or an integer from " + std::to_string(f->lo) + " to " + std::to_string(f->hi)};
    o.*(f->member) = v.as_int64();
  }
  return o;
}

net::awaitable<core::result<json::object>> export_json(context ctx, const std::string& user_id) {
  auto v = co_await read_tenant(ctx, user_id);
  if (!v) co_return v.error();
  if (!*v) co_return make_error_code(store::error::not_found);
  auto days = co_await read_usage_days(ctx, user_id, 0, utc_day(core::wall_ms()));
  if (!days) co_return days.error();
  co_return json::object{{"limits", tenant_json(**v, ctx.rates != nullptr)}, {"usage", usage_days_json(*days)}};
}

}  // namespace enfinito::limits
