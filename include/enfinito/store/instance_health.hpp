#pragma once
/**
 * @file store::instance_health: the SQL of an instance's onboarding and webhook health
 * (migration 15): what Meta said at connect/verify about the app's subscription and the token,
 * the coalesced webhook times, the `webhooks_silent` flag, the owner-mail bookkeeping and the
 * causes the owner turned off. Nothing here is on the send path.
 */
#include <enfinito/core/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store {
class connection;
}

namespace enfinito::store::instance_health {

struct row {
  std::string instance_id;
  std::optional<std::int64_t> checked_at;  // unix ms
  std::string subscription = "unknown";    // unknown | subscribed | overridden | failed
  std::string subscription_detail;
  std::optional<std::int64_t> subscription_code;
  std::optional<std::string> callback_override;
  std::string token_type;
  std::optional<std::int64_t> token_expires_at;  // unix s, 0: never
  std::string token_problems = "[]";             // JSON array
  std::optional<std::int64_t> last_webhook_at;   // unix ms
  std::optional<std::int64_t> last_status_at;    // unix ms
  bool webhooks_silent = false;
  std::optional<std::int64_t> silent_since;
  std::string alerts_off = "[]";  // JSON array of causes
};

/** The instance's row; a default row (with `instance_id`) when none was written yet. */
core::error_code get(connection& c, std::string_view instance_id, row& out);

/** Writes the onboarding columns (checked_at … token_problems), keeping the others. */
core::error_code save_onboarding(connection& c, const row& r);

/** Moves last_webhook_at / last_status_at forward (never back); absent values are left. */
core::error_code touch(connection& c, std::string_view instance_id, std::optional<std::int64_t> webhook_at,
                       std::optional<std::int64_t> status_at);

/** Sets the silent flag and since when. */
core::error_code set_silent(connection& c, std::string_view instance_id, bool silent,
                            std::optional<std::int64_t> since);

/** Sets the causes turned off (a JSON array, already checked). */
core::error_code set_alerts_off(connection& c, std::string_view instance_id, std::string_view causes_json);

/** What the owner-alert sweep looks at, per instance of an active user. */
struct watch_row {
  std::string instance_id, user_id, instance_name, status;
  row health;
  bool endpoint_paused = false;  // a customer-webhook endpoint was paused for failing (not by its owner)
};
/** Every instance, with its health row (defaults when none) and whether an endpoint is paused. */
core::error_code list_watch(connection& c, std::vector<watch_row>& out);
/** The id of every instance (any user, any state), ascending: what the watch's memory may hold. */
core::error_code instance_ids(connection& c, std::vector<std::string>& out);

struct alert_state {
  std::optional<std::int64_t> active_since;
  std::optional<std::int64_t> last_mailed_at;
};
core::error_code get_alert(connection& c, std::string_view instance_id, std::string_view cause, alert_state& out);
core::error_code put_alert(connection& c, std::string_view instance_id, std::string_view cause, const alert_state& s);

}  // namespace enfinito::store::instance_health
