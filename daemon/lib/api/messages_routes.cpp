// The send API and the message log: POST /v1/instances/{id}/messages, GET /v1/messages/{id},
// GET /v1/instances/{id}/messages, POST /v1/messages/{id}/retry, and a message's timeline
// GET /v1/messages/{id}/timeline (docs/web-api.md; its entries: outbound/timeline.hpp).
//
// Send: authenticate (write) → the instance is the caller's and in the key's scope →
// outbound::accept (idempotency, the body check, one commit, the queue; outbound/accept.hpp)
// → 202 only after that commit, in this API's shape.
//
// The log's JSON, filter, pages and retry are outbound/message_log.hpp; the send body's check
// (with the schedule rule) is outbound/send_body.hpp.
//
// Tenancy: every read matches the user through instances.user_id, and an API key limited to
// some instances sees only those; anything else is the same 404 as a missing id.
#include <enfinito/core/clock.hpp>
#include <enfinito/api/instance_cache.hpp>
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/messages_routes.hpp>
#include <enfinito/api/optouts_routes.hpp>
#include <enfinito/api/templates_answers.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/outbound/accept.hpp>
#include <enfinito/outbound/message_log.hpp>
#include <enfinito/outbound/send_body.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/outbound/timeline.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>

#include "api/owned.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

constexpr std::size_t max_idempotency_key = 255;

using detail::instance_not_found;
using detail::store_problem;  // 503 + Retry-After when the disk is full

response message_not_found() { return http::problem(status::not_found, "message_not_found", "No such message"); }

// Loads the caller's instance (404 for anything not theirs or outside the key's scope).
// Served from the reactor's instance cache when it holds a fresh row: a send costs no read.
net::awaitable<std::variant<instance_cache::row_ptr, response>> load_instance(services& s, const principal& p,
                                                                              std::string_view id,
                                                                              std::size_t reactor) {
  if (id.empty() || id.size() > detail::max_path_id || !p.may_use_instance(id)) co_return instance_not_found();
  const std::string cache_key = instance_cache::key(p.user_id, "id", id);
  if (s.instance_rows)
    if (auto hit = s.instance_rows->get(reactor, cache_key)) co_return hit;
  const auto generation = store::instances::generation();  // before the read: see instance_cache.hpp
  auto loaded = co_await detail::load_instance(s, p, id);
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto row =
      std::make_shared<const store::instances::instance>(std::get<store::instances::instance>(std::move(loaded)));
  if (s.instance_rows) s.instance_rows->put(reactor, cache_key, row, generation);
  co_return row;
}

// The caller's message (404 for anything not theirs or outside the key's scope).
net::awaitable<std::variant<store::messages::message, response>> load_message(services& s, const principal& p,
                                                                              std::string_view id) {
  auto got = co_await detail::load_owned(s, p, id, store::messages::get, message_not_found);
  co_return got;
}

response key_reused() {
  return http::problem(status::unprocessable_entity, "idempotency_key_reused",
                       "This Idempotency-Key was used with a different request",
                       "use a new key for a different message");
}

// ---- handlers ---------------------------------------------------------------------------

// Parses and authenticates; the accept itself is outbound::accept (outbound/accept.hpp).
net::awaitable<response> send(services& s, http::request& req, principal& p) {
  auto key = idempotency_key(req);
  if (!key)
    co_return http::field_problem("Idempotency-Key", "1 to 255 visible ASCII characters", "invalid_idempotency_key");

  auto loaded = co_await load_instance(s, p, req.param("id"), req.reactor);
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const auto row = std::get<instance_cache::row_ptr>(loaded);

  std::optional<response> refusal;
  outbound::schedule when;
  outbound::send_request rq{*row,
                            p.user_id,
                            p.via_api_key ? std::optional<std::string>(p.api_key_id) : std::nullopt,
                            std::move(*key),
                            req.msg.method_string(),
                            req.path,
                            req.msg.body(),
                            [&]() -> std::optional<meta::checked_message> {
                              auto checked = check_send_body(req, s.json, &when);
                              if (auto* r = std::get_if<response>(&checked)) {
                                refusal = std::move(*r);
                                return std::nullopt;
                              }
                              return std::get<meta::checked_message>(std::move(checked));
                            },
                            req.reactor,
                            &when};
  auto got = co_await outbound::accept({s.db, s.queue, s.cfg.queue, s.send_checks.get()}, std::move(rq));
  using kind = outbound::accept_result::kind;
  switch (got.what) {
    case kind::accepted: {
      auto res = http::json_response(status::accepted, got.answer);
      res.set(http::bhttp::field::location, "/v1/messages/" + got.message_id);
      co_return res;
    }
    case kind::replayed: {
      auto res = http::json_response(static_cast<status>(got.status), got.answer);
      res.set("Idempotent-Replayed", "true");
      co_return res;
    }
    case kind::key_reused:
      co_return key_reused();
    case kind::body_refused:
      co_return std::move(*refusal);
    case kind::check_refused:
      co_return send_check_problem(got.refusal);
    case kind::needs_reauth:
      co_return http::problem(status::conflict, "instance_needs_reauth", "Meta refused this instance's access token",
                              "update the instance's access_token (PATCH /v1/instances/{id}); nothing was queued");
    case kind::disabled:
      co_return http::problem(status::conflict, "instance_disabled", "This instance is disabled",
                              "enable it (PATCH /v1/instances/{id} with status active); nothing was queued");
    case kind::opted_out:
      co_return recipient_opted_out();
    case kind::store_failed:
      break;
  }
  co_return store_problem(got.ec);
}

