// instances::view: an instance as its owner sees it, one page of them, and the export's section
// (include/enfinito/instances/view.hpp).
#include <enfinito/core/clock.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/instances/onboarding.hpp>
#include <enfinito/instances/view.hpp>
#include <enfinito/instances/webhook_health.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/instance_health.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>
#include <enfinito/templates/checks.hpp>

#include <boost/json.hpp>

namespace enfinito::instances {
namespace {

using crypto::f_app;
using crypto::f_phone;
using crypto::f_verify;
using crypto::f_waba;

// The instance's closed-window policy as stored and as a send applies it now (issue 19).
void window_fields(const config::settings& cfg, const store::instances::instance& row,
                   std::optional<std::int64_t> webhooks_since, json::object& o) {
  const auto own = templates::parse_window_policy(row.window_policy).value_or(templates::window_policy::automatic);
  const auto setting =
      templates::parse_window_policy(cfg.templates.window_policy).value_or(templates::window_policy::automatic);
  o["window_policy"] = templates::to_string(own);
  o["window_policy_effective"] =
      templates::to_string(templates::instance_policy(own, setting, webhooks_since, core::wall_ms()));
}

json::value or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

}  // namespace

std::string masked_token(std::string_view last4) { return "****" + std::string(last4); }

net::awaitable<std::optional<json::object>> view(view_context ctx, const store::instances::instance& row) {
  json::object o;
  o["id"] = row.id;
  o["name"] = row.name;
  static constexpr std::size_t shown[] = {f_phone, f_waba, f_app, f_verify};
  // Locals outside the loop and no co_return inside it: GCC 12 mishandles both.
  std::string values[4];
  core::result<core::secret_string> r = core::secret_string{};
  bool failed = false;
  for (std::size_t i = 0; i < 4 && !failed; ++i) {
    r = co_await crypto::open_instance_field(ctx.vault, ctx.blocking, row, shown[i]);
    if (r)
      values[i] = r->reveal();
    else
      failed = true;
  }
  if (failed) co_return std::nullopt;
  o["phone_number_id"] = values[0];
  o["waba_id"] = values[1];
  o["app_id"] = values[2];
  o["access_token"] = masked_token(row.token_last4);
  o["app_secret"] = "****";
  o["display_phone_number"] = row.display_phone_number;
  o["verified_name"] = row.verified_name;
  o["quality_rating"] = row.quality_rating;
  // Meta's throughput level for the number and the send rate Enfinito keeps to because of it.
  o["throughput"] = json::object{{"level", row.throughput_level},
                                 {"messages_per_second", outbound::send_rate(ctx.cfg.queue, row.throughput_level)}};
  // Meta's messaging limit of the number (TIER_250 .. TIER_UNLIMITED); null until Meta said.
  o["messaging_limit_tier"] = or_null(row.messaging_limit_tier);
  o["status"] = row.status;
  o["status_reason"] = or_null(row.status_reason);
  o["webhook"] = json::object{{"callback_url", ctx.cfg.server.public_url + "/webhooks/meta/" + row.id},
                              {"verify_token", values[3]}};
  if (row.verified_at)
    o["verified_at"] = *row.verified_at;
  else
    o["verified_at"] = nullptr;
  o["created_at"] = row.created_at;
  o["media_fetch"] = row.media_fetch;
  o["updated_at"] = row.updated_at;
  core::detail::secure_wipe(values[3].data(), values[3].size());
  // Onboarding and webhook health (instances/onboarding.hpp), with webhook times not flushed yet.
  store::instance_health::row health;
  store::templates::copy_state copy;  // webhooks_since: the window policy's auto
  const std::string hid = row.id;
  auto read_health = [&health, &copy, &hid](store::connection& c) {
    if (auto ec = store::templates::state(c, hid, copy)) return ec;
    return store::instance_health::get(c, hid, health);
  };
  auto hec = co_await ctx.db.read(read_health);
  if (!hec && ctx.activity) {
    const auto mem = ctx.activity->get(hid);
    if (mem.webhook_at && (!health.last_webhook_at || *health.last_webhook_at < *mem.webhook_at))
      health.last_webhook_at = mem.webhook_at;
    if (mem.status_at && (!health.last_status_at || *health.last_status_at < *mem.status_at))
      health.last_status_at = mem.status_at;
  }
  if (!hec)
    o["onboarding"] = onboarding_view(health);
  else
    o["onboarding"] = nullptr;
  window_fields(ctx.cfg, row, copy.webhooks_since, o);
  co_return o;
}

net::awaitable<view_page> list_views(view_context ctx, std::string user_id, std::string after, std::size_t limit,
                                     std::function<bool(std::string_view)> visible) {
  view_page page;
  std::vector<store::instances::instance> rows;
  auto read = [&](store::connection& c) { return store::instances::list(c, user_id, after, limit + 1, rows); };
  auto ec = co_await ctx.db.read(read);
  if (ec) {
    page.what = view_page::kind::store_failed;
    page.ec = ec;
    co_return page;
  }
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  std::optional<json::object> v;
  // No co_return inside the loop (GCC 12 coroutines: docs/engineering-notes.md).
  for (std::size_t i = 0; i < rows.size() && page.what == view_page::kind::done; ++i) {
    if (!visible(rows[i].id)) continue;
    v = co_await view(ctx, rows[i]);
    if (v)
      page.data.push_back(std::move(*v));
    else
      page.what = view_page::kind::vault_failed;
  }
  if (more) page.next = rows.back().id;
  co_return page;
}

core::error_code export_section(store::connection& c, const std::string& user_id, json::object& out) {
  json::array items;
  std::string after;
  for (;;) {
    std::vector<store::instances::instance> rows;
    if (auto ec = store::instances::list(c, user_id, after, 500, rows)) return ec;
    if (rows.empty()) break;
    after = rows.back().id;
    for (const auto& row : rows)
      items.push_back(json::object{{"id", row.id},
                                   {"name", row.name},
                                   {"display_phone_number", row.display_phone_number},
                                   {"verified_name", row.verified_name},
                                   {"quality_rating", row.quality_rating},
                                   {"status", row.status},
                                   {"status_reason", row.status_reason},
                                   {"access_token", masked_token(row.token_last4)},
                                   {"created_at", row.created_at},
                                   {"updated_at", row.updated_at}});
  }
  out["instances"] = std::move(items);
  return {};
}

}  // namespace enfinito::instances
