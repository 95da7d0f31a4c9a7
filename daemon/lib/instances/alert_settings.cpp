// instances::alert_settings: the owner's choice of alert mails, read, changed and stored
// (include/enfinito/instances/alert_settings.hpp).
#include <enfinito/instances/alert_settings.hpp>
#include <enfinito/instances/owner_alerts.hpp>
#include <enfinito/store/instance_health.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

#include <set>

namespace enfinito::instances {

json::object alert_settings(std::string_view off_json) {
  boost::system::error_code ec;
  auto off = json::parse(off_json, ec);
  json::object o;
  for (const auto cause : alert_causes) {
    bool on = true;
    if (!ec && off.is_array())
      for (const auto& c : off.get_array())
        if (c.is_string() && c.get_string() == cause) on = false;
    o[cause] = on;
  }
  return o;
}

std::variant<std::string, meta::input_problem> apply_alert_changes(std::string_view off_json,
                                                                   const json::object& changes) {
  std::set<std::string> off;
  for (const auto& [k, v] : alert_settings(off_json))
    if (!v.as_bool()) off.insert(std::string(k));
  for (const auto& [k, v] : changes) {
    if (!known_alert_cause(k))
      return meta::input_problem{std::string(k),
                                 "unknown cause: needs_reauth, token_expiring, webhooks_silent or endpoint_paused",
                                 "unknown_field"};
    if (!v.is_bool()) return meta::input_problem{std::string(k), "true (mail me) or false"};
    if (v.get_bool())
      off.erase(std::string(k));
    else
      off.insert(std::string(k));
  }
  json::array list;
  for (const auto& c : off) list.push_back(json::string(c));
  return json::serialize(list);
}

net::awaitable<core::result<std::string>> read_alerts_off(store::store& db, std::string user_id,
                                                          std::string instance_id) {
  store::instance_health::row health;
  auto work = [&](store::connection& c) -> core::error_code {
    store::instances::instance row;
    if (auto ec = store::instances::get(c, user_id, instance_id, row)) return ec;
    return store::instance_health::get(c, instance_id, health);
  };
  auto ec = co_await db.read(work);
  if (ec) co_return ec;
  co_return std::move(health.alerts_off);
}

net::awaitable<core::error_code> save_alerts_off(store::store& db, std::string instance_id, std::string off_json) {
  auto work = [&](store::connection& c) { return store::instance_health::set_alerts_off(c, instance_id, off_json); };
  auto ec = co_await db.write(work);
  co_return ec;
}

}  // namespace enfinito::instances
