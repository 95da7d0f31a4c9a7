// api: GET|PATCH /v1/instances/{id}/alerts, the owner mails an instance sends
// (include/enfinito/api/instance_alerts_routes.hpp). Tenancy: the caller's instance only (and
// within an API key's instances); anything else is the same 404 as an unknown id.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/instance_alerts_routes.hpp>
#include <enfinito/instances/owner_alerts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instance_health.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <set>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

response not_found() { return http::problem(status::not_found, "instance_not_found", "No such instance"); }

// The causes turned off, as stored (a JSON array), into the answer: each cause → on.
json::object alerts_json(const std::string& off_json) {
  boost::system::error_code ec;
  auto off = json::parse(off_json, ec);
  json::object o;
  for (const auto cause : instances::alert_causes) {
    bool on = true;
    if (!ec && off.is_array())
      for (const auto& c : off.get_array())
        if (c.is_string() && c.get_string() == cause) on = false;
    o[cause] = on;
  }
  return o;
}

// Reads the caller's instance health row (404 when the instance is not theirs).
net::awaitable<std::variant<store::instance_health::row, response>> load(services& s, const principal& p,
                                                                         std::string_view id) {
  if (id.size() > 64 || !p.may_use_instance(id)) co_return not_found();
  store::instance_health::row health;
  const std::string uid = p.user_id, iid(id);
  auto work = [&health, &uid, &iid](store::connection& c) -> core::error_code {
    store::instances::instance row;
    if (auto ec = store::instances::get(c, uid, iid, row)) return ec;
    return store::instance_health::get(c, iid, health);
  };
  auto ec = co_await s.db.read(work);
  if (ec == store::error::not_found) co_return not_found();
  if (ec) co_return detail::store_problem(ec);
  co_return health;
}

net::awaitable<response> get_alerts(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto loaded = co_await load(s, std::get<principal>(who), req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  co_return http::json_response(status::ok, alerts_json(std::get<store::instance_health::row>(loaded).alerts_off));
}

net::awaitable<response> patch_alerts(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  if (!body.value->is_object()) co_return http::field_problem("", "the body must be a JSON object", "invalid_body");
  auto loaded = co_await load(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const auto current = alerts_json(std::get<store::instance_health::row>(loaded).alerts_off);
  std::set<std::string> off;
  for (const auto& [k, v] : current)
    if (!v.as_bool()) off.insert(std::string(k));
  for (const auto& [k, v] : body.value->as_object()) {
    if (!instances::known_alert_cause(k))
      co_return http::field_problem(
          k, "unknown cause: needs_reauth, token_expiring, webhooks_silent or endpoint_paused", "unknown_field");
    if (!v.is_bool()) co_return http::field_problem(k, "true (mail me) or false");
    if (v.get_bool())
      off.erase(std::string(k));
    else
      off.insert(std::string(k));
  }
  json::array list;
  for (const auto& c : off) list.push_back(json::string(c));
  const std::string off_json = json::serialize(list), iid(req.param("id"));
  auto work = [&off_json, &iid](store::connection& c) {
    return store::instance_health::set_alerts_off(c, iid, off_json);
  };
  auto ec = co_await s.db.write(work);
  if (ec) co_return detail::store_problem(ec);
  co_return http::json_response(status::ok, alerts_json(off_json));
}

}  // namespace

void register_instance_alert_routes(http::router& r, services& s) {
  using http::verb;
  r.add(verb::get, "/v1/instances/{id}/alerts", "instances.alerts.get",
        [&s](http::request& q) { return get_alerts(s, q); });
  r.add(verb::patch, "/v1/instances/{id}/alerts", "instances.alerts.update",
        [&s](http::request& q) { return patch_alerts(s, q); });
}

}  // namespace enfinito::api
