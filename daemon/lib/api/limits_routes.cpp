// The fair-share routes: limits and quotas, an administrator's override, usage per day (see
// include/enfinito/api/limits_routes.hpp). Thin: parse, authenticate, call limits/tenants (the
// flows) and limits/report (bodies read, JSON made).
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/limits_routes.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/limits/report.hpp>
#include <enfinito/limits/tenants.hpp>
#include <enfinito/store/error.hpp>

#include "api/owned.hpp"

#include <boost/json.hpp>

namespace enfinito::api {
namespace {

namespace json = boost::json;
using detail::store_problem;
using http::status;

constexpr int max_usage_days = 90;

limits::context flows(services& s) { return {s.cfg, s.db, s.limiter.get(), s.usage.get()}; }

http::response no_user() { return http::problem(status::not_found, "user_not_found", "Not found", "no such user"); }

net::awaitable<http::response> limits_of(services& s, const std::string& user_id) {
  auto v = co_await limits::read_tenant(flows(s), user_id);
  if (!v) co_return store_problem(v.error());
  if (!*v) co_return no_user();
  co_return http::json_response(status::ok, limits::tenant_json(**v, s.limiter != nullptr));
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
  co_return http::json_response(status::ok, limits::usage_json(user_id, *r));
}

// Reads the PUT body (limits/report.hpp): every field an integer in its range or null.
std::variant<store::limits::overrides, http::response> read_overrides(const json::value& body) {
  if (!body.is_object()) return http::problem(status::bad_request, "invalid_body", "Bad request", "a JSON object");
  auto o = limits::read_overrides(body);
  if (auto* bad = std::get_if<core::field_refusal>(&o)) return detail::refused(*bad);
  return std::get<store::limits::overrides>(std::move(o));
}

bool user_id_ok(std::string_view id) { return core::id_like(id, "usr_"); }

net::awaitable<http::response> me_limits(services& s, http::request& req, principal& p) {
  co_return co_await limits_of(s, p.user_id);
}

net::awaitable<http::response> me_usage(services& s, http::request& req, principal& p) {
  co_return co_await usage_of(s, req, p.user_id);
}

net::awaitable<http::response> admin_limits_get(services& s, http::request& req, principal& p) {
  const std::string id(req.param("id"));
  if (!user_id_ok(id)) co_return no_user();
  co_return co_await limits_of(s, id);
}

net::awaitable<http::response> admin_limits_put(services& s, http::request& req, principal& p) {
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

net::awaitable<http::response> admin_usage(services& s, http::request& req, principal& p) {
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
  auto got = co_await limits::export_json(flows(s), user_id);
  co_return got;
}

void register_limits_routes(http::router& r, services& s) {
  using detail::as_caller;
  using http::verb;
  r.add(verb::get, "/v1/me/limits", "me.limits", as_caller(s, access::read, me_limits));
  r.add(verb::get, "/v1/me/usage", "me.usage", as_caller(s, access::read, me_usage));
  r.add(verb::get, "/v1/admin/users/{id}/limits", "admin.users_limits_get",
        as_caller(s, access::admin, admin_limits_get));
  r.add(verb::put, "/v1/admin/users/{id}/limits", "admin.users_limits_put",
        as_caller(s, access::admin, admin_limits_put));
  r.add(verb::get, "/v1/admin/users/{id}/usage", "admin.users_usage", as_caller(s, access::admin, admin_usage));
}

}  // namespace enfinito::api
