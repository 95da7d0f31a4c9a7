// /v1/instances: a user's WhatsApp instances (the Meta credentials of one business number).
//
// The route authenticates, loads the caller's row and turns outcomes into answers. The body's
// checks are instances::read_changes (instances/changes_input.hpp); the flows (connect,
// reverify, update, remove: check with Meta, seal, one store write) are instances::lifecycle
// (instances/lifecycle.hpp); what a user sees of an instance, a page of them and the export's
// section are instances::view (instances/view.hpp). Plaintext is never logged or echoed:
// responses show the ids (phone number, WABA, app), a masked token and the webhook settings.
//
// Tenancy: every store call matches user_id, and an API key limited to some instances sees
// only those; anything else answers the same 404 as an id that does not exist.
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/instances_routes.hpp>
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/instances/changes_input.hpp>
#include <enfinito/instances/lifecycle.hpp>
#include <enfinito/instances/refusal.hpp>
#include <enfinito/instances/view.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/owned.hpp"

#include <boost/json.hpp>

#include <functional>
#include <mutex>
#include <optional>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

// The credentials a request supplied (create: all of them; update: any subset).
using credential_input = instances::changes;

// The body's first offending field as our problem+json: 422 for a window_policy that is not
// one of the four (the API contract of issue 19's per-instance policy), 400 otherwise.
response input_problem(const meta::input_problem& p) {
  if (p.code != instances::invalid_window_policy) return http::field_problem(p.field, p.detail, p.code);
  return detail::extended_problem(status::unprocessable_entity, p.code, "A field of the request is invalid",
                                  {{"field", p.field}, {"detail", p.detail}});
}

// The body read into `in` (instances/changes_input.hpp), or the problem to answer.
std::optional<response> read_body(services& s, http::request& req, bool create, credential_input& in) {
  auto body = http::parse_json(req, s.json);
  if (body.error) return std::move(*body.error);
  if (auto bad = instances::read_changes(*body.value, create, in)) return input_problem(*bad);
  return std::nullopt;
}

// A 422 naming the field Meta refused, or a 502/503 when Meta could not answer
// (instances/refusal.hpp says which and why).
response verification_problem(const meta::verification& v) {
  const auto why = instances::explain_refusal(v.outcome);
  using kind = instances::refusal::kind;
  const status st = why.what == kind::fix_input     ? status::unprocessable_entity
                    : why.what == kind::unavailable ? status::service_unavailable
                                                    : status::bad_gateway;
  json::object o;
  if (!why.field.empty()) o["field"] = why.field;
  o["detail"] = why.detail;
  if (v.error) {
    o["meta_error_code"] = v.error->code;
    if (!v.error->fbtrace_id.empty()) o["meta_fbtrace_id"] = v.error->fbtrace_id;
  }
  return detail::extended_problem(st, why.code, why.title, std::move(o));
}

// The public view of an instance (instances/view.hpp).
instances::view_context views(services& s) { return {s.db, *s.vault, s.blocking, s.cfg, s.webhook_activity.get()}; }

using detail::instance_not_found;
using detail::store_problem;  // 503 + Retry-After when the disk is full
using detail::vault_problem;

// ---- handlers ---------------------------------------------------------------------------

instances::context flows(services& s, const principal& p, const http::request& req) {
  instances::context ctx{s.db, *s.vault, s.blocking, *s.meta, audit_actor(p, req), s.cfg.quotas.instances};
  ctx.onboarding = {true, s.cfg.onboarding.callback_override, s.cfg.server.public_url,
                    s.cfg.onboarding.token_expiry_warning_days * 86400};
  return ctx;
}

// 422: the token works but cannot send for this WABA; each problem by name.
response token_problem(const std::vector<instances::token_problem>& problems) {
  json::array list;
  std::string first;
  for (const auto& p : problems) {
    if (!p.blocks_sending) continue;
    if (first.empty()) first = p.detail;
    json::object o{{"code", p.code}, {"detail", p.detail}};
    if (!p.scope.empty()) o["scope"] = p.scope;
    list.push_back(std::move(o));
  }
  return detail::extended_problem(status::unprocessable_entity, "meta_token_incomplete",
                                  "The access token cannot send for this WhatsApp Business Account",
                                  {{"field", "access_token"}, {"detail", first}, {"problems", std::move(list)}});
}

response phone_in_use(bool create) {
  if (create)
    return http::problem(status::conflict, "phone_number_in_use",
                         "This phone number is already connected to an instance", "delete the other instance first");
  return http::problem(status::conflict, "phone_number_in_use",
                       "This phone number is already connected to an instance");
}

