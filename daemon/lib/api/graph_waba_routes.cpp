// The Graph-compatible routes an SDK calls besides sends and media (REFERENCE.md §5), in Meta's
// shapes and Meta's error envelope, scoped to the caller's instances (and an API key's scope):
//
//   GET    {prefix}/{version}/{phone-number-id}[?fields=]        relayed to Meta for that number
//   GET    {prefix}/{version}/{waba-id}/phone_numbers            relayed; only the caller's numbers kept
//   GET    {prefix}/{version}/{waba-id}/message_templates        from the local copy (no call to Meta
//                                                                once the copy was synced)
//   POST   {prefix}/{version}/{waba-id}/message_templates        create (Meta, then the copy)
//   DELETE {prefix}/{version}/{waba-id}/message_templates?name=  delete (Meta, then the copy)
//   GET    {prefix}/{version}/{template-id}                      from the copy
//   POST   {prefix}/{version}/{template-id}                      edit (Meta, then the copy)
//   GET    {prefix}/{version}/{phone-number-id}/whatsapp_business_profile[?fields=]
//                                                                relayed to Meta for that number
//   POST   {prefix}/{version}/{phone-number-id}/whatsapp_business_profile
//                                                                checked, then relayed (Meta's {success})
//
// A WABA id names the caller's instances whose WABA it is: the WABA id is stored encrypted, so
// the caller's instances (at most `max_instances`) are opened to find them. Any id that is not
// the caller's answers Meta's "object does not exist" (100/33), the same for a foreign id as for
// an unknown one. Meta's answers and errors on relayed calls pass through: they are the
// caller's own data.
#include <enfinito/core/ids.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/instances/meta_access.hpp>
#include <enfinito/instances/meta_relay.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/meta/relay_input.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>
#include <enfinito/templates/manage.hpp>
#include <enfinito/templates/sync.hpp>

#include "api/graph_common.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace enfinito::api::graph_detail {
namespace {

using http::response;
using http::status;

constexpr std::size_t max_instances = 1000;

// A relayed call's failure in Meta's envelope: Meta's own error (code, type, subcode and text
// are the caller's own data here), or ours when Meta did not answer as documented.
response graph_failure(const instances::relay_failure& f, const http::request& req) {
  using kind = instances::relay_failure::kind;
  if (f.what != kind::meta_error || !f.error.envelope) return service_unavailable(req);
  const auto& e = f.error;
  const auto st =
      e.http_status >= 400 && e.http_status < 600 ? static_cast<status>(e.http_status) : status::bad_request;
  std::string title = e.message;
  const std::string prefix = "(#" + std::to_string(e.code) + ") ";
  if (title.starts_with(prefix)) title.erase(0, prefix.size());
  return meta_error(st, e.code, e.type.empty() ? "OAuthException" : e.type, title, e.details, req, e.subcode);
}

using waba_match = instances::waba_instances;

// The caller's instances whose WABA is `waba_id` (Meta's "does not exist" when none).
net::awaitable<std::variant<waba_match, response>> by_waba(services& s, const principal& p, const std::string& waba_id,
                                                           const http::request& req) {
  if (!core::graph_id_like(waba_id)) co_return unknown_object(waba_id.substr(0, 32), req);
  const auto visible = [&p](std::string_view id) { return p.may_use_instance(id); };
  auto found = co_await instances::find_on_waba(s.db, *s.vault, s.blocking, p.user_id, waba_id, max_instances, visible);
  if (!found) co_return service_unavailable(req);
  if (found->rows.empty()) co_return unknown_object(waba_id, req);
  co_return std::move(*found);
}

// The first of the WABA's instances that may call Meta.
net::awaitable<std::variant<graph_target, response>> ready_on_waba(services& s, const waba_match& m,
                                                                   const http::request& req) {
  // No co_return inside the loop (GCC 12 coroutines: docs/engineering-notes.md).
  std::variant<graph_target, response> last = service_unavailable(req);
  for (const auto& row : m.rows) {
    last = co_await ready(s, row, req);
    if (std::holds_alternative<graph_target>(last)) break;
  }
  co_return last;
}

instances::relay_target relay_of(services& s, const graph_target& t) { return {s.db, *s.meta, t.row->id, t.creds}; }

// A copy never synced proves nothing (an SDK listing templates right after the number was
// connected would see none): the first list syncs it once, one call to Meta, as the REST list
// does. Nothing: the copy is ready to serve.
net::awaitable<std::optional<response>> sync_if_never(services& s, const row_ptr& row, const http::request& req) {
  auto synced = co_await templates::ever_synced(s.db, row->id);
  if (!synced) co_return service_unavailable(req);
  if (*synced) co_return std::nullopt;
  ENF_TRY(t, co_await ready(s, row, req));
  const auto rt = relay_of(s, t);
  auto a = co_await templates::sync_now(rt);
  if (auto* f = std::get_if<instances::relay_failure>(&a)) co_return graph_failure(*f, req);
  co_return std::nullopt;
}

// GET of the number's `?fields=` (meta::get_phone_number or get_business_profile), relayed.
using fields_request = meta::request (*)(std::string_view, std::string_view, std::string_view);
net::awaitable<response> relay_fields(services& s, row_ptr row, const http::request& req, fields_request build) {
  const std::string fields(req.query_param("fields").value_or(""));
  if (!meta::fields_like(fields)) co_return invalid_parameter("Param fields is not valid", req);
  ENF_TRY(t, co_await ready(s, std::move(row), req));
  auto got = co_await relay_call(s, t, build(s.meta->version(), t.creds.phone_number_id, fields), {});
  co_return relayed(got, req);
}

struct waba_routes : graph_handlers {
  // GET {prefix}/{version}/{waba}/phone_numbers: Meta's list with only the caller's numbers.
  net::awaitable<response> phone_numbers(http::request& req) {
    ENF_TRY(p, co_await who(req, access::read));
    const std::string waba(req.param("waba"));
    ENF_TRY(m, co_await by_waba(s, p, waba, req));
    std::string query;
    const meta::graph_list_params params{req.query_param("limit"), req.query_param("after"), req.query_param("before"),
                                         req.query_param("fields")};
    if (auto bad = meta::graph_list_query(params, query))
      co_return invalid_parameter("Param " + *bad + " is not valid", req);
    ENF_TRY(t, co_await ready_on_waba(s, m, req));
    auto got = co_await relay_call(s, t, meta::list_phone_numbers(s.meta->version(), waba, query), {});
    if (!got) co_return service_unavailable(req);
    if (!got->ok()) co_return relay(*got);
    boost::system::error_code ec;
    auto doc = json::parse(got->body, ec);
    if (ec || !meta::keep_phone_numbers(doc, m.phone_numbers)) co_return relay(*got);
    co_return http::json_response(status::ok, doc);
  }

