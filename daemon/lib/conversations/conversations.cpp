// conversations::message_preview, peer_from_path, conversation_json and the two reads
// (conversations/conversations.hpp).
#include <enfinito/conversations/conversations.hpp>

#include <enfinito/core/json_page.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/templates/checks.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace enfinito::conversations {
namespace {

namespace json = boost::json;

constexpr std::size_t max_peer = 64;

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

// Reads the instance (its ownership) and then `then` in one store read.
template <class Fn>
net::awaitable<core::error_code> read_owned(store::store& db, const owner& o, Fn& then) {
  auto fn = [&](store::connection& c) -> core::error_code {
    store::instances::instance row;
    if (auto ec = store::instances::get(c, o.user_id, o.instance_id, row)) return ec;
    return then(c);
  };
  auto ec = co_await db.read(fn);
  co_return ec;
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

json::object page_json(std::vector<store::conversations::conversation>& rows, std::size_t limit, std::int64_t now) {
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  json::array data;
  for (const auto& v : rows) data.push_back(conversation_json(v, now));
  return core::cursor_page(std::move(data), more ? std::optional<std::int64_t>(rows.back().last_seq) : std::nullopt);
}

json::object conversation_json(const store::conversations::conversation& v, std::int64_t now) {
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

net::awaitable<core::error_code> list(store::store& db, const owner& o, std::int64_t before_seq, std::size_t limit,
                                      std::vector<store::conversations::conversation>& rows) {
  auto then = [&](store::connection& c) {
    return store::conversations::list(c, o.user_id, o.instance_id, before_seq, limit, rows);
  };
  auto ec = co_await read_owned(db, o, then);
  co_return ec;
}

net::awaitable<found> get(store::store& db, const owner& o, std::string peer) {
  found f;
  auto then = [&](store::connection& c) {
    f.instance = true;
    return store::conversations::get(c, o.user_id, o.instance_id, peer, f.conversation);
  };
  f.ec = co_await read_owned(db, o, then);
  co_return f;
}

}  // namespace enfinito::conversations
