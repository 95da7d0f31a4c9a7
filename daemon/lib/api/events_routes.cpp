// GET /v1/events: the caller's event log, paged by id, filtered by instance and type. Parse,
// authenticate, call feed::read_page (feed/event_log.hpp), shape the answer.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/events_routes.hpp>
#include <enfinito/feed/event_log.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/store.hpp>

#include "api/event_filter.hpp"
#include "api/owned.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace enfinito::api {
namespace {

using namespace detail;  // the shared filter parsing (event_filter.hpp)

using http::response;
using http::status;

constexpr std::size_t max_limit = 1000;
constexpr std::size_t default_limit = 100;

net::awaitable<response> list(services& s, http::request& req, principal& p) {
  store::events::filter f;
  f.user_id = p.user_id;
  f.limit = default_limit;
  if (auto a = req.query_param("after")) {
    auto v = parse_count(*a, 0, INT64_MAX);
    if (!v) co_return http::field_problem("after", "an event id (0 or more)");
    f.after = *v;
  }
  if (auto l = req.query_param("limit")) {
    auto v = parse_count(*l, 1, max_limit);
    if (!v) co_return http::field_problem("limit", "1 to 1000");
    f.limit = static_cast<std::size_t>(*v);
  }
  if (auto t = req.query_param("type"))
    if (!split_list(*t, f.types, event_type_like))
      co_return http::field_problem("type", "up to 20 comma-separated event types, e.g. message.received");
  if (auto i = req.query_param("instance"))
    if (!split_list(*i, f.instance_ids, instance_id_like))
      co_return http::field_problem("instance", "up to 20 comma-separated instance ids");
  // An API key limited to some instances sees those only; naming another is a 404.
  const bool outside_key = std::any_of(f.instance_ids.begin(), f.instance_ids.end(),
                                       [&](const std::string& id) { return !p.may_use_instance(id); });
  if (outside_key) co_return instance_not_found();
  if (f.instance_ids.empty() && !p.instance_ids.empty()) f.instance_ids = p.instance_ids;
  const std::vector<std::string> named = req.query_param("instance") ? f.instance_ids : std::vector<std::string>{};

  const auto after = f.after;
  auto got = co_await feed::read_page(s.db, std::move(f), named);
  if (got.ec) co_return http::problem(status::internal_server_error, "store_error", "The database failed");
  if (got.missing) co_return instance_not_found();
  const auto& rows = got.rows;
  json::array data;
  for (const auto& e : rows) data.push_back(feed::event_json(e));
  json::object out;
  out["data"] = std::move(data);
  out["next_after"] = rows.empty() ? after : rows.back().id;
  out["has_more"] = got.more;
  co_return http::json_response(status::ok, out);
}

}  // namespace

void register_event_routes(http::router& r, services& s) {
  r.add(http::verb::get, "/v1/events", "events.list", detail::as_caller(s, access::read, list));
}

}  // namespace enfinito::api