  // GET {prefix}/{version}/{waba}/message_templates: the copy, in Meta's list shape.
  net::awaitable<response> templates_list(http::request& req) {
    ENF_TRY(p, co_await who(req, access::read));
    ENF_TRY(m, co_await by_waba(s, p, std::string(req.param("waba")), req));
    const meta::template_query_params params{req.query_param("limit"),  req.query_param("after"),
                                             req.query_param("before"), req.query_param("name"),
                                             req.query_param("status"), req.query_param("language")};
    meta::template_query q;
    if (auto bad = meta::read_template_query(params, q)) co_return param_refused(bad->field, bad->detail, req);
    store::templates::filter f;
    if (templates::list_filter(q, f)) co_return invalid_parameter("Invalid cursor.", req);
    auto unsynced = co_await sync_if_never(s, m.rows.front(), req);
    if (unsynced) co_return std::move(*unsynced);
    auto page = co_await templates::list(s.db, m.rows.front()->id, std::move(f));
    if (!page) co_return service_unavailable(req);
    const std::string next = s.cfg.server.public_url + s.cfg.graph.prefix + "/" + std::string(req.param("version")) +
                             "/" + std::string(req.param("waba")) +
                             "/message_templates?limit=" + std::to_string(q.limit) + "&after=";
    co_return http::json_response(status::ok, templates::graph_list_body(std::move(*page), next));
  }

  // POST {prefix}/{version}/{waba}/message_templates: Meta's `{id, status, category}`.
  net::awaitable<response> templates_create(http::request& req) {
    ENF_TRY(p, co_await who(req, access::write));
    ENF_TRY(m, co_await by_waba(s, p, std::string(req.param("waba")), req));
    auto body = http::parse_json(req, s.json);
    if (body.error) co_return not_json(req);
    if (auto bad = meta::check_template(*body.value)) co_return param_refused(bad->field, bad->detail, req);
    ENF_TRY(t, co_await ready_on_waba(s, m, req));
    const auto rt = relay_of(s, t);
    auto a = co_await templates::create(rt, body.value->as_object());
    if (auto* f = std::get_if<instances::relay_failure>(&a)) co_return graph_failure(*f, req);
    co_return http::json_response(status::ok, std::get<json::object>(a));
  }

  // DELETE {prefix}/{version}/{waba}/message_templates?name=…[&hsm_id=…]
  net::awaitable<response> templates_delete(http::request& req) {
    ENF_TRY(p, co_await who(req, access::write));
    ENF_TRY(m, co_await by_waba(s, p, std::string(req.param("waba")), req));
    const auto name = req.query_param("name");
    if (!name || !templates::template_name_like(*name))
      co_return invalid_parameter("The parameter name is required.", req);
    const std::string hsm(req.query_param("hsm_id").value_or(""));
    if (!hsm.empty() && !templates::template_id_like(hsm))
      co_return invalid_parameter("Param hsm_id is not valid", req);
    ENF_TRY(t, co_await ready_on_waba(s, m, req));
    const auto rt = relay_of(s, t);
    auto a = co_await templates::remove(rt, std::string(*name), hsm);
    if (auto* f = std::get_if<instances::relay_failure>(&a)) co_return graph_failure(*f, req);
    co_return http::json_response(status::ok, json::object{{"success", true}});
  }

