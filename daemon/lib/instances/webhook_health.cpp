// instances::webhook_health: the in-memory webhook times per instance and the silence rule
// (include/enfinito/instances/webhook_health.hpp).
#include <enfinito/instances/webhook_health.hpp>

#include <algorithm>

namespace enfinito::instances {

void webhook_activity::note_webhook(std::string_view instance_id, std::int64_t at_ms, bool statuses) {
  std::lock_guard lock(mu_);
  auto& e = by_instance_[std::string(instance_id)];
  if (!e.webhook_at || *e.webhook_at < at_ms) e.webhook_at = at_ms;
  if (statuses) {
    if (!e.status_at || *e.status_at < at_ms) e.status_at = at_ms;
    e.waiting_since.reset();
  }
  e.dirty = true;
}

void webhook_activity::note_sent(std::string_view instance_id, std::int64_t at_ms) {
  std::lock_guard lock(mu_);
  auto& e = by_instance_[std::string(instance_id)];
  if (!e.waiting_since) e.waiting_since = at_ms;
}

std::vector<std::pair<std::string, webhook_activity::entry>> webhook_activity::take_dirty() {
  std::vector<std::pair<std::string, entry>> out;
  std::lock_guard lock(mu_);
  for (auto& [id, e] : by_instance_)
    if (e.dirty) {
      out.emplace_back(id, e);
      e.dirty = false;
    }
  return out;
}

webhook_activity::entry webhook_activity::get(std::string_view instance_id) const {
  std::lock_guard lock(mu_);
  auto it = by_instance_.find(std::string(instance_id));
  return it == by_instance_.end() ? entry{} : it->second;
}

void webhook_activity::forget(std::string_view instance_id) {
  std::lock_guard lock(mu_);
  by_instance_.erase(std::string(instance_id));
}

std::size_t webhook_activity::forget_all_but(const std::vector<std::string>& live) {
  std::lock_guard lock(mu_);
  return std::erase_if(by_instance_,
                       [&](const auto& kv) { return !std::binary_search(live.begin(), live.end(), kv.first); });
}

std::size_t webhook_activity::size() const {
  std::lock_guard lock(mu_);
  return by_instance_.size();
}

silence_change decide_silence(const silence_input& in) noexcept {
  if (in.flagged) {
    const std::int64_t since = in.silent_since.value_or(0);
    return in.last_status_at && *in.last_status_at >= since ? silence_change::recovered : silence_change::none;
  }
  if (!in.waiting_since) return silence_change::none;
  if (in.last_status_at && *in.last_status_at >= *in.waiting_since) return silence_change::none;
  return in.now - *in.waiting_since >= in.silent_after ? silence_change::became_silent : silence_change::none;
}

}  // namespace enfinito::instances
