// The web app's conversations: GET /v1/instances/{id}/conversations and
// GET /v1/instances/{id}/conversations/{peer} (include/enfinito/api/conversations.hpp).
//
// A conversation is a peer of the instance with its newest message, the unread inbound count
// and Meta's 24-hour customer-service window. The store reads them (store/conversations.cpp);
// this file validates and shapes the JSON; the window is templates::window_at, the one the
// pre-send checks decide with.
//
// Tenancy: the instance is read with the caller's user id in the same read as the
// conversations (404 for anything not theirs or outside the key's scope).
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/conversations.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/store/conversations.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/templates/checks.hpp>

#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::api {
namespace {

using detail::store_problem;
using http::response;
using http::status;

constexpr std::size_t max_id = 64;
constexpr std::size_t max_peer = 64;

response instance_not_found() { return http::problem(status::not_found, "instance_not_found", "No such instance"); }
response conversation_not_found() {
  return http::problem(status::not_found, "conversation_not_found", "No such conversation",
                       "no message to or from this peer in this instance");
}

bool all_digits(std::string_view s, std::size_t max_len) {
  return !s.empty() && s.size() <= max_len &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Cuts `s` to at most `max` code points (input is valid UTF-8: it came from parsed JSON).
std::string cut(std::string_view s, std::size_t max) {
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max) break;
  return std::string(s.substr(0, i));
}

// A string member of an object member: body[outer][inner], or empty.
std::string_view member(const json::object& body, std::string_view outer, std::string_view inner) {
  const auto* o = body.if_contains(outer);
  const auto* v = o && o->is_object() ? o->as_object().if_contains(inner) : nullptr;
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

json::object view(const store::conversations::conversation& v, std::int64_t now) {
  json::object last;
  last["id"] = v.last_id;
  last["direction"] = v.last_direction;
  last["type"] = v.last_type;
  last["status"] = v.last_status;
  last["preview"] = message_preview(v.last_type, v.last_body);
  last["created_at"] = v.last_created_at;
  const auto w = templates::window_at(v.last_inbound_at, now);
  json::object win;
  win["open"] = w.open;
  if (w.open)
    win["open_until"] = *w.closes_at;  // only while open: when free-form ends
  else
    win["open_until"] = nullptr;
  json::object o;
  o["object"] = "conversation";
  o["peer"] = v.peer;
  if (v.profile_name)
    o["profile_name"] = *v.profile_name;
  else
    o["profile_name"] = nullptr;
  o["last_message"] = std::move(last);
  o["unread_inbound"] = v.unread_inbound;
  o["window"] = std::move(win);
  return o;
}

// The caller's principal and instance id, or the problem to answer.
struct scope {
  std::string user_id;
  std::string instance_id;
};
net::awaitable<std::variant<scope, response>> authorize(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  const auto& p = std::get<principal>(who);
  const std::string_view id = req.param("id");
  if (id.empty() || id.size() > max_id || !p.may_use_instance(id)) co_return instance_not_found();
  co_return scope{p.user_id, std::string(id)};
}

// Reads the instance (its ownership) and then `then` in one store read.
template <class Fn>
net::awaitable<core::error_code> read_owned(services& s, const scope& sc_, Fn then) {
  auto fn = [&](store::connection& c) -> core::error_code {
    store::instances::instance row;
    if (auto ec = store::instances::get(c, sc_.user_id, sc_.instance_id, row)) return ec;
    return then(c);
  };
  co_return co_await s.db.read(fn);
}

net::awaitable<response> list(services& s, http::request& req) {
  auto auth = co_await authorize(s, req);
  if (auto* r = std::get_if<response>(&auth)) co_return std::move(*r);
  const auto& who = std::get<scope>(auth);
  std::size_t limit = 50;
  std::int64_t before = 0;
  if (auto l = req.query_param("limit")) {
    if (!all_digits(*l, 3) || std::stoul(*l) < 1 || std::stoul(*l) > 100)
      co_return http::field_problem("limit", "1 to 100");
    limit = std::stoul(*l);
  }
  if (auto c = req.query_param("cursor")) {
    if (!all_digits(*c, 18)) co_return http::field_problem("cursor", "not a cursor from this API");
    before = std::stoll(*c);
  }
  std::vector<store::conversations::conversation> rows;
  auto ec = co_await read_owned(s, who, [&](store::connection& c) {
    return store::conversations::list(c, who.user_id, who.instance_id, before, limit + 1, rows);
  });
  if (ec == store::error::not_found) co_return instance_not_found();
  if (ec) co_return store_problem(ec);
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  const auto now = store::messages::now_ms();
  json::array data;
  for (const auto& v : rows) data.push_back(view(v, now));
  json::object out;
  out["data"] = std::move(data);
  if (more)
    out["next_cursor"] = std::to_string(rows.back().last_seq);
  else
    out["next_cursor"] = nullptr;
  co_return http::json_response(status::ok, out);
}

net::awaitable<response> get_one(services& s, http::request& req) {
  auto auth = co_await authorize(s, req);
  if (auto* r = std::get_if<response>(&auth)) co_return std::move(*r);
  const auto& who = std::get<scope>(auth);
  const auto peer = peer_from_path(req.param("peer"));
  if (!peer) co_return http::field_problem("peer", "a phone number in international format or a WhatsApp user id");
  store::conversations::conversation v;
  bool instance_ok = false;
  auto ec = co_await read_owned(s, who, [&](store::connection& c) {
    instance_ok = true;
    return store::conversations::get(c, who.user_id, who.instance_id, *peer, v);
  });
  if (ec == store::error::not_found) co_return instance_ok ? conversation_not_found() : instance_not_found();
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, view(v, store::messages::now_ms()));
}

}  // namespace

std::string message_preview(std::string_view type, std::string_view body_json) {
  boost::system::error_code ec;
  const auto v = json::parse(body_json, ec);
  const json::object empty;
  const json::object& body = !ec && v.is_object() ? v.as_object() : empty;
  std::string_view text;
  if (type == "text")
    text = member(body, "text", "body");
  else if (type == "image" || type == "video" || type == "document")
    text = member(body, type, "caption");
  else if (type == "interactive") {
    const auto* i = body.if_contains("interactive");
    if (i && i->is_object()) text = member(i->as_object(), "body", "text");
  } else if (type == "button")
    text = member(body, "button", "text");
  if (!text.empty()) return cut(text, preview_max_chars);
  if (type == "template") {
    const auto name = member(body, "template", "name");
    if (!name.empty()) return cut("[template: " + std::string(name) + "]", preview_max_chars);
  }
  if (type == "reaction") {
    const auto emoji = member(body, "reaction", "emoji");
    if (!emoji.empty()) return cut("[reaction: " + std::string(emoji) + "]", preview_max_chars);
  }
  return cut("[" + std::string(type.empty() ? "message" : type) + "]", preview_max_chars);
}

std::optional<std::string> peer_from_path(std::string_view segment) {
  std::string key = meta::recipient_key(segment);
  const bool ok = !key.empty() && key.size() <= max_peer && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
           c == '-';
  });
  if (!ok) return std::nullopt;
  return key;
}

void register_conversation_routes(http::router& r, services& s) {
  using http::verb;
  r.add(verb::get, "/v1/instances/{id}/conversations", "conversations.list",
        [&s](http::request& q) { return list(s, q); });
  r.add(verb::get, "/v1/instances/{id}/conversations/{peer}", "conversations.get",
        [&s](http::request& q) { return get_one(s, q); });
}

}  // namespace enfinito::api