  // POST {prefix}/{version}/{template-id}: an edit of a template of the caller's copies.
  net::awaitable<response> template_edit(http::request& req) {
    ENF_TRY(p, co_await who(req, access::write));
    const std::string id(req.param("media_id"));  // the path names media, numbers and templates alike
    if (!templates::template_id_like(id)) co_return unknown_object(id.substr(0, 32), req);
    auto found = co_await templates::find_by_id(s.db, p.user_id, id);
    if (!found || !p.may_use_instance(found->instance_id))
      co_return !found && found.error() != store::error::not_found ? service_unavailable(req) : unknown_object(id, req);
    auto body = http::parse_json(req, s.json);
    if (body.error) co_return not_json(req);
    if (auto bad = templates::check_edit(*body.value)) co_return param_refused(bad->field, bad->detail, req);
    store::instances::instance inst;
    const std::string uid = p.user_id, iid = found->instance_id;
    auto load = [&](store::connection& c) { return store::instances::get(c, uid, iid, inst); };
    auto ec = co_await s.db.read(load);
    if (ec) co_return unknown_object(id, req);
    ENF_TRY(t, co_await ready(s, std::make_shared<const store::instances::instance>(std::move(inst)), req));
    const auto rt = relay_of(s, t);
    auto a = co_await templates::edit(rt, id, body.value->as_object());
    if (auto* f = std::get_if<instances::relay_failure>(&a)) co_return graph_failure(*f, req);
    co_return http::json_response(status::ok, json::object{{"success", true}});
  }

  // GET {prefix}/{version}/{phone}/whatsapp_business_profile[?fields=]: Meta's `{data:[profile]}`.
  net::awaitable<response> profile_get(http::request& req) {
    ENF_TRY(p, co_await who(req, access::read));
    ENF_TRY(row, co_await find_by_phone(s, p, std::string(req.param("phone")), req));
    auto res = co_await relay_fields(s, std::move(row), req, meta::get_business_profile);
    co_return res;
  }

  // POST {prefix}/{version}/{phone}/whatsapp_business_profile: checked as the REST route checks
  // it (meta::check_business_profile), with `messaging_product` required as Meta requires it.
  net::awaitable<response> profile_update(http::request& req) {
    ENF_TRY(p, co_await who(req, access::write));
    ENF_TRY(row, co_await find_by_phone(s, p, std::string(req.param("phone")), req));
    auto body = http::parse_json(req, s.json);
    if (body.error || !body.value->is_object()) co_return not_json(req);
    if (!body.value->as_object().contains("messaging_product"))
      co_return invalid_parameter("The parameter messaging_product is required.", req);
    if (auto bad = meta::check_business_profile(*body.value)) co_return param_refused(bad->field, bad->detail, req);
    ENF_TRY(t, co_await ready(s, std::move(row), req));
    const auto call =
        meta::update_business_profile(s.meta->version(), t.creds.phone_number_id, body.value->as_object());
    auto got = co_await relay_call(s, t, call, {});
    co_return relayed(got, req);
  }
};

}  // namespace

net::awaitable<std::optional<response>> object_get(services& s, const principal& p, const std::string& id,
                                                   http::request& req) {
  // The caller's phone number: Meta's fields of it, relayed.
  auto phone = co_await find_by_phone(s, p, id, req);
  if (auto* row = std::get_if<row_ptr>(&phone)) {
    auto res = co_await relay_fields(s, *row, req, meta::get_phone_number);
    co_return res;
  }
  // A template of the caller's copies.
  auto found = co_await templates::find_by_id(s.db, p.user_id, id);
  if (found && p.may_use_instance(found->instance_id))
    co_return http::json_response(status::ok, templates::meta_object(*found));
  co_return std::nullopt;
}

void register_graph_waba_routes(http::router& r, services& s) {
  auto g = std::make_shared<waba_routes>(waba_routes{{s}});
  const std::string& p = s.cfg.graph.prefix;
  r.add(http::verb::get, p + "/{version}/{waba}/phone_numbers", "graph.phone_numbers",
        [g](http::request& q) { return g->phone_numbers(q); });
  r.add(http::verb::get, p + "/{version}/{waba}/message_templates", "graph.templates_list",
        [g](http::request& q) { return g->templates_list(q); });
  r.add(http::verb::post, p + "/{version}/{waba}/message_templates", "graph.templates_create",
        [g](http::request& q) { return g->templates_create(q); });
  r.add(http::verb::delete_, p + "/{version}/{waba}/message_templates", "graph.templates_delete",
        [g](http::request& q) { return g->templates_delete(q); });
  r.add(http::verb::post, p + "/{version}/{media_id}", "graph.template_edit",
        [g](http::request& q) { return g->template_edit(q); });
  r.add(http::verb::get, p + "/{version}/{phone}/whatsapp_business_profile", "graph.business_profile_get",
        [g](http::request& q) { return g->profile_get(q); });
  r.add(http::verb::post, p + "/{version}/{phone}/whatsapp_business_profile", "graph.business_profile_update",
        [g](http::request& q) { return g->profile_update(q); });
}

}  // namespace enfinito::api::graph_detail
