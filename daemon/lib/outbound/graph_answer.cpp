// outbound::graph_send_body, graph_refusal_of and graph_failure_of: the Graph-compatible
// send's answer body and refusals (outbound/graph_answer.hpp).
#include <enfinito/outbound/graph_answer.hpp>

#include <enfinito/meta/message_rules.hpp>

#include <boost/json.hpp>

namespace enfinito::outbound {

boost::json::object graph_send_body(const std::string& message_id, const std::string& to, const send_outcome* out) {
  namespace json = boost::json;
  json::object answer{{"messaging_product", "whatsapp"}};
  std::string wa_id = out && !out->wa_id.empty() ? out->wa_id : meta::recipient_key(to);
  answer["contacts"] = json::array{json::object{{"input", to}, {"wa_id", wa_id}}};
  json::object first;
  if (out)
    first["id"] = out->wamid;
  else {
    first["id"] = message_id;  // Meta has not answered yet: Enfinito's id, durable and queued
    first["message_status"] = "accepted";
  }
  answer["messages"] = json::array{std::move(first)};
  return answer;
}

std::optional<graph_refusal> graph_refusal_of(accept_result::kind what, const templates::problem& check) {
  using kind = accept_result::kind;
  switch (what) {
    case kind::key_reused:  // the REST route's 422 idempotency_key_reused, in Meta's envelope
      return graph_refusal{422, 100, "This Idempotency-Key was used with a different request",
                           "use a new key for a different message"};
    case kind::check_refused: {
      // A pre-send check's refusal (templates/checks.hpp) as Meta answers it: 132001 is a 404 there.
      const auto c = check.meta_code;
      return graph_refusal{c == 132001 ? 404 : 400, c,
                           c == 132001   ? "Template name does not exist in the translation"
                           : c == 132000 ? "Number of parameters does not match the expected number of params"
                           : c == 132012 ? "Parameter format does not match format in the created template"
                                         : "Re-engagement message",
                           check.field + ": " + check.detail};
    }
    case kind::needs_reauth:
      return graph_refusal{401, 190, "Error validating access token",
                           "Meta refused this instance's access token: update it in Enfinito"};
    case kind::disabled:
      return graph_refusal{403, 10, "Permission denied", "this instance is disabled in Enfinito"};
    case kind::opted_out:
      // Meta's own code for a recipient who stopped marketing messages (131050), answered at
      // once: the instance's opt-out settings refused the send, nothing was queued.
      return graph_refusal{400, 131050, "User has opted out of these messages",
                           "the recipient is on this instance's opt-out list in Enfinito; nothing was queued"};
    case kind::accepted:
    case kind::replayed:
    case kind::body_refused:
    case kind::store_failed:
      break;
  }
  return std::nullopt;
}

graph_refusal graph_failure_of(const send_outcome& out, const std::string& message_id) {
  return graph_refusal{
      out.http_status >= 400 ? static_cast<int>(out.http_status) : 400, out.error_code.value_or(131000),
      out.error_title.empty() ? "Message failed" : out.error_title,
      "Enfinito message " + message_id + " is " + (out.what == send_outcome::kind::dead ? "dead" : "failed")};
}

}  // namespace enfinito::outbound
