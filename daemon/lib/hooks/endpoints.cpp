// hooks::endpoints: the target check and the store writes behind the webhook endpoint routes
// (hooks/endpoints.hpp); the routes keep parsing, authentication and the answers.
#include <enfinito/hooks/endpoints.hpp>
#include <enfinito/hooks/engine.hpp>  // check_url, check_host

#include <enfinito/core/clock.hpp>
#include <enfinito/core/ip_policy.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/hooks/signing.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/limits.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/upstream/client.hpp>

#include <string_view>
#include <vector>

namespace enfinito::hooks {
namespace {

// The vault that seals new secrets: the current key, picking up keys added since.
net::awaitable<std::shared_ptr<const crypto::vault>> sealing_vault(endpoint_context& ctx) {
  auto v = co_await crypto::fresh_vault(ctx.vault, ctx.blocking);
  co_return v;
}

}  // namespace

std::string audit_detail(const store::hooks::endpoint& e, bool url, bool event_types, bool format, bool state) {
  std::string out = "instance=" + e.instance_id + " endpoint=" + e.id;
  std::string fields;
  for (auto [changed, name] : {std::pair{url, "url"}, std::pair{event_types, "event_types"},
                               std::pair{format, "format"}, std::pair{state, "state"}})
    if (changed) fields += (fields.empty() ? "" : ",") + std::string(name);
  if (!fields.empty()) out += " fields=" + fields;
  return out;
}

net::awaitable<std::string> check_target(const config::customer_webhooks_settings& c, const std::string& url) {
  const auto allowed = core::parse_ranges(c.allow_ranges).value_or(std::vector<core::ip_range>{});
  std::string why = check_url(url, c.allow_http, allowed);
  if (why.empty()) {
    auto parts = upstream::parse_url(url);
    why = co_await check_host(parts->where.host, parts->where.port, allowed);
  }
  co_return why;
}

net::awaitable<created> create_endpoint(endpoint_context ctx, store::hooks::endpoint& e) {
  created out;
  out.secret = new_secret();
  auto v = co_await sealing_vault(ctx);
  e.secret_blob = v->encrypt(out.secret.reveal(), {store::hooks::table, e.id, store::hooks::secret_field});
  const auto cap = static_cast<std::int64_t>(ctx.settings.max_endpoints_per_instance);
  auto write = [&](store::connection& conn) -> core::error_code {
    std::int64_t n = 0;
    if (auto ec = store::hooks::count_for_instance(conn, e.instance_id, n)) return ec;
    if (n >= cap) {
      out.too_many = true;
      return {};
    }
    auto full = store::limits::full(conn, e.user_id, store::limits::quota::webhook_endpoints, ctx.tenant_quota);
    if (!full) return full.error();
    if (*full) {
      out.over_quota = **full;  // may be 0
      return {};
    }
    if (auto ec = store::hooks::insert(conn, e)) return ec;
    return store::audit::record(conn, ctx.who, e.user_id, "webhook_endpoint_created", audit_detail(e));
  };
  out.ec = co_await ctx.db.write(write);
  if (!out.ec && !out.too_many && !out.over_quota.has_value())
    core::log::info("hooks.endpoint_created", {{"instance", e.instance_id}, {"endpoint", e.id}, {"format", e.format}});
  co_return out;
}

net::awaitable<found> find_endpoint(store::store& db, std::string user_id, std::string instance_id,
                                    std::string webhook_id) {
  found f;
  auto read = [&](store::connection& c) -> core::error_code {
    store::instances::instance row;
    auto ec = store::instances::get(c, user_id, instance_id, row);
    if (ec == store::error::not_found) return {};
    if (ec) return ec;
    f.instance = true;
    if (webhook_id.empty()) return {};
    ec = store::hooks::get(c, user_id, instance_id, webhook_id, f.ep);
    if (ec == store::error::not_found) return {};
    if (!ec) f.endpoint = true;
    return ec;
  };
  f.ec = co_await db.read(read);
  co_return f;
}

store::hooks::endpoint draft_endpoint(const std::string& user_id, const std::string& instance_id,
                                      const endpoint_change& in) {
  store::hooks::endpoint e;
  e.id = "whk_" + crypto::random_token(16);
  e.instance_id = instance_id;
  e.user_id = user_id;
  e.url = in.url.value_or("");
  e.event_types = in.event_types.value_or("[]");
  e.format = in.format.value_or("enfinito");
  e.created_at = e.updated_at = core::wall_ms();
  return e;
}

net::awaitable<updated> update_endpoint(endpoint_context ctx, store::hooks::endpoint& e, endpoint_change in) {
  updated out;
  const std::string detail =
      audit_detail(e, in.url.has_value(), in.event_types.has_value(), in.format.has_value(), in.state.has_value());
  if (in.url) {
    out.refused = co_await check_target(ctx.settings, *in.url);
    if (!out.refused.empty()) co_return out;
    e.url = *in.url;
  }
  if (in.event_types) e.event_types = *in.event_types;
  if (in.format) e.format = *in.format;
  if (in.state && *in.state != e.state) {
    e.state = *in.state;
    e.paused_reason = e.state == "paused" ? "paused by the owner" : "";
  }
  const auto now = core::wall_ms();
  const std::string user_id = e.user_id, instance_id = e.instance_id, id = e.id;  // `e` is read back into
  auto write = [&](store::connection& conn) -> core::error_code {
    if (auto ec = store::hooks::update(conn, e, now)) return ec;
    if (auto ec = store::audit::record(conn, ctx.who, user_id, "webhook_endpoint_updated", detail)) return ec;
    return store::hooks::get(conn, user_id, instance_id, id, e);
  };
  out.ec = co_await ctx.db.write(write);
  co_return out;
}

net::awaitable<core::error_code> delete_endpoint(endpoint_context ctx, const store::hooks::endpoint& e) {
  auto write = [&](store::connection& conn) -> core::error_code {
    if (auto ec = store::hooks::remove(conn, e.user_id, e.instance_id, e.id)) return ec;
    return store::audit::record(conn, ctx.who, e.user_id, "webhook_endpoint_deleted", audit_detail(e));
  };
  auto ec = co_await ctx.db.write(write);
  if (!ec) core::log::info("hooks.endpoint_deleted", {{"instance", e.instance_id}, {"endpoint", e.id}});
  co_return ec;
}

net::awaitable<rotated> rotate_secret(endpoint_context ctx, store::hooks::endpoint& e) {
  rotated out;
  out.secret = new_secret();
  auto v = co_await sealing_vault(ctx);
  const std::string blob = v->encrypt(out.secret.reveal(), {store::hooks::table, e.id, store::hooks::secret_field});
  const auto now = core::wall_ms();
  auto write = [&](store::connection& conn) -> core::error_code {
    if (auto ec = store::hooks::set_secret(conn, e.id, blob, now)) return ec;
    return store::audit::record(conn, ctx.who, e.user_id, "webhook_secret_rotated", audit_detail(e));
  };
  out.ec = co_await ctx.db.write(write);
  if (out.ec) co_return out;
  e.updated_at = now;
  core::log::info("hooks.secret_rotated", {{"instance", e.instance_id}, {"endpoint", e.id}});
  co_return out;
}

net::awaitable<core::error_code> read_deliveries(store::store& db, std::string endpoint_id, std::int64_t before,
                                                 std::size_t limit, std::vector<store::hooks::delivery>& out) {
  auto read = [&](store::connection& c) { return store::hooks::list_deliveries(c, endpoint_id, before, limit, out); };
  auto ec = co_await db.read(read);
  co_return ec;
}

net::awaitable<core::error_code> redeliver(endpoint_context ctx, const std::string& endpoint_id,
                                           const std::string& delivery_id, store::hooks::delivery& out) {
  const auto now = core::wall_ms();
  auto write = [&](store::connection& conn) -> core::error_code {
    auto ec = store::hooks::redeliver(conn, endpoint_id, delivery_id, now);
    if (ec) return ec;
    return store::hooks::get_delivery(conn, endpoint_id, delivery_id, out);
  };
  auto ec = co_await ctx.db.write(write);
  co_return ec;
}

net::awaitable<core::error_code> send_test_event(endpoint_context ctx, const store::hooks::endpoint& e,
                                                 std::string& delivery_id) {
  delivery_id = "whd_" + crypto::random_hex(12);
  const auto now = core::wall_ms();
  static constexpr std::string_view meta_body = R"({"object":"whatsapp_business_account","entry":[]})";
  auto write = [&](store::connection& conn) {
    return store::hooks::insert_test_delivery(conn, e, delivery_id, meta_body, now);
  };
  auto ec = co_await ctx.db.write(write);
  co_return ec;
}

}  // namespace enfinito::hooks
