// outbound::check_send: a REST send's parsed body checked (outbound/send_body.hpp).
#include <enfinito/outbound/send_body.hpp>

#include <enfinito/outbound/accept.hpp>
#include <enfinito/outbound/schedule_rules.hpp>

#include <boost/json.hpp>

namespace enfinito::outbound {

std::variant<meta::checked_message, core::field_refusal> check_send(boost::json::value&& body, std::int64_t now,
                                                                    schedule* when) {
  if (auto* o = body.if_object(); o && when)
    if (auto bad = take_schedule(*o, now, *when)) return core::field_refusal{bad->field, bad->detail};
  // Meta's envelope defaults, filled in before the check as check_message itself would.
  if (auto* o = body.if_object()) {
    if (!o->contains("messaging_product")) (*o)["messaging_product"] = "whatsapp";
    if (!o->contains("recipient_type")) (*o)["recipient_type"] = "individual";
  }
  auto checked = meta::check_message(std::move(body));
  if (!checked.ok)
    return core::field_refusal{checked.error.field, checked.error.detail,
                               checked.error.missing ? "missing_field" : "invalid_field"};
  if (checked.message.what != meta::checked_message::kind::message)
    return core::field_refusal{"status", "mark-as-read and typing indicators are not messages", "not_a_message"};
  return std::move(checked.message);
}

}  // namespace enfinito::outbound
