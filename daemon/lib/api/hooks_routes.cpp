// /v1/instances/{id}/webhooks…: customer webhook endpoints, their delivery log, redelivery.
// Parse, authenticate, call hooks/endpoints.hpp for the writes (hooks/endpoint_fields.hpp reads
// the bodies and makes the JSON), shape the answer.
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/hooks_routes.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/hooks/endpoint_fields.hpp>
#include <enfinito/hooks/endpoints.hpp>
#include <enfinito/hooks/engine.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/owned.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

constexpr std::size_t default_page = 50;
constexpr std::size_t max_page = 200;

using detail::instance_not_found;
using detail::store_problem;  // 503 + Retry-After when the disk is full
response webhook_missing() { return http::problem(status::not_found, "webhook_not_found", "No such webhook endpoint"); }

// The SSRF check at registration (hooks/endpoints.hpp), as this API's refusal.
net::awaitable<std::optional<response>> check_target(services& s, const std::string& url) {
  std::string why = co_await hooks::check_target(s.cfg.customer_webhooks, url);
  std::optional<response> out;
  if (!why.empty()) out = http::field_problem("url", why, "url_refused");
  co_return out;
}

hooks::endpoint_context writes(services& s, store::audit::actor who = {}) {
  return {s.db, *s.vault, s.blocking, s.cfg.customer_webhooks, std::move(who), s.cfg.quotas.webhook_endpoints};
}

// Authentication and the instance / endpoint lookup every handler starts with.
struct ctx {
  std::optional<response> stop;
  principal who;
  std::string instance_id;
  store::hooks::endpoint ep;
};

net::awaitable<ctx> begin(services& s, http::request& req, access need, bool with_endpoint) {
  ctx c;
  auto who = co_await authenticate(req, s, need);
  if (auto* r = std::get_if<response>(&who)) {
    c.stop = std::move(*r);
  } else {
    c.who = std::get<principal>(who);
    c.instance_id = std::string(req.param("id"));
    const std::string wid = with_endpoint ? std::string(req.param("webhook_id")) : std::string();
    if (!core::id_like(c.instance_id, "ins_") || !c.who.may_use_instance(c.instance_id))
      c.stop = instance_not_found();
    else if (with_endpoint && !core::id_like(wid, "whk_"))
      c.stop = webhook_missing();
    if (!c.stop) {
      auto f = co_await hooks::find_endpoint(s.db, c.who.user_id, c.instance_id, wid);
      if (f.ec)
        c.stop = store_problem(f.ec);
      else if (!f.instance)
        c.stop = instance_not_found();
      else if (with_endpoint && !f.endpoint)
        c.stop = webhook_missing();
      else
        c.ep = std::move(f.ep);
    }
  }
  co_return c;
}

response with_secret(status st, const store::hooks::endpoint& e, const core::secret_string& secret) {
  auto o = hooks::endpoint_json(e);
  o["secret"] = secret.reveal();  // shown once: create and rotate only
  auto res = http::json_response(st, o);
  res.set(http::bhttp::field::cache_control, "no-store");
  return res;
}

net::awaitable<response> create(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, false);
  if (c.stop) co_return std::move(*c.stop);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  hooks::endpoint_change in;
  if (auto bad = hooks::read_endpoint_change(*body.value, true, in)) co_return detail::refused(*bad);
  auto refused = co_await check_target(s, *in.url);
  if (refused) co_return std::move(*refused);
  auto e = hooks::draft_endpoint(c.who.user_id, c.instance_id, in);
  // Built before the co_await: the context owns strings (docs/engineering-notes.md, GCC 12).
  auto w = writes(s, audit_actor(c.who, req));
  auto made = co_await hooks::create_endpoint(w, e);
  if (made.ec) co_return store_problem(made.ec);
  if (made.over_quota) co_return quota_problem("webhook_endpoints", *made.over_quota);
  if (made.too_many)
    co_return http::problem(status::conflict, "too_many_webhooks",
                            "This instance has the most webhook endpoints allowed",
                            "delete one first (webhooks_out.max_endpoints_per_instance)");
  auto res = with_secret(status::created, e, made.secret);
  res.set(http::bhttp::field::location, "/v1/instances/" + e.instance_id + "/webhooks/" + e.id);
  co_return res;
}

net::awaitable<response> list(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read, false);
  if (c.stop) co_return std::move(*c.stop);
  std::vector<store::hooks::endpoint> rows;
  auto read = [&](store::connection& conn) { return store::hooks::list(conn, c.who.user_id, c.instance_id, rows); };
  auto ec = co_await s.db.read(read);
  if (ec) co_return store_problem(ec);
  json::array data;
  for (const auto& e : rows) data.push_back(hooks::endpoint_json(e));
  co_return http::json_response(status::ok, json::object{{"data", std::move(data)}});
}

