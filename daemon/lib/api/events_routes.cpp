// GET /v1/events: the caller's event log, paged by id, filtered by instance and type.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/events.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/event_filter.hpp"

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
// A page stops early past this much event data (at least one event is always returned): an
// inbound message can be megabytes, and 1000 of them must not become one response.
constexpr std::size_t page_data_budget = 4 * 1024 * 1024;

response not_found() { return http::problem(status::not_found, "instance_not_found", "No such instance"); }

json::object view(const store::events::event& e) {
  json::object o;
  o["id"] = e.id;
  o["type"] = e.type;
  if (e.instance_id.empty())
    o["instance_id"] = nullptr;
  else
    o["instance_id"] = e.instance_id;
  o["created_at"] = e.created_at;
  boost::system::error_code ec;
  auto data = json::parse(e.data, ec);
  if (ec)
    o["data"] = json::object{};  // stored by us as JSON; never expected
  else
    o["data"] = std::move(data);
  return o;
}

net::awaitable<response> list(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);

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
  if (outside_key) co_return not_found();
  if (f.instance_ids.empty() && !p.instance_ids.empty()) f.instance_ids = p.instance_ids;
  const std::vector<std::string> named = req.query_param("instance") ? f.instance_ids : std::vector<std::string>{};

  std::vector<store::events::event> rows;
  bool missing = false;
  const std::size_t wanted = f.limit;
  f.limit = wanted + 1;  // one more tells whether there is a next page
  auto read = [&](store::connection& c) -> core::error_code {
    // Named instances must be the caller's: someone else's is the same 404 as none.
    for (const auto& id : named) {
      store::instances::instance row;
      auto ec = store::instances::get(c, f.user_id, id, row);
      if (ec == store::error::not_found) {
        missing = true;
        return {};
      }
      if (ec) return ec;
    }
    return store::events::list(c, f, rows);
  };
  auto ec = co_await s.db.read(read);
  if (ec) co_return http::problem(status::internal_server_error, "store_error", "The database failed");
  if (missing) co_return not_found();
  bool more = rows.size() > wanted;
  if (more) rows.resize(wanted);
  std::size_t budget = 0, kept = 0;
  while (kept < rows.size() && (kept == 0 || budget + rows[kept].data.size() <= page_data_budget))
    budget += rows[kept++].data.size();
  if (kept < rows.size()) {
    rows.resize(kept);
    more = true;
  }
  json::array data;
  for (const auto& e : rows) data.push_back(view(e));
  json::object out;
  out["data"] = std::move(data);
  out["next_after"] = rows.empty() ? f.after : rows.back().id;
  out["has_more"] = more;
  co_return http::json_response(status::ok, out);
}

}  // namespace

void register_event_routes(http::router& r, services& s) {
  r.add(http::verb::get, "/v1/events", "events.list", [&s](http::request& q) { return list(s, q); });
}

}  // namespace enfinito::api
