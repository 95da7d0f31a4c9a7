// limits::usage_book: per-tenant daily message counts from the change stream (see
// limits/usage.hpp).
#include <enfinito/limits/usage.hpp>

#include <algorithm>

namespace enfinito::limits {

void usage_book::count(const std::vector<store::events::event>& events) {
  std::uint64_t sent = 0, received = 0;
  std::lock_guard lock(mu_);
  for (const auto& e : events) {
    const bool out = e.type == "message.accepted";
    if (!out && e.type != "message.received") continue;
    const auto day = utc_day(e.created_at);
    auto& d = pending_[{e.user_id, day}];
    d.day = day;
    (out ? d.sent : d.received) += 1;
    (out ? sent : received) += 1;
  }
  sent_.fetch_add(sent, std::memory_order_relaxed);
  received_.fetch_add(received, std::memory_order_relaxed);
}

std::vector<std::pair<std::string, store::limits::usage_day>> usage_book::take() {
  std::map<key, store::limits::usage_day> moved;
  {
    std::lock_guard lock(mu_);
    moved.swap(pending_);
  }
  std::vector<std::pair<std::string, store::limits::usage_day>> out;
  out.reserve(moved.size());
  for (auto& [k, d] : moved) out.emplace_back(k.first, d);
  return out;
}

void usage_book::give_back(const std::vector<std::pair<std::string, store::limits::usage_day>>& counts) {
  std::lock_guard lock(mu_);
  for (const auto& [user, d] : counts) {
    auto& p = pending_[{user, d.day}];
    p.day = d.day;
    p.sent += d.sent;
    p.received += d.received;
  }
}

void usage_book::add_pending(const std::string& user_id, std::int64_t from_day, std::int64_t to_day,
                             std::vector<store::limits::usage_day>& days) const {
  std::lock_guard lock(mu_);
  for (auto it = pending_.lower_bound({user_id, from_day}); it != pending_.end(); ++it) {
    if (it->first.first != user_id || it->first.second > to_day) break;
    auto at = std::find_if(days.begin(), days.end(), [&](const auto& d) { return d.day >= it->second.day; });
    if (at == days.end() || at->day != it->second.day) at = days.insert(at, {it->second.day, 0, 0});
    at->sent += it->second.sent;
    at->received += it->second.received;
  }
}

void usage_book::render_metrics(std::string& out) const {
  out +=
      "# HELP enfinito_messages_counted_total Messages counted for tenants' usage since start, all tenants together.\n";
  out += "# TYPE enfinito_messages_counted_total counter\n";
  out += "enfinito_messages_counted_total{direction=\"sent\"} " + std::to_string(sent_total()) + "\n";
  out += "enfinito_messages_counted_total{direction=\"received\"} " + std::to_string(received_total()) + "\n";
}

}  // namespace enfinito::limits
