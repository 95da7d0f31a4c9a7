// The fair-share routes: limits and quotas, an administrator's override, usage per day (see
// include/enfinito/api/limits_routes.hpp). Thin: parse, authenticate, call limits/tenants.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/limits_routes.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/limits/tenants.hpp>
#include <enfinito/store/error.hpp>

#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>

namespace enfinito::api {
namespace {

namespace json = boost::json;
using detail::store_problem;
using http::status;

constexpr int max_usage_days = 90;

limits::context flows(services& s) { return {s.cfg, s.db, s.limiter.get(), s.usage.get()}; }

http::response no_user() { return http::problem(status::not_found, "user_not_found", "Not found", "no such user"); }

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object rate_json(const limits::rate& r) {
  return {{"per_second", r.per_s}, {"burst", r.burst}, {"limited", !r.unlimited()}};
}

json::object view_json(const limits::tenant_view& v, bool enabled) {
  auto q = [](const limits::quota_use& u) { return json::object{{"limit", u.limit}, {"used", u.used}}; };
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

net::awaitable<http::response> limits_of(services& s, const std::string& user_id) {
  auto v = co_await limits::read_tenant(flows(s), user_id);
  if (!v) co_return store_problem(v.error());
  if (!*v) co_return no_user();
  co_return http::json_response(status::ok, view_json(**v, s.limiter != nullptr));
}

std::string iso_date(std::int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

net::awaitable<http::response> usage_of(services& s, http::request& req, const std::string& user_id) {
  int days = 7;
  if (auto d = req.query_param("days")) {
    char* end = nullptr;
    const long v = d->empty() || d->size() > 3 ? 0 : std::strtol(d->c_str(), &end, 10);
    if (!end || *end || v < 1 || v > max_usage_days) co_return http::field_problem("days", "1 to 90");
    days = static_cast<int>(v);
  }
  auto r = co_await limits::read_usage(flows(s), user_id, limits::utc_day(core::wall_ms()), days);
  if (!r) co_return store_problem(r.error());
  json::array out;
  std::int64_t sent = 0, received = 0;
  for (const auto& d : *r) {
    out.push_back(json::object{{"date", iso_date(d.day)}, {"sent", d.sent}, {"received", d.received}});
    sent += d.sent;
    received += d.received;
  }
  co_return http::json_response(status::ok,
                                json::object{{"user_id", user_id},
                                             {"days", std::move(out)},
                                             {"total", json::object{{"sent", sent}, {"received", received}}}});
}

// Reads the PUT body: every field an integer in its range or null; absent means null.
std::variant<store::limits::overrides, http::response> read_overrides(const json::value& body) {
  if (!body.is_object()) return http::problem(status::bad_request, "invalid_body", "Bad request", "a JSON object");
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
  store::limits::overrides o;
  for (const auto& [k, v] : body.as_object()) {
    const field* f = nullptr;
    for (const auto& c : fields)
      if (k == c.name) f = &c;
    if (!f) return http::field_problem(k, "unknown field");
    if (v.is_null()) continue;
    if (!v.is_int64() || v.as_int64() < f->lo || v.as_int64() > f->hi)
      return http::field_problem(k,
                                 "null or an integer from " + std::to_string(f->lo) + " to " + std::to_string(f->hi));
    o.*(f->member) = v.as_int64();
  }
  return o;
}

bool user_id_ok(std::string_view id) { return core::id_like(id, "usr_"); }

net::awaitable<http::response> me_limits(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
  co_return co_await limits_of(s, std::get<principal>(who).user_id);
}

net::awaitable<http::response> me_usage(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
  co_return co_await usage_of(s, req, std::get<principal>(who).user_id);
}

net::awaitable<http::response> admin_limits_get(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::admin);
  if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
  const std::string id(req.param("id"));
  if (!user_id_ok(id)) co_return no_user();
  co_return co_await limits_of(s, id);
}

net::awaitable<http::response> admin_limits_put(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::admin);
  if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  if (p.via_api_key)
    co_return http::problem(status::forbidden, "session_required", "Forbidden",
                            "administrators change limits signed in, not with an API key");
  const std::string id(req.param("id"));
  if (!user_id_ok(id)) co_return no_user();
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  auto o = read_overrides(*body.value);
  if (auto* r = std::get_if<http::response>(&o)) co_return std::move(*r);
  auto ec = co_await limits::set_override(flows(s), id, std::get<store::limits::overrides>(o), p.user_id,
                                          client_address(req));
  if (ec == store::error::not_found) co_return no_user();
  if (ec) co_return store_problem(ec);
  co_return co_await limits_of(s, id);
}

net::awaitable<http::response> admin_usage(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::admin);
  if (auto* r = std::get_if<http::response>(&who)) co_return std::move(*r);
  const std::string id(req.param("id"));
  if (!user_id_ok(id)) co_return no_user();
  // An unknown user has no usage rows: answer 404 rather than a run of zeros.
  auto v = co_await limits::read_tenant(flows(s), id);
  if (!v) co_return store_problem(v.error());
  if (!*v) co_return no_user();
  co_return co_await usage_of(s, req, id);
}

}  // namespace

net::awaitable<core::result<json::object>> limits_export(services& s, const std::string& user_id) {
  auto v = co_await limits::read_tenant(flows(s), user_id);
  if (!v) co_return v.error();
  if (!*v) co_return make_error_code(store::error::not_found);
  auto days = co_await limits::read_usage_days(flows(s), user_id, 0, limits::utc_day(core::wall_ms()));
  if (!days) co_return days.error();
  json::array usage;
  for (const auto& d : *days)
    usage.push_back(json::object{{"date", iso_date(d.day)}, {"sent", d.sent}, {"received", d.received}});
  co_return json::object{{"limits", view_json(**v, s.limiter != nullptr)}, {"usage", std::move(usage)}};
}

void register_limits_routes(http::router& r, services& s) {
  using http::verb;
  auto bind = [&s](net::awaitable<http::response> (*fn)(services&, http::request&)) {
    return [&s, fn](http::request& req) { return fn(s, req); };
  };
  r.add(verb::get, "/v1/me/limits", "me.limits", bind(me_limits));
  r.add(verb::get, "/v1/me/usage", "me.usage", bind(me_usage));
  r.add(verb::get, "/v1/admin/users/{id}/limits", "admin.users_limits_get", bind(admin_limits_get));
  r.add(verb::put, "/v1/admin/users/{id}/limits", "admin.users_limits_put", bind(admin_limits_put));
  r.add(verb::get, "/v1/admin/users/{id}/usage", "admin.users_usage", bind(admin_usage));
}

}  // namespace enfinito::api
