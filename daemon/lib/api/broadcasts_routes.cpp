// The broadcast routes: parse, authenticate, call broadcasts::create / apply, shape the
// answer (include/enfinito/api/broadcasts.hpp lists them).
//
// Create takes either `application/json` ({template, recipients, name, send_at, expires_at,
// skip_invalid}) or `text/csv` (the recipients; the rest as query parameters). Its body has a
// limit of its own (`max_body_bytes`, not [limits] body_bytes) and is spooled to a file as it
// arrives, never held in memory by the server.
//
// Tenancy: every read matches the user through instances.user_id, and an API key limited to
// some instances sees only those; anything else is the same 404 as a missing id.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/broadcasts.hpp>
#include <enfinito/broadcasts/broadcasts.hpp>
#include <enfinito/config/settings.hpp>
#include <enfinito/core/json_arena.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/store/broadcasts.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
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
constexpr std::size_t max_id = 64;
// send_at at most this far ahead (a year): a later date is a typo, not a plan.
constexpr std::int64_t max_schedule_ms = 366LL * 24 * 3600 * 1000;
constexpr std::size_t export_page = 1000;

response instance_not_found() { return http::problem(status::not_found, "instance_not_found", "No such instance"); }
response broadcast_not_found() { return http::problem(status::not_found, "broadcast_not_found", "No such broadcast"); }

net::awaitable<std::variant<store::instances::instance, response>> load_instance(services& s, const principal& p,
                                                                                 std::string_view id) {
  if (id.empty() || id.size() > max_id || !p.may_use_instance(id)) co_return instance_not_found();
  store::instances::instance row;
  const std::string uid = p.user_id, iid(id);
  auto fn = [&](store::connection& c) { return store::instances::get(c, uid, iid, row); };
  auto ec = co_await s.db.read(fn);
  if (ec == store::error::not_found) co_return instance_not_found();
  if (ec) co_return store_problem(ec);
  co_return row;
}

net::awaitable<std::variant<store::broadcasts::broadcast, response>> load_broadcast(services& s, const principal& p,
                                                                                    std::string_view id) {
  if (id.empty() || id.size() > max_id) co_return broadcast_not_found();
  store::broadcasts::broadcast b;
  const std::string uid = p.user_id, bid(id);
  auto fn = [&](store::connection& c) { return store::broadcasts::get(c, uid, bid, b); };
  auto ec = co_await s.db.read(fn);
  if (ec == store::error::not_found) co_return broadcast_not_found();
  if (ec) co_return store_problem(ec);
  if (!p.may_use_instance(b.instance_id)) co_return broadcast_not_found();
  co_return b;
}

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object view(const store::broadcasts::broadcast& b, const store::broadcasts::counts* n) {
  json::object o{{"id", b.id},
                 {"object", "broadcast"},
                 {"instance_id", b.instance_id},
                 {"name", b.name},
                 {"template", {{"name", b.template_name}, {"language", b.template_language}}},
                 {"state", b.state},
                 {"recipients", b.recipients},
                 {"skipped_invalid", b.rejected},
                 {"send_at", b.send_at},
                 {"expires_at", opt(b.expires_at)},
                 {"started_at", opt(b.started_at)},
                 {"finished_at", opt(b.finished_at)},
                 {"created_at", b.created_at},
                 {"updated_at", b.updated_at}};
  if (n) {
    auto get = [&](const char* k) {
      auto it = n->by_status.find(k);
      return it == n->by_status.end() ? std::int64_t{0} : it->second;
    };
    json::object by_code;
    for (const auto& [k, v] : n->failed_by_code) by_code[k] = v;
    o["counts"] = json::object{{"queued", get("accepted") + get("sending")},
                               {"sent", get("sent")},
                               {"delivered", get("delivered")},
                               {"read", get("read")},
                               {"failed", get("failed") + get("dead")},
                               {"failed_by_code", std::move(by_code)},
                               {"expired", get("expired")},
                               {"cancelled", get("cancelled")},
                               {"skipped_opted_out", get("skipped_opted_out")}};
  }
  return o;
}

json::array rejections(const broadcasts::recipient_list& l) {
  json::array a;
  for (const auto& r : l.rejected) a.push_back(json::object{{"row", r.row}, {"field", r.field}, {"detail", r.detail}});
  return a;
}