net::awaitable<response> get_one(services& s, http::request& req, principal& p) {
  auto loaded = co_await load_message(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  co_return http::json_response(status::ok, outbound::message_json(std::get<store::messages::message>(loaded)));
}

net::awaitable<response> list(services& s, http::request& req, principal& p) {
  auto loaded = co_await load_instance(s, p, req.param("id"), req.reactor);
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  store::messages::list_filter f;
  auto query = [&req](std::string_view name) { return req.query_param(name); };
  if (auto bad = outbound::read_log_filter(query, f)) co_return detail::refused(*bad);
  f.user_id = p.user_id;
  f.instance_id = std::get<instance_cache::row_ptr>(loaded)->id;
  std::vector<store::messages::message> rows;
  bool more = false;
  if (auto ec = co_await outbound::read_log_page(s.db, std::move(f), rows, more)) co_return store_problem(ec);
  co_return http::json_response(status::ok, outbound::log_page_json(rows, more));
}

net::awaitable<response> retry(services& s, http::request& req, principal& p) {
  auto loaded = co_await load_message(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto got = co_await outbound::retry(s.db, s.queue, p.user_id, std::get<store::messages::message>(loaded));
  using kind = outbound::retry_result::kind;
  if (got.what == kind::not_found) co_return message_not_found();
  if (got.what == kind::not_retryable)
    co_return http::problem(status::conflict, "not_retryable", "This message cannot be retried",
                            "only dead messages, and failed ones whose error is temporary, can be queued again");
  if (got.what != kind::queued) co_return store_problem(got.ec);
  co_return http::json_response(status::accepted, outbound::message_json(got.message));
}

net::awaitable<response> timeline(services& s, http::request& req, principal& p) {
  auto loaded = co_await load_message(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const auto& m = std::get<store::messages::message>(loaded);
  std::vector<outbound::timeline_entry> entries;
  const std::string uid = p.user_id;
  auto fn = [&](store::connection& c) { return outbound::build_timeline(c, uid, m, entries); };
  if (auto ec = co_await s.db.read(fn)) co_return store_problem(ec);
  co_return http::json_response(status::ok, outbound::timeline_json(std::move(entries)));
}

}  // namespace

std::optional<std::string> idempotency_key(const http::request& req) {
  auto h = req.header("Idempotency-Key");
  if (!h) return std::string();
  const bool ok = !h->empty() && h->size() <= max_idempotency_key &&
                  std::all_of(h->begin(), h->end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!ok) return std::nullopt;
  return std::string(*h);
}

std::variant<meta::checked_message, http::response> check_send_body(const http::request& req,
                                                                    const http::json_limits& limits,
                                                                    outbound::schedule* when) {
  auto body = http::parse_json(req, limits);
  if (body.error) return std::move(*body.error);
  auto checked = outbound::check_send(std::move(*body.value), core::wall_ms(), when);
  if (auto* bad = std::get_if<core::field_refusal>(&checked)) return detail::refused(*bad);
  return std::get<meta::checked_message>(std::move(checked));
}

void register_messages_routes(http::router& r, services& s) {
  using http::verb;
  // The export registry is process-wide (tests start many apps in one process): once.
  static std::once_flag exported;
  std::call_once(exported, [] {
    add_export_stream("messages", [](store::connection& c, const std::string& uid, std::string& cursor,
                                     std::size_t limit, json::array& page) {
      return outbound::export_messages_page(c, uid, cursor, limit, page, outbound::message_json);
    });
  });
  using detail::as_caller;
  r.add(verb::post, "/v1/instances/{id}/messages", "messages.send", as_caller(s, access::write, send));
  r.add(verb::get, "/v1/instances/{id}/messages", "messages.list", as_caller(s, access::read, list));
  r.add(verb::get, "/v1/messages/{id}", "messages.get", as_caller(s, access::read, get_one));
  r.add(verb::post, "/v1/messages/{id}/retry", "messages.retry", as_caller(s, access::write, retry));
  r.add(verb::get, "/v1/messages/{id}/timeline", "messages.timeline", as_caller(s, access::read, timeline));
}

}  // namespace enfinito::api
