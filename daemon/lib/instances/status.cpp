// instances::status: an instance's health changes and their instance.status events, in one
// transaction each (include/enfinito/instances/status.hpp).
#include <enfinito/instances/status.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

namespace enfinito::instances {

core::error_code set_status(store::connection& c, std::string_view instance_id, std::string_view status,
                            std::string_view reason, std::int64_t now_ms, bool& changed) {
  changed = false;
  store::instances::instance row;
  if (auto ec = store::instances::get_any(c, instance_id, row)) return ec;
  if (row.status == status) return {};
  if (auto ec = store::instances::set_status(c, instance_id, status, reason, now_ms / 1000)) return ec;
  store::events::event e;
  e.user_id = row.user_id;
  e.instance_id = std::string(instance_id);
  e.type = "instance.status";
  e.data =
      boost::json::serialize(boost::json::object{{"instance_id", instance_id}, {"status", status}, {"reason", reason}});
  e.created_at = now_ms;
  if (auto ec = store::events::append(c, e)) return ec;
  changed = true;
  return {};
}

core::error_code set_messaging_limit(store::connection& c, std::string_view instance_id, std::string_view user_id,
                                     std::string_view tier, std::string_view meta_event, std::int64_t now_ms,
                                     bool& changed) {
  changed = false;
  if (tier.empty()) return {};
  // The row's updated_at is in seconds (as set_status writes it), the event's time in ms.
  if (auto ec = store::instances::set_messaging_limit(c, instance_id, tier, now_ms / 1000, changed)) return ec;
  if (!changed) return {};
  boost::json::object data{{"instance_id", instance_id}, {"messaging_limit_tier", tier}, {"meta_event", nullptr}};
  if (!meta_event.empty()) data["meta_event"] = meta_event;
  store::events::event e;
  e.user_id = std::string(user_id);
  e.instance_id = std::string(instance_id);
  e.type = "instance.messaging_limit";
  e.data = boost::json::serialize(data);
  e.created_at = now_ms;
  return store::events::append(c, e);
}

std::string reauth_reason(const meta::graph_error& e) {
  if (e.subcode == 463) return "Meta says the access token has expired (error 190/463): update access_token";
  if (e.subcode == 460) return "Meta says the access token was revoked (error 190/460): update access_token";
  return "Meta refused the access token (error 190): update access_token";
}

net::awaitable<core::error_code> mark_needs_reauth(store::store& db, std::string instance_id,
                                                   const meta::graph_error& e) {
  const std::string reason = reauth_reason(e);
  const std::int64_t now = core::wall_ms();
  bool changed = false;
  auto work = [&](store::connection& c) { return set_status(c, instance_id, "needs_reauth", reason, now, changed); };
  auto ec = co_await db.write(work);
  core::log::warn("instances.needs_reauth", {{"instance", instance_id},
                                             {"meta_code", e.code},
                                             {"meta_subcode", e.subcode},
                                             {"fbtrace_id", e.fbtrace_id},
                                             {"stored", !ec},
                                             {"changed", changed}});
  co_return ec;
}

}  // namespace enfinito::instances
