#pragma once
/**
 * @file instances::alert_settings: which owner mails (instances/owner_alerts.hpp) the owner of
 * an instance wants, for GET|PATCH /v1/instances/{id}/alerts (api/instance_alerts_routes.cpp).
 * Stored as the causes turned off (instance_health.alerts_off, a JSON array); shown as every
 * cause → on. A change names causes with true (mail me) or false; the others keep their setting.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/meta/relay_input.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace enfinito::store {
class store;
}

namespace enfinito::instances {

/** Every cause → on, from the causes turned off as stored (unreadable: all on). Pure. */
boost::json::object alert_settings(std::string_view off_json);

/** The causes turned off once `changes` ({cause: bool}) apply to `off_json`, as stored (sorted);
    or the first field that is not a known cause with a bool. Pure. */
std::variant<std::string, meta::input_problem> apply_alert_changes(std::string_view off_json,
                                                                   const boost::json::object& changes);

/** The causes turned off for `user_id`'s instance `instance_id` (store::error::not_found when
    the instance is not theirs). */
net::awaitable<core::result<std::string>> read_alerts_off(store::store& db, std::string user_id,
                                                          std::string instance_id);

/** Stores the causes turned off (`off_json`, from apply_alert_changes). */
net::awaitable<core::error_code> save_alerts_off(store::store& db, std::string instance_id, std::string off_json);

}  // namespace enfinito::instances
