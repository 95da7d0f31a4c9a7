// limits::limiter: shared GCRA buckets behind per-reactor indexes (see limits/limiter.hpp).
#include <enfinito/limits/limiter.hpp>

#include <algorithm>
#include <functional>

namespace enfinito::limits {

// One bucket on its own cache line: the CAS on `tat` must not bounce a neighbour's line.
struct alignas(64) limiter::cell {
  std::atomic<std::int64_t> tat{0};
  std::atomic<std::int64_t> per_s{0};
  std::atomic<std::int64_t> burst{0};
  std::string tenant;  // the owner (key cells), for overrides

  rate load() const noexcept { return {per_s.load(std::memory_order_relaxed), burst.load(std::memory_order_relaxed)}; }
  void store(const rate& r) noexcept {
    per_s.store(r.per_s, std::memory_order_relaxed);
    burst.store(r.burst, std::memory_order_relaxed);
  }
  // One CAS loop: a refusal writes nothing, so a hammering client only reads the line.
  verdict take(const rate& r, std::int64_t now) noexcept {
    std::int64_t old = tat.load(std::memory_order_relaxed);
    for (;;) {
      verdict v = limits::take(r, old, now);
      if (!v.allowed || r.unlimited()) return v;
      if (tat.compare_exchange_weak(old, v.tat_ns, std::memory_order_relaxed)) return v;
    }
  }
  void give_back(const rate& r) noexcept {
    if (!r.unlimited()) tat.fetch_sub(r.interval_ns(), std::memory_order_relaxed);
  }
};

namespace {
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
}  // namespace

// A reactor's own view of the registry: touched only on that reactor's thread.
struct alignas(64) limiter::index {
  std::unordered_map<std::string, std::shared_ptr<cell>, string_hash, std::equal_to<>> keys, tenants;
};

limiter::limiter(std::size_t reactors, policy defaults) : defaults_(defaults) {
  for (std::size_t i = 0; i < std::max<std::size_t>(reactors, 1); ++i) reactors_.push_back(std::make_unique<index>());
}

limiter::~limiter() = default;

policy limiter::effective_locked(const std::string& tenant) const {
  policy p = defaults_;
  if (auto it = overrides_.find(tenant); it != overrides_.end()) {
    if (it->second.key) p.key = *it->second.key;
    if (it->second.tenant) p.tenant = *it->second.tenant;
  }
  return p;
}

policy limiter::effective(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  return effective_locked(tenant);
}

std::shared_ptr<limiter::cell> limiter::find_or_make(bool is_key, std::string_view id, std::string_view tenant) {
  std::lock_guard lock(mu_);
  auto& map = is_key ? keys_ : tenants_;
  auto [it, fresh] = map.try_emplace(std::string(id));
  if (fresh) {
    it->second = std::make_shared<cell>();
    it->second->tenant = std::string(tenant);
    const auto p = effective_locked(it->second->tenant);
    it->second->store(is_key ? p.key : p.tenant);
  }
  return it->second;
}

decision limiter::admit(std::size_t reactor, std::string_view tenant, std::string_view key_id, std::int64_t now_ns) {
  auto& ix = *reactors_[reactor % reactors_.size()];
  auto lookup = [&](bool is_key, std::string_view id) -> cell& {
    auto& map = is_key ? ix.keys : ix.tenants;
    if (auto it = map.find(id); it != map.end()) return *it->second;
    auto c = find_or_make(is_key, id, tenant);
    return *map.emplace(std::string(id), std::move(c)).first->second;
  };
  decision d;
  cell* key = nullptr;
  if (!key_id.empty()) {
    key = &lookup(true, key_id);
    d.has_key = true;
    d.key_rate = key->load();
    d.key = key->take(d.key_rate, now_ns);
    if (!d.key.allowed) {
      d.allowed = false;
      d.refused_by = scope::key;
      rejected_[0].fetch_add(1, std::memory_order_relaxed);
      // The tenant's figures in the headers, without spending its token.
      auto& t = lookup(false, tenant);
      d.tenant_rate = t.load();
      d.tenant = limits::take(d.tenant_rate, t.tat.load(std::memory_order_relaxed), now_ns);
      if (d.tenant.allowed) d.tenant.remaining = std::min(d.tenant.remaining + 1, d.tenant_rate.burst);
      return d;
    }
  }
  auto& t = lookup(false, tenant);
  d.tenant_rate = t.load();
  d.tenant = t.take(d.tenant_rate, now_ns);
  if (!d.tenant.allowed) {
    d.allowed = false;
    d.refused_by = scope::tenant;
    rejected_[1].fetch_add(1, std::memory_order_relaxed);
    if (key) {
      key->give_back(d.key_rate);
      d.key.remaining = std::min(d.key.remaining + 1, d.key_rate.burst);
    }
  }
  return d;
}

void limiter::set_override(const std::string& tenant, const tenant_rates& r) {
  std::lock_guard lock(mu_);
  if (!r.key && !r.tenant)
    overrides_.erase(tenant);
  else
    overrides_[tenant] = r;
  const auto p = effective_locked(tenant);
  if (auto it = tenants_.find(tenant); it != tenants_.end()) it->second->store(p.tenant);
  for (auto& [_, c] : keys_)
    if (c->tenant == tenant) c->store(p.key);
}

std::uint64_t limiter::rejected(scope s) const noexcept {
  return rejected_[s == scope::key ? 0 : 1].load(std::memory_order_relaxed);
}

void limiter::render_metrics(std::string& out) const {
  out += "# HELP enfinito_rate_limited_total API requests refused 429 by a rate limit, by the bucket that refused.\n";
  out += "# TYPE enfinito_rate_limited_total counter\n";
  out += "enfinito_rate_limited_total{scope=\"key\"} " + std::to_string(rejected(scope::key)) + "\n";
  out += "enfinito_rate_limited_total{scope=\"tenant\"} " + std::to_string(rejected(scope::tenant)) + "\n";
}

namespace {
void policy_item(std::string& out, std::string_view name, const rate& r) {
  if (r.unlimited()) return;
  if (!out.empty()) out += ", ";
  out += '"';
  out += name;
  out += "\";q=" + std::to_string(r.burst) + ";w=" + std::to_string(r.window_s());
}
void limit_item(std::string& out, std::string_view name, const rate& r, const verdict& v) {
  if (r.unlimited()) return;
  if (!out.empty()) out += ", ";
  out += '"';
  out += name;
  out +=
      "\";r=" + std::to_string(std::max<std::int64_t>(v.remaining, 0)) + ";t=" + std::to_string(ceil_s(v.full_in_ns));
}
}  // namespace

std::string policy_header(const decision& d) {
  std::string out;
  if (d.has_key) policy_item(out, "key", d.key_rate);
  policy_item(out, "tenant", d.tenant_rate);
  return out;
}

std::string ratelimit_header(const decision& d) {
  std::string out;
  if (d.has_key) limit_item(out, "key", d.key_rate, d.key);
  limit_item(out, "tenant", d.tenant_rate, d.tenant);
  return out;
}

std::int64_t retry_after_s(const decision& d) {
  const auto& v = !d.allowed && d.refused_by == scope::key ? d.key : d.tenant;
  return std::max<std::int64_t>(1, ceil_s(v.retry_after_ns));
}

}  // namespace enfinito::limits
