// /v1/instances/{id}/optouts… and …/optout-settings: the opt-out list and its settings
// (include/enfinito/api/optouts_routes.hpp). Parse, authenticate, call optouts/list.hpp (the
// changes) and optouts/fields.hpp (bodies read, JSON made), shape the answer.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/optouts_routes.hpp>
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/optouts/fields.hpp>
#include <enfinito/optouts/list.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/optouts.hpp>
#include <enfinito/store/store.hpp>

#include "api/event_filter.hpp"
#include "api/owned.hpp"

#include <boost/json.hpp>

#include <mutex>

namespace enfinito::api {
namespace {

namespace json = boost::json;
using detail::instance_not_found;
using detail::store_problem;
using http::response;
using http::status;

constexpr std::int64_t default_page = 50;
constexpr std::int64_t max_page = 200;

response optout_missing() {
  return http::problem(status::not_found, "optout_not_found", "This number is not on the instance's opt-out list");
}

// Authentication and the caller's instance, which every handler starts with.
struct ctx {
  std::optional<response> stop;
  principal who;
  std::string instance_id;
};

net::awaitable<ctx> begin(services& s, http::request& req, access need) {
  ctx c;
  auto who = co_await authenticate(req, s, need);
  if (auto* r = std::get_if<response>(&who)) {
    c.stop = std::move(*r);
    co_return c;
  }
  c.who = std::get<principal>(who);
  c.instance_id = std::string(req.param("id"));
  if (!core::id_like(c.instance_id, "ins_")) {
    c.stop = instance_not_found();
    co_return c;
  }
  auto loaded = co_await detail::load_instance(s, c.who, c.instance_id);
  if (auto* r = std::get_if<response>(&loaded)) c.stop = std::move(*r);
  co_return c;
}

optouts::actor actor_of(const ctx& c, const http::request& req) { return {c.who.user_id, client_address(req)}; }

net::awaitable<response> list(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read);
  if (c.stop) co_return std::move(*c.stop);
  std::string after;
  if (auto a = req.query_param("after")) {
    after = optouts::wa_id_key(*a);
    if (after.empty()) co_return http::field_problem("after", "a wa_id from next_after");
  }
  std::int64_t limit = default_page;
  if (auto l = req.query_param("limit")) {
    auto n = detail::parse_count(*l, 1, max_page);
    if (!n) co_return http::field_problem("limit", "1 to 200");
    limit = *n;
  }
  json::object page;
  auto ec = co_await optouts::read_page(s.db, c.instance_id, after, static_cast<std::size_t>(limit), page);
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, page);
}

net::awaitable<response> add(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write);
  if (c.stop) co_return std::move(*c.stop);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  std::string wa_id;
  if (auto bad = optouts::read_add_body(*body.value, wa_id)) co_return detail::refused(*bad);
  auto done = co_await optouts::add(s.db, actor_of(c, req), c.instance_id, wa_id);
  if (done.ec) co_return store_problem(done.ec);
  auto res =
      http::json_response(done.changed ? status::created : status::ok, optouts::entry_json(c.instance_id, done.entry));
  res.set(http::bhttp::field::location, "/v1/instances/" + c.instance_id + "/optouts/" + wa_id);
  co_return res;
}

net::awaitable<response> get_one(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read);
  if (c.stop) co_return std::move(*c.stop);
  const auto wa_id = optouts::wa_id_key(req.param("wa_id"));
  if (wa_id.empty()) co_return optout_missing();
  store::optouts::entry e;
  auto read = [&](store::connection& conn) { return store::optouts::get(conn, c.instance_id, wa_id, e); };
  auto ec = co_await s.db.read(read);
  if (ec == store::error::not_found) co_return optout_missing();
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, optouts::entry_json(c.instance_id, e));
}

net::awaitable<response> remove(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write);
  if (c.stop) co_return std::move(*c.stop);
  const auto wa_id = optouts::wa_id_key(req.param("wa_id"));
  if (wa_id.empty()) co_return optout_missing();
  auto done = co_await optouts::remove(s.db, actor_of(c, req), c.instance_id, wa_id);
  if (done.ec) co_return store_problem(done.ec);
  if (!done.changed) co_return optout_missing();
  co_return http::no_content();
}

net::awaitable<response> get_settings(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read);
  if (c.stop) co_return std::move(*c.stop);
  optouts::settings st;
  auto read = [&](store::connection& conn) { return optouts::read_settings(conn, c.instance_id, st); };
  auto ec = co_await s.db.read(read);
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, optouts::settings_json(c.instance_id, st));
}

net::awaitable<response> put_settings(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write);
  if (c.stop) co_return std::move(*c.stop);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  optouts::settings_change change;
  if (auto bad = optouts::read_settings_change(*body.value, change)) co_return detail::refused(*bad);
  optouts::settings st;
  std::string why;
  auto ec = co_await optouts::save_settings(s.db, actor_of(c, req), c.instance_id, change, st, why);
  if (ec) co_return store_problem(ec);
  if (!why.empty()) co_return http::field_problem("start_keywords", why, "keyword_conflict");
  co_return http::json_response(status::ok, optouts::settings_json(c.instance_id, st));
}

}  // namespace

response recipient_opted_out() {
  return detail::extended_problem(status::conflict, "recipient_opted_out",
                                  "The recipient opted out of this instance's messages",
                                  {{"field", "to"},
                                   {"detail",
                                    "the number is on the instance's opt-out list and its optout-settings refuse "
                                    "this send (enforce_on_single_sends); nothing was queued"}});
}

void register_optout_routes(http::router& r, services& s) {
  using http::verb;
  // The export registry is process-wide (tests start many apps in one process): once.
  static std::once_flag exported;
  std::call_once(exported, [] { accounts::add_export_stream("optouts", optouts::export_page); });
  const std::string base = "/v1/instances/{id}/optouts";
  r.add(verb::get, base, "optouts.list", [&s](http::request& q) { return list(s, q); });
  r.add(verb::post, base, "optouts.add", [&s](http::request& q) { return add(s, q); });
  r.add(verb::get, base + "/{wa_id}", "optouts.get", [&s](http::request& q) { return get_one(s, q); });
  r.add(verb::delete_, base + "/{wa_id}", "optouts.remove", [&s](http::request& q) { return remove(s, q); });
  const std::string settings = "/v1/instances/{id}/optout-settings";
  r.add(verb::get, settings, "optouts.settings_get", [&s](http::request& q) { return get_settings(s, q); });
  r.add(verb::put, settings, "optouts.settings_put", [&s](http::request& q) { return put_settings(s, q); });
}

}  // namespace enfinito::api
