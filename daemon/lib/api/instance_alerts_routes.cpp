// api: GET|PATCH /v1/instances/{id}/alerts, the owner mails an instance sends
// (include/enfinito/api/instance_alerts_routes.hpp). The settings, their changes and their
// store reads and writes are instances::alert_settings (instances/alert_settings.hpp).
// Tenancy: the caller's instance only (and within an API key's instances); anything else is
// the same 404 as an unknown id.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/instance_alerts_routes.hpp>
#include <enfinito/instances/alert_settings.hpp>
#include <enfinito/store/error.hpp>

#include "api/owned.hpp"

#include <boost/json.hpp>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

using detail::instance_not_found;

// The causes the caller's instance has turned off (404 when the instance is not theirs).
net::awaitable<std::variant<std::string, response>> load(services& s, const principal& p, std::string_view id) {
  if (id.size() > detail::max_path_id || !p.may_use_instance(id)) co_return instance_not_found();
  const std::string iid(id);
  auto off = co_await instances::read_alerts_off(s.db, p.user_id, iid);
  if (off.error() == store::error::not_found) co_return instance_not_found();
  if (!off) co_return detail::store_problem(off.error());
  co_return std::move(*off);
}

net::awaitable<response> get_alerts(services& s, http::request& req, principal& p) {
  auto loaded = co_await load(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  co_return http::json_response(status::ok, instances::alert_settings(std::get<std::string>(loaded)));
}

net::awaitable<response> patch_alerts(services& s, http::request& req, principal& p) {
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  if (!body.value->is_object()) co_return http::field_problem("", "the body must be a JSON object", "invalid_body");
  auto loaded = co_await load(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto changed = instances::apply_alert_changes(std::get<std::string>(loaded), body.value->as_object());
  if (auto* bad = std::get_if<meta::input_problem>(&changed))
    co_return http::field_problem(bad->field, bad->detail, bad->code);
  auto& off = std::get<std::string>(changed);
  const std::string iid(req.param("id"));
  auto ec = co_await instances::save_alerts_off(s.db, iid, off);
  if (ec) co_return detail::store_problem(ec);
  co_return http::json_response(status::ok, instances::alert_settings(off));
}

}  // namespace

void register_instance_alert_routes(http::router& r, services& s) {
  using detail::as_caller;
  using http::verb;
  r.add(verb::get, "/v1/instances/{id}/alerts", "instances.alerts.get", as_caller(s, access::read, get_alerts));
  r.add(verb::patch, "/v1/instances/{id}/alerts", "instances.alerts.update", as_caller(s, access::write, patch_alerts));
}

}  // namespace enfinito::api
