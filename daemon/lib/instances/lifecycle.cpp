// instances::lifecycle: connect, reverify, update and remove an instance (the flows are drawn
// in include/enfinito/instances/lifecycle.hpp).
#include <enfinito/instances/lifecycle.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/instances/status.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/limits.hpp>
#include <enfinito/store/instance_health.hpp>
#include <enfinito/store/store.hpp>

#include <algorithm>
#include <vector>

namespace enfinito::instances {
namespace {

using crypto::f_phone, crypto::f_token, crypto::f_waba;
using kind = outcome::kind;

std::int64_t now_s() { return core::wall_ms() / 1000; }

outcome fail(kind why, core::error_code ec = {}) {
  outcome o;
  o.what = why;
  o.ec = ec;
  return o;
}

outcome store_failure(core::error_code ec) {
  if (ec == store::error::not_found) return fail(kind::not_found);
  if (ec == store::error::constraint) return fail(kind::phone_in_use);
  return fail(kind::store_failed, ec);
}

void log_verification(std::string_view instance_id, const meta::verification& v) {
  core::log::info("instances.verified", {{"instance", instance_id},
                                         {"outcome", static_cast<int>(v.outcome)},
                                         {"meta_code", v.error ? v.error->code : 0},
                                         {"fbtrace_id", v.error ? v.error->fbtrace_id : std::string()},
                                         {"transport", v.transport ? v.transport.message() : std::string()}});
}

// What Meta says about the number, kept on the row after a passing check. The messaging limit
// tier is not among it: a new row takes it as read (connect), an existing one through
// instances::set_messaging_limit with its event (save).
void take_number(store::instances::instance& row, const meta::phone_number_info& n) {
  row.display_phone_number = n.display_phone_number;
  row.verified_name = n.verified_name;
  row.quality_rating = n.quality_rating;
  if (!n.throughput_level.empty()) row.throughput_level = n.throughput_level;
}

// Writes the whole row; a status change goes through set_status, and a messaging limit tier
// Meta's read just reported (`read_tier`, empty: none) through set_messaging_limit, each with
// its event, in the same transaction.
// `action` and `detail` are named locals of the caller (no temporary lives across the
// co_await: docs/engineering-notes.md, GCC 12).
net::awaitable<core::error_code> save(context& ctx, store::instances::instance& row, const std::string& action,
                                      const std::string& detail, const std::string& read_tier) {
  const std::int64_t now = core::wall_ms();
  auto work = [&row, &ctx, &action, &detail, &read_tier, now](store::connection& c) -> core::error_code {
    bool changed = false;
    if (auto ec = set_status(c, row.id, row.status, row.status_reason, now, changed)) return ec;
    if (auto ec = store::instances::update(c, row)) return ec;  // the tier as the row was read: unchanged
    if (auto ec = set_messaging_limit(c, row.id, row.user_id, read_tier, "", now, changed)) return ec;
    if (changed) row.messaging_limit_tier = read_tier;
    return store::audit::record(c, ctx.who, row.user_id, action, "instance=" + row.id + detail);
  };
  auto ec = co_await ctx.db.write(work);
  co_return ec;
}

net::awaitable<outcome> sealed_and_saved(context& ctx, store::instances::instance row,
                                         const core::secret_string (&values)[6], const std::string& action,
                                         const std::string& detail, const std::string& read_tier) {
  auto sealing = co_await crypto::fresh_vault(ctx.vault, ctx.blocking);
  crypto::seal_instance_fields(*sealing, row, values);
  auto ec = co_await save(ctx, row, action, detail, read_tier);
  if (ec) co_return store_failure(ec);
  outcome o;
  o.row = std::move(row);
  co_return o;
}

// The names of what a request changes (never a value: credentials are named only).
std::vector<std::string> field_names(const changes& in) {
  static constexpr const char* credential[5] = {"phone_number_id", "waba_id", "access_token", "app_secret", "app_id"};
  std::vector<std::string> out;
  if (in.name) out.emplace_back("name");
  for (std::size_t i = 0; i < 5; ++i)
    if (in.values[i]) out.emplace_back(credential[i]);
  if (in.status) out.emplace_back("status");
  if (in.media_fetch) out.emplace_back("media_fetch");
  if (in.window_policy) out.emplace_back("window_policy");
  return out;
}

std::string changed_fields(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? " fields=" : ",") + n;
  return out;
}

bool blocks_sending(const token_check& t) {
  return std::any_of(t.problems.begin(), t.problems.end(), [](const token_problem& p) { return p.blocks_sending; });
}

// After the row is committed (Meta's handshake calls the instance's own URL): the app's
// subscription to the WABA, then the outcome with the token check in instance_health.
net::awaitable<void> finish_onboarding(context& ctx, const std::string& instance_id, const std::string& waba,
                                       const core::secret_string& token, const core::secret_string& verify_token,
                                       const token_check& checked) {
  store::instance_health::row h;
  h.instance_id = instance_id;
  record_token_check(checked, h);
  co_await subscribe(ctx.meta, token, waba, instance_id, verify_token, ctx.onboarding, h);
  h.checked_at = core::wall_ms();
  auto work = [&h](store::connection& c) { return store::instance_health::save_onboarding(c, h); };
  auto ec = co_await ctx.db.write(work);
  core::log::info("instances.onboarded", {{"instance", instance_id},
                                          {"subscription", h.subscription},
                                          {"token_problems", checked.problems.size()},
                                          {"stored", !ec}});
}

outcome token_refusal(token_check t) {
  outcome o = fail(kind::token_incomplete);
  o.token_problems = std::move(t.problems);
  return o;
}

}  // namespace