// The answer to a lifecycle outcome: the instance's view with `ok`, else the problem.
net::awaitable<response> answer(services& s, instances::outcome o, status ok, bool create) {
  using kind = instances::outcome::kind;
  switch (o.what) {
    case kind::done:
      break;
    case kind::not_found:
      co_return instance_not_found();
    case kind::refused_by_meta:
      co_return verification_problem(o.verdict);
    case kind::phone_in_use:
      co_return phone_in_use(create);
    case kind::phone_is_waba:
      co_return http::field_problem("phone_number_id", "equals the WhatsApp Business Account ID",
                                    "phone_number_id_is_waba_id");
    case kind::token_incomplete:
      co_return token_problem(o.token_problems);
    case kind::vault_failed:
      co_return vault_problem();
    case kind::store_failed:
      co_return store_problem(o.ec);
    case kind::over_quota:
      co_return quota_problem("instances", o.quota);
  }
  // A fixed token or a new status resumes (or pauses) the queue now, not at the next sweep.
  if (!create && s.queue) s.queue->notify(o.row.id);
  auto v = co_await instances::view(views(s), o.row);
  if (!v) co_return vault_problem();
  auto res = http::json_response(ok, *v);
  if (create) res.set(http::bhttp::field::location, "/v1/instances/" + o.row.id);
  co_return res;
}

net::awaitable<response> create(services& s, http::request& req, principal& p) {
  if (!p.instance_ids.empty())
    co_return http::problem(status::forbidden, "key_scope", "This API key is limited to some instances",
                            "use a key that is not limited to instances, or the web console");
  credential_input in;
  if (auto bad = read_body(s, req, true, in)) co_return std::move(*bad);
  // Built before the co_await: the context owns strings (docs/engineering-notes.md, GCC 12).
  auto ctx = flows(s, p, req);
  auto o = co_await instances::connect(ctx, p.user_id, std::move(in));
  auto res = co_await answer(s, std::move(o), status::created, true);
  co_return res;
}

net::awaitable<response> list(services& s, http::request& req, principal& p) {
  std::size_t limit = 50;
  if (auto l = req.query_param("limit")) {
    if (!instances::digits(*l, 1, 3) || std::stoul(*l) < 1 || std::stoul(*l) > 100)
      co_return http::field_problem("limit", "1 to 100");
    limit = std::stoul(*l);
  }
  const std::string after(req.query_param("cursor").value_or(""));
  if (after.size() > 64) co_return http::field_problem("cursor", "not a cursor from this API");
  const auto visible = [&p](std::string_view id) { return p.may_use_instance(id); };
  auto page = co_await instances::list_views(views(s), p.user_id, after, limit, visible);
  if (page.what == instances::view_page::kind::store_failed) co_return store_problem(page.ec);
  if (page.what == instances::view_page::kind::vault_failed) co_return vault_problem();
  json::object out;
  out["data"] = std::move(page.data);
  out["next_cursor"] = page.next ? json::value(*page.next) : json::value(nullptr);
  co_return http::json_response(status::ok, out);
}

net::awaitable<response> get_one(services& s, http::request& req, principal& p) {
  auto loaded = co_await detail::load_instance(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto v = co_await instances::view(views(s), std::get<store::instances::instance>(loaded));
  if (!v) co_return vault_problem();
  co_return http::json_response(status::ok, *v);
}

// PATCH /v1/instances/{id} (a body of changes) and POST …/verify (none: a re-check with Meta).
net::awaitable<response> change(services& s, http::request& req, bool recheck) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  auto loaded = co_await detail::load_instance(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto& row = std::get<store::instances::instance>(loaded);
  credential_input in;
  if (!recheck)
    if (auto bad = read_body(s, req, false, in)) co_return std::move(*bad);
  auto ctx = flows(s, p, req);
  instances::outcome o;
  if (recheck)
    o = co_await instances::reverify(ctx, std::move(row), {}, false);
  else
    o = co_await instances::update(ctx, std::move(row), std::move(in));
  auto res = co_await answer(s, std::move(o), status::ok, false);
  co_return res;
}

net::awaitable<response> remove(services& s, http::request& req, principal& p) {
  const std::string id(req.param("id"));
  if (id.size() > 64 || !p.may_use_instance(id)) co_return instance_not_found();
  auto ctx = flows(s, p, req);
  auto o = co_await instances::remove(ctx, p.user_id, id);
  if (o.what == instances::outcome::kind::not_found) co_return instance_not_found();
  if (o.what != instances::outcome::kind::done) co_return store_problem(o.ec);
  co_return http::no_content();
}

}  // namespace

void register_instance_routes(http::router& r, services& s) {
  using http::verb;
  // The export registry is process-wide (tests start many apps in one process): once.
  static std::once_flag exported;
  std::call_once(exported, [] { add_export_section("instances", instances::export_section); });
  auto as = [&s](access need, detail::caller_handler fn) { return detail::as_caller(s, need, fn); };
  r.add(verb::post, "/v1/instances", "instances.create", as(access::write, create));
  r.add(verb::get, "/v1/instances", "instances.list", as(access::read, list));
  r.add(verb::get, "/v1/instances/{id}", "instances.get", as(access::read, get_one));
  r.add(verb::patch, "/v1/instances/{id}", "instances.update", [&s](http::request& q) { return change(s, q, false); });
  r.add(verb::delete_, "/v1/instances/{id}", "instances.delete", as(access::write, remove));
  r.add(verb::post, "/v1/instances/{id}/verify", "instances.verify",
        [&s](http::request& q) { return change(s, q, true); });
}

}  // namespace enfinito::api
