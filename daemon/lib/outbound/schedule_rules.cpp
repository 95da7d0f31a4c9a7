// outbound::check_schedule: the scheduling fields' rule (outbound/schedule_rules.hpp).
#include <enfinito/outbound/schedule_rules.hpp>

#include <enfinito/outbound/accept.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::outbound {

std::optional<schedule_refusal> check_schedule(std::int64_t now, std::int64_t send_at, std::int64_t expires_at) {
  if (send_at > now + max_schedule_ahead_ms) return schedule_refusal{"send_at", "at most a year ahead"};
  if (expires_at > 0 && expires_at <= std::max(now, send_at))
    return schedule_refusal{"expires_at", "after now and after send_at"};
  return std::nullopt;
}

std::optional<schedule_refusal> take_schedule(boost::json::object& o, std::int64_t now, schedule& when) {
  auto take = [&](const char* k, std::int64_t& out) -> std::optional<schedule_refusal> {
    auto it = o.find(k);
    if (it == o.end()) return std::nullopt;
    if (!it->value().is_int64() || it->value().as_int64() <= 0) return schedule_refusal{k, "unix time in milliseconds"};
    out = it->value().as_int64();
    o.erase(it);
    return std::nullopt;
  };
  std::int64_t send_at = 0, expires_at = 0;
  if (auto r = take("send_at", send_at)) return r;
  if (auto r = take("expires_at", expires_at)) return r;
  if (auto bad = check_schedule(now, send_at, expires_at)) return bad;
  when.send_at = send_at > now ? send_at : 0;
  if (expires_at > 0) when.expires_at = expires_at;
  return std::nullopt;
}

}  // namespace enfinito::outbound