net::awaitable<outcome> connect(context ctx, std::string user_id, changes in) {
  outcome o;
  // A tenant at its quota is refused before Meta is asked (the insert checks again).
  std::optional<std::int64_t> full;
  auto read_ec = co_await ctx.db.read([&](store::connection& c) -> core::error_code {
    auto f = store::limits::full(c, user_id, store::limits::quota::instances, ctx.quota);
    if (!f) return f.error();
    full = *f;
    return {};
  });
  if (read_ec) co_return store_failure(read_ec);
  if (full) {
    o.what = kind::over_quota;
    o.quota = *full;
    co_return o;
  }
  const std::string phone = in.values[f_phone]->reveal(), waba = in.values[f_waba]->reveal();
  o.verdict = co_await meta::verify_number(ctx.meta, phone, waba, *in.values[f_token]);
  store::instances::instance& row = o.row;
  row.id = "ins_" + crypto::random_token(16);
  log_verification(row.id, o.verdict);
  if (o.verdict.outcome != meta::verify_outcome::ok) {
    o.what = kind::refused_by_meta;
    co_return o;
  }
  token_check checked;
  if (ctx.onboarding.enabled) {
    checked = co_await check_token(ctx.meta, *in.values[f_token], waba, now_s(), ctx.onboarding.warn_before_s);
    if (blocks_sending(checked)) co_return token_refusal(std::move(checked));
  }
  const core::secret_string verify_token(crypto::random_token(24));
  const auto& number = o.verdict.number;
  row.user_id = std::move(user_id);
  row.name = in.name ? *in.name : (number.verified_name.empty() ? "WhatsApp" : number.verified_name.substr(0, 100));
  take_number(row, number);
  row.messaging_limit_tier = number.messaging_limit_tier;  // a new instance: no change to announce
  row.created_at = row.updated_at = now_s();
  row.verified_at = row.created_at;
  row.media_fetch = in.media_fetch.value_or(false);
  row.window_policy = in.window_policy.value_or("auto");
  {
    const core::secret_string values[6] = {*in.values[0], *in.values[1], *in.values[2],
                                           *in.values[3], *in.values[4], verify_token};
    auto sealing = co_await crypto::fresh_vault(ctx.vault, ctx.blocking);
    crypto::seal_instance_fields(*sealing, row, values);
  }
  // The quota is checked in the insert's transaction, so two creations at once cannot both pass.
  auto insert = [&row, &full, &ctx](store::connection& c) -> core::error_code {
    auto f = store::limits::full(c, row.user_id, store::limits::quota::instances, ctx.quota);
    if (!f) return f.error();
    if ((full = *f)) return {};
    if (auto ec = store::instances::insert(c, row)) return ec;
    return store::audit::record(c, ctx.who, row.user_id, "instance_created", "instance=" + row.id);
  };
  auto ec = co_await ctx.db.write(insert);
  if (ec) co_return store_failure(ec);
  if (full) {
    o.what = kind::over_quota;
    o.quota = *full;
    co_return o;
  }
  core::log::info("instances.created", {{"instance", row.id}, {"user", row.user_id}});
  if (ctx.onboarding.enabled) co_await finish_onboarding(ctx, row.id, waba, *in.values[f_token], verify_token, checked);
  co_return o;
}

