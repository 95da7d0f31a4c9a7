// instances::owner_alerts: the once-per-episode, once-a-day rule and the mails' words
// (include/enfinito/instances/owner_alerts.hpp).
#include <enfinito/instances/owner_alerts.hpp>

#include <algorithm>

namespace enfinito::instances {

bool known_alert_cause(std::string_view cause) noexcept {
  return std::find(std::begin(alert_causes), std::end(alert_causes), cause) != std::end(alert_causes);
}

alert_step decide_alert(bool active, bool enabled, const alert_state& prev, std::int64_t now_ms,
                        std::int64_t min_gap_ms) noexcept {
  alert_step step;
  step.next.last_mailed_at = prev.last_mailed_at;
  if (!active) return step;
  step.next.active_since = prev.active_since.value_or(now_ms);
  const bool mailed_this_episode = prev.last_mailed_at && *prev.last_mailed_at >= *step.next.active_since;
  const bool gap_ok = !prev.last_mailed_at || now_ms - *prev.last_mailed_at >= min_gap_ms;
  if (enabled && !mailed_this_episode && gap_ok) {
    step.mail = true;
    step.next.last_mailed_at = now_ms;
  }
  return step;
}

alert_text alert_mail(std::string_view cause, std::string_view name, std::string_view id, std::string_view public_url) {
  std::string base(public_url);
  while (base.ends_with('/')) base.pop_back();
  const std::string link = base + "/instances/" + std::string(id);
  const std::string who = "\"" + std::string(name) + "\"";
  alert_text t;
  std::string what;
  if (cause == "needs_reauth") {
    t.subject = "Enfinito: WhatsApp instance " + who + " needs a new access token";
    what = "Meta refused the access token of your WhatsApp instance " + who +
           ". Messages to it wait until you give it a new token.";
  } else if (cause == "token_expiring") {
    t.subject = "Enfinito: the access token of " + who + " expires soon";
    what = "The Meta access token of your WhatsApp instance " + who +
           " expires soon. Replace it (a system-user token does not expire) to avoid an interruption.";
  } else if (cause == "webhooks_silent") {
    t.subject = "Enfinito: no webhooks from Meta for " + who;
    what = "Your WhatsApp instance " + who +
           " sent messages, but Meta has not reported their status for a while: its webhooks may not reach "
           "Enfinito. Check the instance's webhook set-up.";
  } else {
    t.subject = "Enfinito: a webhook endpoint of " + who + " was paused";
    what = "A webhook endpoint of your WhatsApp instance " + who +
           " kept failing and was paused. Events for it wait until you resume it.";
  }
  t.body =
      "Hello,\n\n" + what + "\n\nSee the instance:\n\n" + link + "\n\nYou can turn this notice off on that page.\n";
  return t;
}

}  // namespace enfinito::instances
