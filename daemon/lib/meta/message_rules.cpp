// meta::message_rules: Meta's rules for outbound message bodies (REFERENCE.md §1).
// Interim version: envelope and text only. The full per-type rules replace it.
#include <enfinito/meta/message_rules.hpp>

#include <boost/json.hpp>

namespace enfinito::meta {
namespace json = boost::json;
namespace {

message_check fail(std::string field, std::string detail, bool missing = false) {
  message_check r;
  r.error = {std::move(field), std::move(detail), missing};
  return r;
}

}  // namespace

std::string recipient_key(std::string_view to) {
  std::string out;
  for (char c : to)
    if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')') out.push_back(c);
  return out;
}

message_check check_message(const json::value& body) {
  if (!body.is_object()) return fail("", "the body must be a JSON object");
  json::object o = body.as_object();
  const auto* type = o.if_contains("type");
  const auto* to = o.if_contains("to");
  if (!to) return fail("to", "is required", true);
  if (!to->is_string() || to->get_string().empty()) return fail("to", "must be a non-empty string");
  std::string t = type && type->is_string() ? std::string(type->get_string()) : "text";
  if (t != "text") return fail("type", "is not supported yet");
  const auto* text = o.if_contains("text");
  if (!text) return fail("text", "is required", true);
  if (!text->is_object() || !text->as_object().if_contains("body")) return fail("text.body", "is required", true);
  o["messaging_product"] = "whatsapp";
  if (!o.contains("recipient_type")) o["recipient_type"] = "individual";
  o["type"] = t;
  message_check r;
  r.ok = true;
  r.message.type = t;
  r.message.to = std::string(to->get_string());
  r.message.body = json::serialize(o);
  return r;
}

}  // namespace enfinito::meta