response rejected_answer(const broadcasts::recipient_list& l) {
  json::object o{{"type", "urn:enfinito:problem:recipients_rejected"},
                 {"title", "Some recipients are invalid"},
                 {"status", 422},
                 {"code", "recipients_rejected"},
                 {"detail", "nothing was created: fix the rows listed, or send skip_invalid to leave them out"},
                 {"rejected_count", l.rejected_count},
                 {"rejected", rejections(l)}};
  if (l.rejected_count > l.rejected.size()) o["rejected_truncated"] = true;
  auto res = http::json_response(status::unprocessable_entity, json::serialize(o));
  res.set(http::bhttp::field::content_type, "application/problem+json");
  return res;
}

// A time field: unix milliseconds.
std::optional<response> read_time(const json::value* v, const char* field, std::int64_t& out) {
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_int64() || v->as_int64() <= 0) return http::field_problem(field, "unix time in milliseconds");
  out = v->as_int64();
  return std::nullopt;
}

std::optional<response> read_time_param(const http::request& req, const char* field, std::int64_t& out) {
  auto q = req.query_param(field);
  if (!q) return std::nullopt;
  if (q->empty() || q->size() > 15 ||
      !std::all_of(q->begin(), q->end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return http::field_problem(field, "unix time in milliseconds");
  out = std::stoll(*q);
  return std::nullopt;
}

std::optional<response> check_text(std::string_view v, const char* field, std::size_t max, bool required) {
  if (required && v.empty()) return http::field_problem(field, "required", "missing_field");
  if (v.size() > max) return http::field_problem(field, "at most " + std::to_string(max) + " bytes");
  for (unsigned char ch : v)
    if (ch < 0x20) return http::field_problem(field, "no control characters");
  return std::nullopt;
}

// Reads the create request (JSON or CSV) into `rq`; the problem to answer, or nothing.
std::optional<response> read_create(const http::request& req, broadcasts::create_request& rq) {
  auto ct = std::string(req.header("Content-Type").value_or(""));
  ct = ct.substr(0, ct.find(';'));
  std::int64_t send_at = 0, expires_at = 0;
  if (ct == "text/csv") {
    rq.csv = req.body();
    rq.tpl.name = req.query_param("template").value_or("");
    rq.tpl.language = req.query_param("language").value_or("");
    rq.name = req.query_param("name").value_or("");
    if (auto r = read_time_param(req, "send_at", send_at)) return r;
    if (auto r = read_time_param(req, "expires_at", expires_at)) return r;
    const auto skip = req.query_param("skip_invalid").value_or("false");
    if (skip != "true" && skip != "false") return http::field_problem("skip_invalid", "true or false");
    rq.skip_invalid = skip == "true";
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
    auto& o = parsed.value->as_object();
    for (const auto& [k, v] : o)
      if (k != "template" && k != "recipients" && k != "name" && k != "send_at" && k != "expires_at" &&
          k != "skip_invalid")
        return http::field_problem(k, "unknown field");
    const auto* t = o.if_contains("template");
    if (!t || !t->is_object()) return http::field_problem("template", "{name, language}", "missing_field");
    const auto* tn = t->as_object().if_contains("name");
    const auto* tl = t->as_object().if_contains("language");
    if (!tn || !tn->is_string()) return http::field_problem("template.name", "a string", "missing_field");
    if (!tl || !tl->is_string())
      return http::field_problem("template.language", "a string, e.g. en_US", "missing_field");
    rq.tpl.name = std::string(tn->as_string());
    rq.tpl.language = std::string(tl->as_string());
    if (const auto* n = o.if_contains("name")) {
      if (!n->is_string()) return http::field_problem("name", "a string");
      rq.name = std::string(n->as_string());
    }
    if (auto r = read_time(o.if_contains("send_at"), "send_at", send_at)) return r;
    if (auto r = read_time(o.if_contains("expires_at"), "expires_at", expires_at)) return r;
    if (const auto* sk = o.if_contains("skip_invalid")) {
      if (!sk->is_bool()) return http::field_problem("skip_invalid", "true or false");
      rq.skip_invalid = sk->as_bool();
    }
    const auto* r = o.if_contains("recipients");
    if (!r) return http::field_problem("recipients", "an array of {to, parameters}", "missing_field");
    if (split)
      rq.json_text = split->recipients;
    else
      rq.json_recipients = std::move(*parsed.value->as_object().if_contains("recipients"));
  } else {
    return http::problem(status::unsupported_media_type, "unsupported_media_type", "The body must be JSON or CSV",
                         "Send Content-Type: application/json or text/csv");
  }
  if (auto r = check_text(rq.tpl.name, "template.name", broadcasts::max_template_name_bytes, true)) return r;
  if (auto r = check_text(rq.tpl.language, "template.language", broadcasts::max_language_bytes, true)) return r;
  if (auto r = check_text(rq.name, "name", broadcasts::max_name_bytes, false)) return r;
  const auto now = store::messages::now_ms();
  if (send_at > 0) {
    if (send_at > now + max_schedule_ms) return http::field_problem("send_at", "at most a year ahead");
    rq.send_at = send_at;
  }
  if (expires_at > 0) {
    if (expires_at <= std::max(now, send_at)) return http::field_problem("expires_at", "after now and after send_at");
    rq.expires_at = expires_at;
  }
  return std::nullopt;
}

// ---- handlers ---------------------------------------------------------------------------

net::awaitable<response> create(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  auto loaded = co_await load_instance(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const auto& row = std::get<store::instances::instance>(loaded);

  broadcasts::create_request rq{row, p.user_id,
                                p.via_api_key ? std::optional<std::string>(p.api_key_id) : std::nullopt};
  if (auto bad = read_create(req, rq)) co_return std::move(*bad);
  auto got = co_await broadcasts::create({s.db, s.queue, s.blocking}, std::move(rq));
  using kind = broadcasts::create_result::kind;
  switch (got.what) {
    case kind::created: {
      auto o = view(got.broadcast, nullptr);
      o["rejected"] = rejections(got.list);
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

net::awaitable<response> list(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  auto loaded = co_await load_instance(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  std::size_t limit = 20;
  std::int64_t before = 0;
  if (auto l = req.query_param("limit")) {
    if (l->empty() || l->size() > 3 || !std::all_of(l->begin(), l->end(), ::isdigit) || std::stoul(*l) < 1 ||
        std::stoul(*l) > 100)
      co_return http::field_problem("limit", "1 to 100");
    limit = std::stoul(*l);
  }
  if (auto c = req.query_param("cursor")) {
    if (c->empty() || c->size() > 18 || !std::all_of(c->begin(), c->end(), ::isdigit))
      co_return http::field_problem("cursor", "not a cursor from this API");
    before = std::stoll(*c);
  }
  std::vector<store::broadcasts::broadcast> rows;
  std::vector<store::broadcasts::counts> counts;
  const std::string uid = p.user_id, iid(req.param("id"));
  auto fn = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::broadcasts::list(c, uid, iid, before, limit, rows)) return ec;
    counts.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (auto ec = store::broadcasts::count(c, rows[i].id, counts[i])) return ec;
    return {};
  };
  auto ec = co_await s.db.read(fn);
  if (ec) co_return store_problem(ec);
  json::array data;
  for (std::size_t i = 0; i < rows.size(); ++i) data.push_back(view(rows[i], &counts[i]));
  json::object o{{"object", "list"}, {"data", std::move(data)}};
  if (rows.size() == limit)
    o["next_cursor"] = std::to_string(rows.back().created_at);
  else
    o["next_cursor"] = nullptr;
  co_return http::json_response(status::ok, json::serialize(o));
}

net::awaitable<response> get_one(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto loaded = co_await load_broadcast(s, std::get<principal>(who), req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  const auto& b = std::get<store::broadcasts::broadcast>(loaded);
  store::broadcasts::counts n;
  auto fn = [&](store::connection& c) { return store::broadcasts::count(c, b.id, n); };
  auto ec = co_await s.db.read(fn);
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, json::serialize(view(b, &n)));
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
  const std::string bid = got.broadcast.id;
  auto fn = [&](store::connection& c) { return store::broadcasts::count(c, bid, n); };
  auto ec = co_await s.db.read(fn);
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, json::serialize(view(got.broadcast, &n)));
}

// A CSV field, quoted when it needs to be (RFC 4180), and never read as a formula by a
// spreadsheet (a leading = + - @ gets a quote mark first: OWASP's CSV injection advice).
void csv_field(std::string& out, std::string_view v) {
  const bool formula = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@');
  const bool quote = formula || v.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

struct export_state {
  services* s = nullptr;
  std::string broadcast_id;
  std::int64_t after = 0;
  bool header = true;
  bool done = false;
};

net::awaitable<boost::system::result<bool>> next_page(std::shared_ptr<export_state> st, std::string& chunk) {
  chunk.clear();
  if (st->header) {
    chunk = "message_id,to,status,wamid,error_code,error_title,updated_at\r\n";
    st->header = false;
  }
  std::vector<store::broadcasts::outcome_row> rows;
  const std::string bid = st->broadcast_id;
  const auto after = st->after;
  auto fn = [&](store::connection& c) { return store::broadcasts::outcomes(c, bid, after, export_page, rows); };
  auto ec = co_await st->s->db.read(fn);
  if (ec) co_return boost::system::result<bool>(boost::system::in_place_error, ec);
  for (const auto& r : rows) {
    csv_field(chunk, r.message_id);
    chunk += ',';
    csv_field(chunk, r.peer);
    chunk += ',';
    csv_field(chunk, r.status);
    chunk += ',';
    csv_field(chunk, r.wamid.value_or(""));
    chunk += ',';
    if (r.error_code) chunk += std::to_string(*r.error_code);
    chunk += ',';
    csv_field(chunk, r.error_title);
    chunk += ',';
    chunk += std::to_string(r.updated_at);
    chunk += "\r\n";
  }
  if (!rows.empty()) st->after = rows.back().seq;
  co_return rows.size() == export_page;
}

net::awaitable<response> export_csv(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto loaded = co_await load_broadcast(s, std::get<principal>(who), req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto st = std::make_shared<export_state>();
  st->s = &s;
  st->broadcast_id = std::get<store::broadcasts::broadcast>(loaded).id;
  req.stream_body = [st](std::string& chunk) { return next_page(st, chunk); };
  response res{status::ok, 11};
  res.set(http::bhttp::field::content_type, "text/csv; charset=utf-8");
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"" + st->broadcast_id + ".csv\"");
  res.set(http::bhttp::field::cache_control, "no-store");
  co_return res;
}

http::route_options create_options(const config::settings& cfg) {
  static const auto spooling = std::make_shared<std::atomic<std::size_t>>(0);
  const std::filesystem::path dir =
      cfg.media.spool_dir.empty() ? config::beside_database(cfg, "spool") : std::filesystem::path(cfg.media.spool_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  if (ec) throw std::runtime_error("media.spool_dir " + dir.string() + ": " + ec.message());
  http::route_options o;
  o.body_limit = max_body_bytes;
  o.spool_dir = dir.string();
  o.spool_max = max_spooled;
  o.spooling = spooling;
  return o;
}

}  // namespace

void register_broadcast_routes(http::router& r, services& s) {
  using http::verb;
  using c = broadcasts::control;
  r.add(
      verb::post, "/v1/instances/{id}/broadcasts", "broadcasts.create", [&s](http::request& q) { return create(s, q); },
      create_options(s.cfg));
  r.add(verb::get, "/v1/instances/{id}/broadcasts", "broadcasts.list", [&s](http::request& q) { return list(s, q); });
  r.add(verb::get, "/v1/broadcasts/{id}", "broadcasts.get", [&s](http::request& q) { return get_one(s, q); });
  r.add(verb::post, "/v1/broadcasts/{id}/pause", "broadcasts.pause",
        [&s](http::request& q) { return control_route(s, q, c::pause); });
  r.add(verb::post, "/v1/broadcasts/{id}/resume", "broadcasts.resume",
        [&s](http::request& q) { return control_route(s, q, c::resume); });
  r.add(verb::post, "/v1/broadcasts/{id}/cancel", "broadcasts.cancel",
        [&s](http::request& q) { return control_route(s, q, c::cancel); });
  r.add(verb::get, "/v1/broadcasts/{id}/recipients", "broadcasts.recipients",
        [&s](http::request& q) { return export_csv(s, q); });
}

}  // namespace enfinito::api
