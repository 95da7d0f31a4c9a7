// The web app's conversations: GET /v1/instances/{id}/conversations and
// GET /v1/instances/{id}/conversations/{peer} (include/enfinito/api/conversations_routes.hpp).
// Parse, authenticate, call conversations/conversations.hpp (the reads, the JSON), shape the
// answer.
//
// Tenancy: the instance is read with the caller's user id in the same read as the
// conversations (404 for anything not theirs or outside the key's scope).
#include <enfinito/core/clock.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/conversations_routes.hpp>
#include <enfinito/conversations/conversations.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/messages.hpp>

#include "api/owned.hpp"
#include "api/page_query.hpp"

#include <boost/json.hpp>

namespace enfinito::api {
namespace {

using detail::instance_not_found;
using detail::store_problem;
using http::response;
using http::status;

response conversation_not_found() {
  return http::problem(status::not_found, "conversation_not_found", "No such conversation",
                       "no message to or from this peer in this instance");
}

// The caller's user id and instance id, or the problem to answer.
net::awaitable<std::variant<conversations::owner, response>> authorize(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  const auto& p = std::get<principal>(who);
  const std::string_view id = req.param("id");
  if (id.empty() || id.size() > detail::max_path_id || !p.may_use_instance(id)) co_return instance_not_found();
  co_return conversations::owner{p.user_id, std::string(id)};
}

net::awaitable<response> list(services& s, http::request& req) {
  auto auth = co_await authorize(s, req);
  if (auto* r = std::get_if<response>(&auth)) co_return std::move(*r);
  const auto& who = std::get<conversations::owner>(auth);
  auto page = detail::read_page_query(req, 50);
  if (auto* r = std::get_if<response>(&page)) co_return std::move(*r);
  const auto q = std::get<detail::page_query>(page);
  std::vector<store::conversations::conversation> rows;
  auto ec = co_await conversations::list(s.db, who, q.before, q.limit + 1, rows);
  if (ec == store::error::not_found) co_return instance_not_found();
  if (ec) co_return store_problem(ec);
  const bool more = rows.size() > q.limit;
  if (more) rows.resize(q.limit);
  const auto now = core::wall_ms();
  json::array data;
  for (const auto& v : rows) data.push_back(conversations::conversation_json(v, now));
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
  const auto& who = std::get<conversations::owner>(auth);
  auto peer = conversations::peer_from_path(req.param("peer"));
  if (!peer) co_return http::field_problem("peer", "a phone number in international format or a WhatsApp user id");
  auto got = co_await conversations::get(s.db, who, std::move(*peer));
  if (got.ec == store::error::not_found) co_return got.instance ? conversation_not_found() : instance_not_found();
  if (got.ec) co_return store_problem(got.ec);
  co_return http::json_response(status::ok, conversations::conversation_json(got.conversation, core::wall_ms()));
}

}  // namespace

void register_conversation_routes(http::router& r, services& s) {
  using http::verb;
  r.add(verb::get, "/v1/instances/{id}/conversations", "conversations.list",
        [&s](http::request& q) { return list(s, q); });
  r.add(verb::get, "/v1/instances/{id}/conversations/{peer}", "conversations.get",
        [&s](http::request& q) { return get_one(s, q); });
}

}  // namespace enfinito::api
