// Fuzz harness: arbitrary bytes as the JSON body of a send, through the same pure entry points
// the routes use: api::check_send_body (POST /v1/instances/{id}/messages) and
// api::check_graph_message_body (POST {prefix}/{version}/{phone}/messages), both ending in
// meta::check_message. Beyond "no crash", it checks properties that could fail:
// - every refusal is a small 400/415 (a body that echoed input would grow with it);
// - the REST route and the Graph route agree on what is a message, and produce the same body;
// - an accepted body, checked again, passes unchanged (the normalised form is a fixed point),
//   and it is the body that goes to Meta: a JSON object with messaging_product "whatsapp".
#include <enfinito/api/graph_routes.hpp>
#include <enfinito/api/messages_routes.hpp>
#include <enfinito/http/message.hpp>
#include <enfinito/meta/message_rules.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

using namespace enfinito;

namespace {

// The daemon's default limits (limits.json_max_depth, limits.json_max_elements).
constexpr http::json_limits body_limits{32, 100'000};
// Our own refusals name a field path and a fixed text: never anywhere near this size.
constexpr std::size_t max_refusal_bytes = 2048;

void require(bool ok) {
  if (!ok) std::abort();
}

// An accepted body: valid JSON object, Meta's envelope, and a fixed point of the check.
void check_accepted(const meta::checked_message& m) {
  boost::system::error_code ec;
  auto v = boost::json::parse(m.body, ec);
  require(!ec && v.is_object());
  const auto& o = v.get_object();
  const auto* mp = o.if_contains("messaging_product");
  require(mp && mp->is_string() && mp->get_string() == "whatsapp");
  auto again = meta::check_message(v);
  require(again.ok && again.message.what == m.what && again.message.body == m.body);
  require(again.message.type == m.type && again.message.to == m.to && again.message.message_id == m.message_id);
  if (m.what == meta::checked_message::kind::message) {
    require(!m.to.empty() && o.contains("type") && o.at("type").is_string() && o.at("type").get_string() == m.type);
    require(meta::recipient_key(m.to).size() <= m.to.size());
  }
}

void check_refusal(const http::response& r, bool graph) {
  const auto s = static_cast<unsigned>(r.result());
  require(s == 400 || s == 415);
  require(r.body().size() <= max_refusal_bytes);
  if (!graph) return;
  // Meta's envelope with Meta's codes, whatever went wrong.
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body(), ec);
  require(!ec && v.is_object() && v.get_object().contains("error"));
  const auto& code = v.at("error").at("code");
  require(code.is_int64() && (code.get_int64() == 100 || code.get_int64() == 131008));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::beast_request msg{http::verb::post, "/v1/instances/ins_fuzz/messages", 11};
  msg.set(http::bhttp::field::content_type, "application/json");
  msg.body().assign(reinterpret_cast<const char*>(data), size);
  http::request req{msg, "/v1/instances/ins_fuzz/messages", {}, {}, "fuzz", {}, 0, nullptr};

  auto rest = api::check_send_body(req, body_limits);
  auto graph = api::check_graph_message_body(req, body_limits);

  const auto* rest_ok = std::get_if<meta::checked_message>(&rest);
  const auto* graph_ok = std::get_if<meta::checked_message>(&graph);
  if (rest_ok)
    check_accepted(*rest_ok);
  else
    check_refusal(std::get<http::response>(rest), false);
  if (graph_ok)
    check_accepted(*graph_ok);
  else
    check_refusal(std::get<http::response>(graph), true);

  // The two routes share the rules: a message passes on both or on neither, and goes to Meta
  // as the same JSON. (Mark-as-read passes only on the Graph route.)
  const bool graph_message = graph_ok && graph_ok->what == meta::checked_message::kind::message;
  require(static_cast<bool>(rest_ok) == graph_message);
  if (rest_ok) {
    require(rest_ok->type == graph_ok->type && rest_ok->to == graph_ok->to);
    require(boost::json::parse(rest_ok->body) == boost::json::parse(graph_ok->body));
  }
  return 0;
}
