// feed::event_json, check_owned, within_budget and read_page: the event log in pages
// (feed/event_log.hpp).
#include <enfinito/feed/event_log.hpp>

#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

namespace enfinito::feed {

namespace json = boost::json;

json::object event_json(const store::events::event& e) {
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

core::error_code check_owned(store::connection& c, std::string_view user_id, const std::vector<std::string>& ids,
                             bool& missing) {
  for (const auto& id : ids) {
    store::instances::instance row;
    auto ec = store::instances::get(c, user_id, id, row);
    if (ec == store::error::not_found) {
      missing = true;
      return {};
    }
    if (ec) return ec;
  }
  return {};
}

std::size_t within_budget(const std::vector<store::events::event>& rows, std::size_t budget) {
  std::size_t used = 0, kept = 0;
  while (kept < rows.size() && (kept == 0 || used + rows[kept].data.size() <= budget)) used += rows[kept++].data.size();
  return kept;
}

net::awaitable<page> read_page(store::store& db, store::events::filter f, std::vector<std::string> named) {
  page out;
  const std::size_t wanted = f.limit;
  f.limit = wanted + 1;  // one more tells whether there is a next page
  auto read = [&](store::connection& c) -> core::error_code {
    if (auto ec = check_owned(c, f.user_id, named, out.missing); ec || out.missing) return ec;
    return store::events::list(c, f, out.rows);
  };
  out.ec = co_await db.read(read);
  if (out.ec || out.missing) co_return out;
  out.more = out.rows.size() > wanted;
  if (out.more) out.rows.resize(wanted);
  const auto kept = within_budget(out.rows, page_data_budget);
  if (kept < out.rows.size()) {
    out.rows.resize(kept);
    out.more = true;
  }
  co_return out;
}

}  // namespace enfinito::feed
