// store::limits: the SQL of fair shares: overrides, quota counts, usage per day (see
// include/enfinito/store/limits.hpp).
#include <enfinito/store/limits.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"
#include "store/rows.hpp"

namespace enfinito::store::limits {
namespace {

constexpr column_list override_cols{
    "key_per_s, key_burst, tenant_per_s, tenant_burst, max_instances, max_api_keys, max_webhook_endpoints, updated_at"};
// The same list after the owner, for the startup read of every row.
constexpr column_list owned_cols{
    "user_id, key_per_s, key_burst, tenant_per_s, tenant_burst, max_instances, max_api_keys, max_webhook_endpoints, "
    "updated_at"};

std::optional<std::int64_t> opt(const statement& s, int col) {
  return s.is_null(col) ? std::nullopt : std::optional<std::int64_t>(s.int64(col));
}

// Reads a row selected with `cols` (override_cols, or owned_cols).
template <const column_list& cols>
overrides read_overrides(const statement& s) {
  overrides o;
  o.key_per_s = opt(s, cols["key_per_s"]);
  o.key_burst = opt(s, cols["key_burst"]);
  o.tenant_per_s = opt(s, cols["tenant_per_s"]);
  o.tenant_burst = opt(s, cols["tenant_burst"]);
  o.max_instances = opt(s, cols["max_instances"]);
  o.max_api_keys = opt(s, cols["max_api_keys"]);
  o.max_webhook_endpoints = opt(s, cols["max_webhook_endpoints"]);
  o.updated_at = s.int64(cols["updated_at"]);
  return o;
}

}  // namespace

core::result<overrides> get(connection& c, std::string_view user_id) {
  ENF_PREPARE(s, std::string("SELECT ") + override_cols.sql() + " FROM tenant_limits WHERE user_id = ?1");
  s->bind(1, user_id);
  core::error_code ec;
  overrides o;
  if (s->step(ec)) o = read_overrides<override_cols>(*s);
  s->reset();
  if (ec) return ec;
  return o;
}

core::error_code put(connection& c, std::string_view user_id, const overrides& o) {
  if (o.empty()) {
    ENF_PREPARE(d, "DELETE FROM tenant_limits WHERE user_id = ?1");
    d->bind(1, user_id);
    return d->run();
  }
  ENF_PREPARE(s, std::string("INSERT OR REPLACE INTO tenant_limits(user_id, ") + override_cols.sql() +
                     ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s->bind(1, user_id)
      .bind(2, o.key_per_s)
      .bind(3, o.key_burst)
      .bind(4, o.tenant_per_s)
      .bind(5, o.tenant_burst)
      .bind(6, o.max_instances)
      .bind(7, o.max_api_keys)
      .bind(8, o.max_webhook_endpoints)
      .bind(9, o.updated_at);
  return s->run();
}

core::result<std::vector<std::pair<std::string, overrides>>> all(connection& c) {
  ENF_PREPARE(s, std::string("SELECT ") + owned_cols.sql() + " FROM tenant_limits ORDER BY user_id");
  std::vector<std::pair<std::string, overrides>> out;
  core::error_code ec;
  while (s->step(ec)) out.emplace_back(s->text(owned_cols["user_id"]), read_overrides<owned_cols>(*s));
  s->reset();
  if (ec) return ec;
  return out;
}

std::string_view quota_name(quota q) noexcept {
  switch (q) {
    case quota::instances:
      return "instances";
    case quota::api_keys:
      return "api_keys";
    case quota::webhook_endpoints:
      return "webhook_endpoints";
  }
  return "unknown";
}

core::result<std::int64_t> count(connection& c, std::string_view user_id, quota q) {
  statement* s = nullptr;
  core::error_code ec;
  switch (q) {
    case quota::instances:
      s = c.prepare("SELECT COUNT(*) FROM instances WHERE user_id = ?1", ec);
      break;
    case quota::api_keys:
      s = c.prepare("SELECT COUNT(*) FROM api_keys WHERE user_id = ?1 AND revoked_at IS NULL", ec);
      break;
    case quota::webhook_endpoints:
      s = c.prepare("SELECT COUNT(*) FROM webhook_endpoints WHERE user_id = ?1", ec);
      break;
  }
  if (!s) return ec ? ec : make_error_code(error::misuse);
  s->bind(1, user_id);
  std::int64_t n = 0;
  if (auto rc = read_value(*s, n)) return rc;
  return n;
}

core::result<std::optional<std::int64_t>> full(connection& c, std::string_view user_id, quota q,
                                               std::int64_t default_max) {
  auto o = get(c, user_id);
  if (!o) return o.error();
  std::optional<std::int64_t> own;
  switch (q) {
    case quota::instances:
      own = o->max_instances;
      break;
    case quota::api_keys:
      own = o->max_api_keys;
      break;
    case quota::webhook_endpoints:
      own = o->max_webhook_endpoints;
      break;
  }
  const std::int64_t max = own.value_or(default_max);
  auto n = count(c, user_id, q);
  if (!n) return n.error();
  if (*n >= max) return std::optional<std::int64_t>(max);
  return std::optional<std::int64_t>();
}

core::error_code add_usage(connection& c, std::string_view user_id, const usage_day& d) {
  // Only for a user that still exists: counts flushed after an erasure are dropped.
  ENF_PREPARE(s,
              "INSERT INTO usage_daily(user_id, day, sent, received) SELECT ?1, ?2, ?3, ?4 "
              "WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) "
              "ON CONFLICT(user_id, day) DO UPDATE SET sent = sent + excluded.sent, "
              "received = received + excluded.received");
  s->bind(1, user_id).bind(2, d.day).bind(3, d.sent).bind(4, d.received);
  return s->run();
}

core::result<std::vector<usage_day>> usage(connection& c, std::string_view user_id, std::int64_t from_day,
                                           std::int64_t to_day) {
  static constexpr column_list usage_cols{"day, sent, received"};
  ENF_PREPARE(s, std::string("SELECT ") + usage_cols.sql() +
                     " FROM usage_daily WHERE user_id = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day");
  s->bind(1, user_id).bind(2, from_day).bind(3, to_day);
  std::vector<usage_day> out;
  core::error_code ec;
  while (s->step(ec))
    out.push_back({s->int64(usage_cols["day"]), s->int64(usage_cols["sent"]), s->int64(usage_cols["received"])});
  s->reset();
  if (ec) return ec;
  return out;
}

core::error_code purge_usage(connection& c, std::int64_t before_day, std::size_t limit, std::size_t& deleted) {
  ENF_PREPARE(s,
              "DELETE FROM usage_daily WHERE (user_id, day) IN "
              "(SELECT user_id, day FROM usage_daily WHERE day < ?1 LIMIT ?2)");
  s->bind(1, before_day).bind(2, static_cast<std::int64_t>(limit));
  if (auto ec = s->run()) return ec;
  deleted = static_cast<std::size_t>(c.changes());
  return {};
}

}  // namespace enfinito::store::limits
