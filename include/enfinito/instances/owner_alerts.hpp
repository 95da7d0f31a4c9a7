#pragma once
/**
 * @file instances::owner_alerts: mail the instance's owner when it matters, through the mail
 * outbox (mail/outbox.hpp): the instance needs a new token (`needs_reauth`), the token nears
 * its expiry (debug_token, onboarding.token_expiry_warning_days), Meta's webhooks fell silent,
 * a customer webhook endpoint of the instance was paused.
 *
 * decide_alert (pure) keeps each cause to one mail per episode (from the moment the cause
 * became true until it stops being true) and never more than one per cause per instance per
 * day, even when a cause comes and goes. The owner turns causes off per instance
 * (`PATCH /v1/instances/{id}/alerts`, instance_health.alerts_off). The bookkeeping
 * (owner_alerts rows) and the mail are written in the same transaction. Bodies carry only the
 * notification and a link (privacy promise P7).
 */
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::instances {

/** The causes, by their stable names (API, owner_alerts.cause). */
inline constexpr std::string_view alert_causes[] = {"needs_reauth", "token_expiring", "webhooks_silent",
                                                    "endpoint_paused"};
bool known_alert_cause(std::string_view cause) noexcept;

inline constexpr std::int64_t alert_min_gap_ms = 24ll * 3600 * 1000;

struct alert_state {
  std::optional<std::int64_t> active_since;    // unix ms; none: the cause is not true
  std::optional<std::int64_t> last_mailed_at;  // unix ms
  bool operator==(const alert_state&) const = default;
};

struct alert_step {
  alert_state next;
  bool mail = false;
};

/**
 * Pure. `active`: the cause is true now; `enabled`: the owner wants this mail. A mail goes
 * when the cause is true and enabled, was not mailed since it became true, and the last mail
 * of this cause is at least `min_gap_ms` old.
 */
alert_step decide_alert(bool active, bool enabled, const alert_state& prev, std::int64_t now_ms,
                        std::int64_t min_gap_ms = alert_min_gap_ms) noexcept;

/** The mail for `cause` (subject, body): the instance's name and a link to its page only. */
struct alert_text {
  std::string subject;
  std::string body;
};
alert_text alert_mail(std::string_view cause, std::string_view instance_name, std::string_view instance_id,
                      std::string_view public_url);

}  // namespace enfinito::instances