net::awaitable<response> get_one(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read, true);
  if (c.stop) co_return std::move(*c.stop);
  co_return http::json_response(status::ok, hooks::endpoint_json(c.ep));
}

net::awaitable<response> patch(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  hooks::endpoint_change in;
  if (auto bad = hooks::read_endpoint_change(*body.value, false, in)) co_return detail::refused(*bad);
  auto w = writes(s, audit_actor(c.who, req));
  auto got = co_await hooks::update_endpoint(w, c.ep, std::move(in));
  if (!got.refused.empty()) co_return http::field_problem("url", got.refused, "url_refused");
  if (got.ec == store::error::not_found) co_return webhook_missing();
  if (got.ec) co_return store_problem(got.ec);
  co_return http::json_response(status::ok, hooks::endpoint_json(c.ep));
}

net::awaitable<response> remove(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  auto w = writes(s, audit_actor(c.who, req));
  auto ec = co_await hooks::delete_endpoint(w, c.ep);
  if (ec == store::error::not_found) co_return webhook_missing();
  if (ec) co_return store_problem(ec);
  co_return http::no_content();
}

net::awaitable<response> rotate(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  auto w = writes(s, audit_actor(c.who, req));
  auto got = co_await hooks::rotate_secret(w, c.ep);
  if (got.ec == store::error::not_found) co_return webhook_missing();
  if (got.ec) co_return store_problem(got.ec);
  co_return with_secret(status::ok, c.ep, got.secret);
}

net::awaitable<response> deliveries(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read, true);
  if (c.stop) co_return std::move(*c.stop);
  std::int64_t before = 0;
  std::size_t limit = default_page;
  if (auto b = req.query_param("before")) {
    auto [p, e] = std::from_chars(b->data(), b->data() + b->size(), before);
    if (b->empty() || e != std::errc() || p != b->data() + b->size() || before < 1)
      co_return http::field_problem("before", "a cursor from next_before (a positive integer)");
  }
  if (auto l = req.query_param("limit")) {
    auto [p, e] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (l->empty() || e != std::errc() || p != l->data() + l->size() || limit < 1 || limit > max_page)
      co_return http::field_problem("limit", "1 to 200");
  }
  std::vector<store::hooks::delivery> rows;
  if (auto ec = co_await hooks::read_deliveries(s.db, c.ep.id, before, limit + 1, rows)) co_return store_problem(ec);
  co_return http::json_response(status::ok, hooks::delivery_page_json(rows, limit));
}

net::awaitable<response> redeliver(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  const std::string did(req.param("delivery_id"));
  if (!core::id_like(did, "whd_")) co_return http::problem(status::not_found, "delivery_not_found", "No such delivery");
  store::hooks::delivery d;
  auto w = writes(s);
  auto ec = co_await hooks::redeliver(w, c.ep.id, did, d);
  if (ec == store::error::not_found)
    co_return http::problem(status::not_found, "delivery_not_found", "No such delivery");
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::accepted, hooks::delivery_json(d));
}

// POST …/webhooks/{webhook_id}/test: a `webhook.test` event delivered to this endpoint only,
// through the engine like any delivery (signed, retried, in the delivery log). A 'meta'
// endpoint gets a Meta-shaped body with no entries, signed as Meta signs.
net::awaitable<response> send_test(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  if (c.ep.state != "active")
    co_return http::problem(status::conflict, "webhook_paused", "This webhook endpoint is paused",
                            "resume it (PATCH with state active) to send a test event");
  std::string did;
  auto w = writes(s);
  auto ec = co_await hooks::send_test_event(w, c.ep, did);
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::accepted, json::object{{"delivery_id", did}});
}

}  // namespace

void register_hook_routes(http::router& r, services& s) {
  using detail::bind;
  using http::verb;
  const std::string base = "/v1/instances/{id}/webhooks";
  r.add(verb::post, base, "webhooks_out.create", bind(s, create));
  r.add(verb::get, base, "webhooks_out.list", bind(s, list));
  r.add(verb::get, base + "/{webhook_id}", "webhooks_out.get", bind(s, get_one));
  r.add(verb::patch, base + "/{webhook_id}", "webhooks_out.update", bind(s, patch));
  r.add(verb::delete_, base + "/{webhook_id}", "webhooks_out.delete", bind(s, remove));
  r.add(verb::post, base + "/{webhook_id}/rotate-secret", "webhooks_out.rotate_secret", bind(s, rotate));
  r.add(verb::get, base + "/{webhook_id}/deliveries", "webhooks_out.deliveries", bind(s, deliveries));
  r.add(verb::post, base + "/{webhook_id}/deliveries/{delivery_id}/redeliver", "webhooks_out.redeliver",
        bind(s, redeliver));
  r.add(verb::post, base + "/{webhook_id}/test", "webhooks_out.test", bind(s, send_test));
}

}  // namespace enfinito::api
