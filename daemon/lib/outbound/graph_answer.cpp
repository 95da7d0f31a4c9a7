// outbound::graph_send_body: the Graph-compatible send's answer body (outbound/graph_answer.hpp).
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

}  // namespace enfinito::outbound