net::awaitable<outcome> reverify(context ctx, store::instances::instance row, changes in, bool must_pass) {
  const auto in_names = field_names(in);
  // Decrypt what was not given: these are used for the Meta call right here.
  core::secret_string values[6];
  core::result<core::secret_string> opened = core::secret_string{};
  bool failed = false;
  for (std::size_t i = 0; i < 6 && !failed; ++i) {
    if (i < 5 && in.values[i]) {
      values[i] = std::move(*in.values[i]);
      continue;
    }
    opened = co_await crypto::open_instance_field(ctx.vault, ctx.blocking, row, i);
    if (opened)
      values[i] = std::move(*opened);
    else
      failed = true;
  }
  if (failed) co_return fail(kind::vault_failed);
  if (values[f_phone].reveal() == values[f_waba].reveal()) co_return fail(kind::phone_is_waba);
  const std::string phone = values[f_phone].reveal(), waba = values[f_waba].reveal();
  auto verdict = co_await meta::verify_number(ctx.meta, phone, waba, values[f_token]);
  log_verification(row.id, verdict);
  const bool ok = verdict.outcome == meta::verify_outcome::ok;
  const bool refused_token = verdict.outcome == meta::verify_outcome::token_invalid;
  if ((!ok && must_pass) || (!ok && !refused_token)) {
    outcome o = fail(kind::refused_by_meta);
    o.verdict = std::move(verdict);
    co_return o;
  }
  token_check checked;
  if (ok && ctx.onboarding.enabled) {
    checked = co_await check_token(ctx.meta, values[f_token], waba, now_s(), ctx.onboarding.warn_before_s);
    if (must_pass && blocks_sending(checked)) co_return token_refusal(std::move(checked));
  }
  if (ok) {
    take_number(row, verdict.number);
    row.verified_at = now_s();
    if (row.status == "needs_reauth") {
      row.status = "active";
      row.status_reason.clear();
    }
  } else if (row.status != "disabled") {
    row.status = "needs_reauth";
    row.status_reason = reauth_reason(verdict.error ? *verdict.error : meta::graph_error{});
  }
  if (in.name) row.name = *in.name;
  if (in.media_fetch) row.media_fetch = *in.media_fetch;
  if (in.window_policy) row.window_policy = *in.window_policy;
  if (in.status) {
    row.status = *in.status == "disabled" ? "disabled" : (ok ? "active" : row.status);
    if (row.status != "needs_reauth") row.status_reason.clear();
  }
  row.updated_at = now_s();
  const std::string action = must_pass ? "instance_updated" : "instance_verified";
  const std::string detail = must_pass ? changed_fields(in_names) : " status=" + row.status;
  const std::string read_tier = ok ? verdict.number.messaging_limit_tier : std::string();
  auto o = co_await sealed_and_saved(ctx, std::move(row), values, action, detail, read_tier);
  o.verdict = std::move(verdict);
  if (ok && ctx.onboarding.enabled && o.what == kind::done)
    co_await finish_onboarding(ctx, o.row.id, waba, values[f_token], values[crypto::f_verify], checked);
  co_return o;
}

net::awaitable<outcome> update(context ctx, store::instances::instance row, changes in) {
  const bool creds =
      std::any_of(std::begin(in.values), std::end(in.values), [](const auto& v) { return v.has_value(); });
  // New credentials, or re-activation, are checked with Meta first.
  if (creds || (in.status && *in.status == "active" && row.status != "active")) {
    auto o = co_await reverify(ctx, std::move(row), std::move(in), true);
    co_return o;
  }
  if (in.name) row.name = *in.name;
  if (in.media_fetch) row.media_fetch = *in.media_fetch;
  if (in.window_policy) row.window_policy = *in.window_policy;
  if (in.status) {
    row.status = *in.status;
    row.status_reason.clear();
  }
  row.updated_at = now_s();
  const std::string action = "instance_updated", detail = changed_fields(field_names(in)), no_tier;
  auto ec = co_await save(ctx, row, action, detail, no_tier);
  if (ec == store::error::not_found) co_return fail(kind::not_found);
  if (ec) co_return fail(kind::store_failed, ec);
  outcome o;
  o.row = std::move(row);
  co_return o;
}

net::awaitable<outcome> remove(context ctx, std::string user_id, std::string id) {
  // One statement; the schema's ON DELETE CASCADE takes the instance's logs and jobs with it
  // in the same transaction, and secure_delete overwrites the freed pages.
  auto work = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::instances::remove(c, user_id, id)) return ec;
    return store::audit::record(c, ctx.who, user_id, "instance_deleted", "instance=" + id);
  };
  auto ec = co_await ctx.db.write(work);
  if (ec == store::error::not_found) co_return fail(kind::not_found);
  if (ec) co_return fail(kind::store_failed, ec);
  core::log::info("instances.deleted", {{"instance", id}, {"user", user_id}});
  outcome o;
  o.row.id = std::move(id);
  co_return o;
}

}  // namespace enfinito::instances
