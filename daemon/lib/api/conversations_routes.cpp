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

// The caller's user id and instance id (nothing for an id outside the caller's API key).
std::optional<conversations::owner> owner_of(const principal& p, std::string_view id) {
  if (id.empty() || id.size() > detail::max_path_id || !p.may_use_instance(id)) return std::nullopt;
  return conversations::owner{p.user_id, std::string(id)};
}

net::awaitable<response> list(services& s, http::request& req, principal& p) {
  const auto who = owner_of(p, req.param("id"));
  if (!who) co_return instance_not_found();
  auto page = detail::read_page_query(req, 50);
  if (auto* r = std::get_if<response>(&page)) co_return std::move(*r);
  const auto q = std::get<detail::page_query>(page);
  std::vector<store::conversations::conversation> rows;
  auto ec = co_await conversations::list(s.db, *who, q.before, q.limit + 1, rows);
  if (ec == store::error::not_found) co_return instance_not_found();
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, conversations::page_json(rows, q.limit, core::wall_ms()));
}

net::awaitable<response> get_one(services& s, http::request& req, principal& p) {
  const auto who = owner_of(p, req.param("id"));
  if (!who) co_return instance_not_found();
  auto peer = conversations::peer_from_path(req.param("peer"));
  if (!peer) co_return http::field_problem("peer", "a phone number in international format or a WhatsApp user id");
  auto got = co_await conversations::get(s.db, *who, std::move(*peer));
  if (got.ec == store::error::not_found) co_return got.instance ? conversation_not_found() : instance_not_found();
  if (got.ec) co_return store_problem(got.ec);
  co_return http::json_response(status::ok, conversations::conversation_json(got.conversation, core::wall_ms()));
}

}  // namespace

void register_conversation_routes(http::router& r, services& s) {
  using detail::as_caller;
  using http::verb;
  r.add(verb::get, "/v1/instances/{id}/conversations", "conversations.list", as_caller(s, access::read, list));
  r.add(verb::get, "/v1/instances/{id}/conversations/{peer}", "conversations.get", as_caller(s, access::read, get_one));
}

}  // namespace enfinito::api
