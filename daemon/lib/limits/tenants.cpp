// limits::tenants: effective limits, administrators' overrides and usage reads (see
// limits/tenants.hpp).
#include <enfinito/limits/tenants.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

namespace enfinito::limits {

tenant_rates to_rates(const store::limits::overrides& o, const config::rate_limit_settings& d) {
  tenant_rates r;
  if (o.key_per_s || o.key_burst) r.key = rate{o.key_per_s.value_or(d.key_per_s), o.key_burst.value_or(d.key_burst)};
  if (o.tenant_per_s || o.tenant_burst)
    r.tenant = rate{o.tenant_per_s.value_or(d.tenant_per_s), o.tenant_burst.value_or(d.tenant_burst)};
  return r;
}

namespace {
policy defaults_of(const config::rate_limit_settings& d) {
  return {{d.key_per_s, d.key_burst}, {d.tenant_per_s, d.tenant_burst}};
}
}  // namespace

net::awaitable<core::result<std::optional<tenant_view>>> read_tenant(context ctx, std::string user_id) {
  std::optional<tenant_view> out;
  auto work = [&](store::connection& c) -> core::error_code {
    auto u = store::accounts::find_user_by_id(c, user_id);
    if (!u) return u.error();
    if (!*u) return {};
    tenant_view v;
    v.user_id = user_id;
    auto o = store::limits::get(c, user_id);
    if (!o) return o.error();
    v.own = *o;
    const auto& q = ctx.cfg.quotas;
    v.instances.limit = o->max_instances.value_or(q.instances);
    v.api_keys.limit = o->max_api_keys.value_or(q.api_keys);
    v.webhook_endpoints.limit = o->max_webhook_endpoints.value_or(q.webhook_endpoints);
    for (auto [use, kind] : {std::pair{&v.instances, store::limits::quota::instances},
                             std::pair{&v.api_keys, store::limits::quota::api_keys},
                             std::pair{&v.webhook_endpoints, store::limits::quota::webhook_endpoints}}) {
      auto n = store::limits::count(c, user_id, kind);
      if (!n) return n.error();
      use->used = *n;
    }
    out = std::move(v);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  if (out) {
    // The same rule the limiter applies: the settings' defaults under the stored override.
    const auto r = to_rates(out->own, ctx.cfg.rate_limits);
    out->rates = defaults_of(ctx.cfg.rate_limits);
    if (r.key) out->rates.key = *r.key;
    if (r.tenant) out->rates.tenant = *r.tenant;
  }
  co_return out;
}

net::awaitable<core::error_code> set_override(context ctx, std::string user_id, store::limits::overrides o,
                                              std::string actor, std::string address) {
  o.updated_at = core::wall_ms();
  auto work = [&](store::connection& c) -> core::error_code {
    auto u = store::accounts::find_user_by_id(c, user_id);
    if (!u) return u.error();
    if (!*u) return make_error_code(store::error::not_found);
    if (auto ec = store::limits::put(c, user_id, o)) return ec;
    return store::accounts::audit(c, user_id, actor, "limits_changed", o.empty() ? "defaults" : "override", address);
  };
  auto ec = co_await ctx.db.write(work);
  if (!ec && ctx.rates) ctx.rates->set_override(user_id, to_rates(o, ctx.cfg.rate_limits));
  co_return ec;
}

core::error_code load_overrides(context ctx) {
  if (!ctx.rates) return {};
  std::vector<std::pair<std::string, store::limits::overrides>> rows;
  auto ec = ctx.db.read_sync([&](store::connection& c) -> core::error_code {
    auto r = store::limits::all(c);
    if (!r) return r.error();
    rows = std::move(*r);
    return {};
  });
  if (ec) return ec;
  for (const auto& [user, o] : rows) ctx.rates->set_override(user, to_rates(o, ctx.cfg.rate_limits));
  return {};
}

net::awaitable<core::result<std::vector<store::limits::usage_day>>> read_usage_days(context ctx, std::string user_id,
                                                                                    std::int64_t from_day,
                                                                                    std::int64_t to_day) {
  std::vector<store::limits::usage_day> stored;
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::limits::usage(c, user_id, from_day, to_day);
    if (!r) return r.error();
    stored = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  if (ctx.usage) ctx.usage->add_pending(user_id, from_day, to_day, stored);
  co_return stored;
}

net::awaitable<core::result<std::vector<store::limits::usage_day>>> read_usage(context ctx, std::string user_id,
                                                                               std::int64_t today, int days) {
  const std::int64_t from = today - days + 1;
  auto stored = co_await read_usage_days(ctx, user_id, from, today);
  if (!stored) co_return stored.error();
  std::vector<store::limits::usage_day> out;
  out.reserve(static_cast<std::size_t>(days));
  auto it = stored->begin();
  for (std::int64_t d = from; d <= today; ++d) {
    while (it != stored->end() && it->day < d) ++it;
    out.push_back(it != stored->end() && it->day == d ? *it : store::limits::usage_day{d, 0, 0});
  }
  co_return out;
}

core::error_code flush_usage(store::connection& c, usage_book& book, std::int64_t now_ms, std::int64_t keep_days,
                             std::size_t batch, std::size_t& removed) {
  auto counts = book.take();
  for (const auto& [user, d] : counts)
    if (auto ec = store::limits::add_usage(c, user, d)) {
      book.give_back(counts);  // the write rolls back: nothing of it was kept
      return ec;
    }
  return store::limits::purge_usage(c, utc_day(now_ms) - keep_days, batch, removed);
}

}  // namespace enfinito::limits
