// The broadcast routes: parse, authenticate, call broadcasts::create / apply (the flow) or
// broadcasts/report.hpp (views, counted reads, the outcome CSV), shape the answer
// (include/enfinito/api/broadcasts_routes.hpp lists them).
//
// Create takes either `application/json` ({template, recipients, name, send_at, expires_at,
// skip_invalid}) or `text/csv` (the recipients; the rest as query parameters). Its body has a
// limit of its own (`max_body_bytes`, not [limits] body_bytes) and is spooled to a file as it
// arrives, never held in memory by the server.
//
// Tenancy: every read matches the user through instances.user_id, and an API key limited to
// some instances sees only those; anything else is the same 404 as a missing id.
#include <enfinito/core/clock.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/broadcasts_routes.hpp>
#include <enfinito/broadcasts/broadcasts.hpp>
#include <enfinito/broadcasts/report.hpp>
#include <enfinito/broadcasts/request_fields.hpp>
#include <enfinito/config/settings.hpp>
#include <enfinito/core/json_arena.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/instances/media_transfer.hpp>
#include <enfinito/store/broadcasts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/owned.hpp"
#include "api/page_query.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <memory>

namespace enfinito::api {
namespace {

namespace json = boost::json;
using detail::store_problem;
using http::response;
using http::status;

// Explicit limits of the create request (docs/api-guide.md).
constexpr std::size_t max_body_bytes = 32 * 1024 * 1024;  // 100,000 rows with parameters fit
constexpr std::size_t max_spooled = 2;                    // creates spooling at once
constexpr std::size_t max_json_elements = 1'600'000;      // 100,000 rows of up to ~15 values

response broadcast_not_found() { return http::problem(status::not_found, "broadcast_not_found", "No such broadcast"); }

net::awaitable<std::variant<store::broadcasts::broadcast, response>> load_broadcast(services& s, const principal& p,
                                                                                    std::string_view id) {
  auto got = co_await detail::load_owned(s, p, id, store::broadcasts::get, broadcast_not_found);
  co_return got;
}

response rejected_answer(const broadcasts::recipient_list& l) {
  json::object o{{"detail", "nothing was created: fix the rows listed, or send skip_invalid to leave them out"},
                 {"rejected_count", l.rejected_count},
                 {"rejected", broadcasts::rejections(l)}};
  if (l.rejected_count > l.rejected.size()) o["rejected_truncated"] = true;
  return detail::extended_problem(status::unprocessable_entity, "recipients_rejected", "Some recipients are invalid",
                                  std::move(o));
}

// Reads the create request (JSON or CSV) into `rq`; the problem to answer, or nothing.
std::optional<response> read_create(const http::request& req, broadcasts::create_request& rq) {
  auto ct = std::string(req.header("Content-Type").value_or(""));
  ct = ct.substr(0, ct.find(';'));
  broadcasts::given_times t;
  if (ct == "text/csv") {
    rq.csv = req.body();
    auto query = [&req](std::string_view name) { return req.query_param(name); };
    if (auto bad = broadcasts::read_csv_query(query, rq, t)) return detail::refused(*bad);
  } else if (ct == "application/json") {
    // The recipients array is read row by row later (broadcasts::read_json_text); the rest
    // of the body is parsed here as a whole.
    const auto split = broadcasts::split_recipients(req.body());
    const std::string_view text = split ? std::string_view(split->rest) : req.body();
    auto parsed = core::parse_json_strict(text, core::json_arena_for(text.size()),
                                          {.max_depth = 8, .max_elements = max_json_elements});
    if (parsed.error || !parsed.value->is_object())
      return http::problem(status::bad_request, "invalid_json", "The body is not a JSON object this route reads",
                           "valid I-JSON, an object, at most 1,600,000 values");
    if (auto bad = broadcasts::read_json_fields(parsed.value->as_object(), split.has_value(), rq, t))
      return detail::refused(*bad);
    if (split) rq.json_text = split->recipients;
  } else {
    return http::problem(status::unsupported_media_type, "unsupported_media_type", "The body must be JSON or CSV",
                         "Send Content-Type: application/json or text/csv");
  }
  if (auto bad = broadcasts::finish_fields(rq, t, core::wall_ms())) return detail::refused(*bad);
  return std::nullopt;
}

// ---- handlers ---------------------------------------------------------------------------

net::awaitable<response> create(services& s, http::request& req, principal& p) {
  auto loaded = co_await detail::load_instance(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const auto& row = std::get<store::instances::instance>(loaded);

  broadcasts::create_request rq{row, p.user_id,
                                p.via_api_key ? std::optional<std::string>(p.api_key_id) : std::nullopt};
  if (auto bad = read_create(req, rq)) co_return std::move(*bad);
  auto got = co_await broadcasts::create({s.db, s.queue, s.blocking}, std::move(rq));
  using kind = broadcasts::create_result::kind;
  switch (got.what) {
    case kind::created: {
      auto o = broadcasts::view(got.broadcast, nullptr);
      o["rejected"] = broadcasts::rejections(got.list);
      auto res = http::json_response(status::created, json::serialize(o));
      res.set(http::bhttp::field::location, "/v1/broadcasts/" + got.broadcast.id);
      co_return res;
    }
    case kind::rejected:
      co_return rejected_answer(got.list);
    case kind::unusable:
      co_return http::field_problem("recipients", *got.list.fatal);
    case kind::needs_reauth:
      co_return http::problem(status::conflict, "instance_needs_reauth", "Meta refused this instance's access token",
                              "update the instance's access_token (PATCH /v1/instances/{id}); nothing was created");
    case kind::disabled:
      co_return http::problem(status::conflict, "instance_disabled", "This instance is disabled",
                              "enable it (PATCH /v1/instances/{id} with status active); nothing was created");
    case kind::store_failed:
      break;
  }
  co_return store_problem(got.ec);
}

net::awaitable<response> list(services& s, http::request& req, principal& p) {
  auto loaded = co_await detail::load_instance(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto page = detail::read_page_query(req, 20);
  if (auto* r = std::get_if<response>(&page)) co_return std::move(*r);
  const auto q = std::get<detail::page_query>(page);
  std::vector<store::broadcasts::broadcast> rows;
  std::vector<store::broadcasts::counts> counts;
  const std::string iid(req.param("id"));
  auto ec = co_await broadcasts::list_counted(s.db, p.user_id, iid, q.before, q.limit, rows, counts);
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, json::serialize(broadcasts::list_json(rows, counts, q.limit)));
}

net::awaitable<response> get_one(services& s, http::request& req, principal& p) {
  auto loaded = co_await load_broadcast(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const auto& b = std::get<store::broadcasts::broadcast>(loaded);
  store::broadcasts::counts n;
  if (auto ec = co_await broadcasts::read_counts(s.db, b.id, n)) co_return store_problem(ec);
  co_return http::json_response(status::ok, json::serialize(broadcasts::view(b, &n)));
}

net::awaitable<response> control_route(services& s, http::request& req, broadcasts::control what) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  // Loaded first so an API key outside the broadcast's instance gets the same 404.
  auto loaded = co_await load_broadcast(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto got = co_await broadcasts::apply({s.db, s.queue, s.blocking}, p.user_id, std::string(req.param("id")), what);
  using kind = broadcasts::control_result::kind;
  switch (got.what) {
    case kind::done:
      break;
    case kind::not_found:
      co_return broadcast_not_found();
    case kind::wrong_state:
      co_return http::problem(status::conflict, "broadcast_state", "The broadcast cannot do that in its state",
                              "pause a running broadcast, resume a paused one, cancel one not finished (state: " +
                                  got.broadcast.state + ")");
    case kind::store_failed:
      co_return store_problem(got.ec);
  }
  store::broadcasts::counts n;
  if (auto ec = co_await broadcasts::read_counts(s.db, got.broadcast.id, n)) co_return store_problem(ec);
  co_return http::json_response(status::ok, json::serialize(broadcasts::view(got.broadcast, &n)));
}

net::awaitable<response> export_csv(services& s, http::request& req, principal& p) {
  auto loaded = co_await load_broadcast(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const std::string id = std::get<store::broadcasts::broadcast>(loaded).id;
  auto pages = std::make_shared<broadcasts::outcome_export>(s.db, id);
  req.stream_body = [pages](std::string& chunk) { return broadcasts::outcome_export::next(pages, chunk); };
  response res{status::ok, 11};
  res.set(http::bhttp::field::content_type, "text/csv; charset=utf-8");
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"" + id + ".csv\"");
  res.set(http::bhttp::field::cache_control, "no-store");
  co_return res;
}

http::route_options create_options(const config::settings& cfg) {
  static const auto spooling = std::make_shared<std::atomic<std::size_t>>(0);
  http::route_options o;
  o.body_limit = max_body_bytes;
  o.spool_dir = instances::upload_spool_dir(cfg);  // media.spool_dir, shared with media uploads
  o.spool_max = max_spooled;
  o.spooling = spooling;
  return o;
}

}  // namespace

void register_broadcast_routes(http::router& r, services& s) {
  using http::verb;
  using c = broadcasts::control;
  using detail::as_caller;
  r.add(verb::post, "/v1/instances/{id}/broadcasts", "broadcasts.create", as_caller(s, access::write, create),
        create_options(s.cfg));
  r.add(verb::get, "/v1/instances/{id}/broadcasts", "broadcasts.list", as_caller(s, access::read, list));
  r.add(verb::get, "/v1/broadcasts/{id}", "broadcasts.get", as_caller(s, access::read, get_one));
  r.add(verb::post, "/v1/broadcasts/{id}/pause", "broadcasts.pause",
        [&s](http::request& q) { return control_route(s, q, c::pause); });
  r.add(verb::post, "/v1/broadcasts/{id}/resume", "broadcasts.resume",
        [&s](http::request& q) { return control_route(s, q, c::resume); });
  r.add(verb::post, "/v1/broadcasts/{id}/cancel", "broadcasts.cancel",
        [&s](http::request& q) { return control_route(s, q, c::cancel); });
  r.add(verb::get, "/v1/broadcasts/{id}/recipients", "broadcasts.recipients", as_caller(s, access::read, export_csv));
}

}  // namespace enfinito::api
