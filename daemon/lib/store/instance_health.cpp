// store::instance_health: the SQL of migration 15's instance_health and owner_alerts tables.
#include <enfinito/store/instance_health.hpp>

#include <enfinito/store/error.hpp>
#include "store/columns.hpp"
#include "store/prepare.hpp"

namespace enfinito::store::instance_health {
namespace {

std::optional<std::int64_t> opt_int(statement& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return s.int64(col);
}

// The health columns of `instance_health h`. The COALESCEs are the columns' defaults: a LEFT JOIN
// (list_watch) reads them for an instance that has no row yet.
#define ENF_HEALTH_COLUMNS                                                                                   \
  "h.checked_at, COALESCE(h.subscription, 'unknown') AS subscription, "                                      \
  "COALESCE(h.subscription_detail, '') AS subscription_detail, h.subscription_code, h.callback_override, "   \
  "COALESCE(h.token_type, '') AS token_type, h.token_expires_at, COALESCE(h.token_problems, '[]') AS "       \
  "token_problems, h.last_webhook_at, h.last_status_at, COALESCE(h.webhooks_silent, 0) AS webhooks_silent, " \
  "h.silent_since, COALESCE(h.alerts_off, '[]') AS alerts_off"

constexpr column_list health_cols{ENF_HEALTH_COLUMNS};
// An instance, whether one of its endpoints is paused (not by its owner), and its health.
constexpr column_list watch_cols{
    "i.id, i.user_id, i.name, i.status, "
    "EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.instance_id = i.id AND e.state = 'paused' "
    "AND COALESCE(e.paused_reason, '') <> 'paused by the owner') AS endpoint_paused, " ENF_HEALTH_COLUMNS};
#undef ENF_HEALTH_COLUMNS

// Reads the health columns of a row whose list `cols` holds them.
template <const column_list& cols>
void read_health(statement& s, row& r) {
  r.checked_at = opt_int(s, cols["checked_at"]);
  r.subscription = s.text(cols["subscription"]);
  r.subscription_detail = s.text(cols["subscription_detail"]);
  r.subscription_code = opt_int(s, cols["subscription_code"]);
  if (!s.is_null(cols["callback_override"])) r.callback_override = s.text(cols["callback_override"]);
  r.token_type = s.text(cols["token_type"]);
  r.token_expires_at = opt_int(s, cols["token_expires_at"]);
  r.token_problems = s.text(cols["token_problems"]);
  r.last_webhook_at = opt_int(s, cols["last_webhook_at"]);
  r.last_status_at = opt_int(s, cols["last_status_at"]);
  r.webhooks_silent = s.int64(cols["webhooks_silent"]) != 0;
  r.silent_since = opt_int(s, cols["silent_since"]);
  r.alerts_off = s.text(cols["alerts_off"]);
}

// The row must exist before an UPDATE of some of its columns.
core::error_code ensure(connection& c, std::string_view instance_id) {
  ENF_PREPARE(s, "INSERT INTO instance_health (instance_id) VALUES (?1) ON CONFLICT (instance_id) DO NOTHING");
  s->bind(1, instance_id);
  return s->run();
}

}  // namespace

core::error_code get(connection& c, std::string_view instance_id, row& out) {
  ENF_PREPARE(s, std::string("SELECT ") + health_cols.sql() + " FROM instance_health h WHERE h.instance_id = ?1");
  s->bind(1, instance_id);
  out = row{};
  out.instance_id = std::string(instance_id);
  core::error_code ec;
  if (s->step(ec)) read_health<health_cols>(*s, out);
  s->reset();
  return ec;
}

core::error_code save_onboarding(connection& c, const row& r) {
  if (auto ec = ensure(c, r.instance_id)) return ec;
  ENF_PREPARE(s,
              "UPDATE instance_health SET checked_at = ?2, subscription = ?3, subscription_detail = ?4, "
              "subscription_code = ?5, callback_override = ?6, token_type = ?7, token_expires_at = ?8, "
              "token_problems = ?9 WHERE instance_id = ?1");
  s->bind(1, r.instance_id).bind(2, r.checked_at).bind(3, r.subscription).bind(4, r.subscription_detail);
  s->bind(5, r.subscription_code).bind(6, r.callback_override).bind(7, r.token_type).bind(8, r.token_expires_at);
  s->bind(9, r.token_problems);
  return s->run();
}

core::error_code touch(connection& c, std::string_view instance_id, std::optional<std::int64_t> webhook_at,
                       std::optional<std::int64_t> status_at) {
  // The instance may be gone meanwhile: the INSERT's foreign key would fail, so only live ids.
  ENF_PREPARE(s,
              "INSERT INTO instance_health (instance_id, last_webhook_at, last_status_at) "
              "SELECT id, ?2, ?3 FROM instances WHERE id = ?1 "
              "ON CONFLICT (instance_id) DO UPDATE SET "
              "last_webhook_at = CASE WHEN ?2 IS NULL THEN last_webhook_at "
              "  WHEN last_webhook_at IS NULL OR last_webhook_at < ?2 THEN ?2 ELSE last_webhook_at END, "
              "last_status_at = CASE WHEN ?3 IS NULL THEN last_status_at "
              "  WHEN last_status_at IS NULL OR last_status_at < ?3 THEN ?3 ELSE last_status_at END");
  s->bind(1, instance_id).bind(2, webhook_at).bind(3, status_at);
  return s->run();
}

core::error_code set_silent(connection& c, std::string_view instance_id, bool silent,
                            std::optional<std::int64_t> since) {
  if (auto ec = ensure(c, instance_id)) return ec;
  ENF_PREPARE(s, "UPDATE instance_health SET webhooks_silent = ?2, silent_since = ?3 WHERE instance_id = ?1");
  s->bind(1, instance_id).bind(2, silent ? 1 : 0).bind(3, since);
  return s->run();
}

core::error_code set_alerts_off(connection& c, std::string_view instance_id, std::string_view causes_json) {
  if (auto ec = ensure(c, instance_id)) return ec;
  ENF_PREPARE(s, "UPDATE instance_health SET alerts_off = ?2 WHERE instance_id = ?1");
  s->bind(1, instance_id).bind(2, causes_json);
  return s->run();
}

core::error_code list_watch(connection& c, std::vector<watch_row>& out) {
  ENF_PREPARE(s, std::string("SELECT ") + watch_cols.sql() +
                     " FROM instances i JOIN users u ON u.id = i.user_id "
                     "LEFT JOIN instance_health h ON h.instance_id = i.id WHERE u.status = 'active' ORDER BY i.id");
  core::error_code ec;
  while (s->step(ec)) {
    watch_row w;
    w.instance_id = s->text(watch_cols["id"]);
    w.user_id = s->text(watch_cols["user_id"]);
    w.instance_name = s->text(watch_cols["name"]);
    w.status = s->text(watch_cols["status"]);
    w.endpoint_paused = s->int64(watch_cols["endpoint_paused"]) != 0;
    w.health.instance_id = w.instance_id;
    read_health<watch_cols>(*s, w.health);
    out.push_back(std::move(w));
  }
  s->reset();
  return ec;
}

core::error_code instance_ids(connection& c, std::vector<std::string>& out) {
  ENF_PREPARE(s, "SELECT id FROM instances ORDER BY id");
  core::error_code ec;
  while (s->step(ec)) out.push_back(s->text(0));
  s->reset();
  return ec;
}

core::error_code get_alert(connection& c, std::string_view instance_id, std::string_view cause, alert_state& out) {
  ENF_PREPARE(s, "SELECT active_since, last_mailed_at FROM owner_alerts WHERE instance_id = ?1 AND cause = ?2");
  s->bind(1, instance_id).bind(2, cause);
  out = {};
  core::error_code ec;
  if (s->step(ec)) {
    out.active_since = opt_int(*s, 0);
    out.last_mailed_at = opt_int(*s, 1);
  }
  s->reset();
  return ec;
}

core::error_code put_alert(connection& c, std::string_view instance_id, std::string_view cause, const alert_state& st) {
  ENF_PREPARE(s,
              "INSERT INTO owner_alerts (instance_id, cause, active_since, last_mailed_at) VALUES (?1, ?2, ?3, ?4) "
              "ON CONFLICT (instance_id, cause) DO UPDATE SET active_since = ?3, last_mailed_at = ?4");
  s->bind(1, instance_id).bind(2, cause).bind(3, st.active_since).bind(4, st.last_mailed_at);
  return s->run();
}

}  // namespace enfinito::store::instance_health
