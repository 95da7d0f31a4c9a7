// auth::runtime: the sign-in throttle's windows (the API-key cache is a store::change_cache).
#include <enfinito/auth/runtime.hpp>

namespace enfinito::auth {

std::optional<std::chrono::seconds> signin_throttle::check(const std::string& key, unsigned max,
                                                           clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  auto& e = it->second;
  if (now - e.window_start >= policy_.window) {
    entries_.erase(it);
    return std::nullopt;
  }
  if (e.failures < max) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::seconds>(e.window_start + policy_.window - now);
  return left.count() > 0 ? left : std::chrono::seconds(1);
}

std::optional<std::chrono::seconds> signin_throttle::blocked(std::string_view account, std::string_view address,
                                                             clock::time_point now) {
  std::lock_guard lock(mu_);
  auto a = check("a:" + std::string(account), policy_.max_per_account, now);
  auto b = check("i:" + std::string(address), policy_.max_per_address, now);
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}

void signin_throttle::count(const std::string& key, clock::time_point now) {
  auto& e = entries_[key];
  if (e.failures == 0 || now - e.window_start >= policy_.window) {
    e.failures = 0;
    e.window_start = now;
  }
  ++e.failures;
}

void signin_throttle::failure(std::string_view account, std::string_view address, clock::time_point now) {
  std::lock_guard lock(mu_);
  // Bound memory under a spray of addresses: drop expired windows when the map grows large.
  if (entries_.size() > 100'000)
    std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.window_start >= policy_.window; });
  count("a:" + std::string(account), now);
  count("i:" + std::string(address), now);
}

std::optional<std::chrono::seconds> signin_throttle::hit(std::string_view key, unsigned max, clock::time_point now) {
  std::lock_guard lock(mu_);
  if (entries_.size() > 100'000)
    std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.window_start >= policy_.window; });
  const std::string k = "e:" + std::string(key);
  if (auto wait = check(k, max, now)) return wait;
  count(k, now);
  return std::nullopt;
}

void signin_throttle::success(std::string_view account) {
  std::lock_guard lock(mu_);
  entries_.erase("a:" + std::string(account));
}

}  // namespace enfinito::auth
