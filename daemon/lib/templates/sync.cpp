// templates::sync: the copy read whole from Meta, on demand and periodically
// (include/enfinito/templates/sync.hpp).
#include <enfinito/templates/sync.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/instances/meta_access.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <exception>

namespace enfinito::templates {
namespace {

namespace json = boost::json;

constexpr std::size_t page_size = 100;
constexpr int max_pages = 10;  // Meta holds at most 250 templates per WABA: 3 pages
constexpr std::size_t scan_batch = 100;
constexpr std::chrono::seconds tick{60};

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Meta's template object as a row of the copy (nothing when it lacks a name, language or id).
std::optional<store::templates::row> to_row(const json::value& v, const std::string& instance_id) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  store::templates::row r;
  r.instance_id = instance_id;
  r.name = text(o, "name");
  r.language = text(o, "language");
  r.template_id = text(o, "id");
  if (r.name.empty() || r.language.empty() || r.template_id.empty()) return std::nullopt;
  r.status = text(o, "status");
  r.category = text(o, "category");
  if (const auto* q = o.if_contains("quality_score"); q && q->is_object()) r.quality = text(q->get_object(), "score");
  r.parameter_format = text(o, "parameter_format");
  if (r.parameter_format.empty()) r.parameter_format = "POSITIONAL";
  if (const auto* c = o.if_contains("components"); c && c->is_array()) r.components = json::serialize(*c);
  return r;
}

// Syncs one instance row if it may call Meta; logs the outcome.
net::awaitable<void> sync_instance(sync_context& c, const store::instances::instance& row) {
  auto access = co_await instances::open_for_meta(*c.vault, c.blocking, row);
  if (access.what != instances::meta_access::kind::ready) co_return;
  const instances::relay_target t{c.db, *c.meta, row.id, access.creds};
  auto got = co_await sync_now(t);
  if (auto* n = std::get_if<std::size_t>(&got))
    core::log::info("templates.synced", {{"instance", row.id}, {"templates", *n}});
  else
    core::log::warn("templates.sync_failed", {{"instance", row.id}});
}

// One pass over every instance: those whose copy is due are synced, one at a time.
// No co_return inside the loops (GCC 12 coroutines: docs/engineering-notes.md).
net::awaitable<void> sync_pass(sync_context& c) {
  std::string after;
  std::vector<store::instances::instance> rows;
  std::vector<store::templates::copy_state> states;
  core::error_code ec;
  auto read = [&](store::connection& conn) -> core::error_code {
    rows.clear();
    if (auto e = store::instances::scan(conn, after, scan_batch, rows)) return e;
    states.assign(rows.size(), {});
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (auto e = store::templates::state(conn, rows[i].id, states[i])) return e;
    return {};
  };
  for (bool more = true; more;) {
    ec = co_await c.db.read(read);
    if (ec || rows.empty()) break;
    after = rows.back().id;
    more = rows.size() == scan_batch;
    const auto now = core::wall_ms();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].status != "active" || !sync_due(states[i].synced_at, now, c.cfg.templates.sync_interval)) continue;
      co_await sync_instance(c, rows[i]);
    }
  }
}

net::awaitable<void> sync_loop(std::shared_ptr<sync_context> c) {
  net::steady_timer timer(co_await net::this_coro::executor);
  std::tuple<boost::system::error_code> waited;
  for (;;) {
    timer.expires_after(std::min<std::chrono::milliseconds>(tick, c->cfg.templates.sync_interval));
    waited = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    if (std::get<0>(waited)) break;  // the executor stops
    co_await sync_pass(*c);
  }
}

}  // namespace

bool sync_due(std::optional<std::int64_t> synced_at_ms, std::int64_t now_ms,
              std::chrono::milliseconds interval) noexcept {
  return !synced_at_ms || now_ms - *synced_at_ms >= interval.count();
}

net::awaitable<instances::relayed<std::size_t>> sync_now(const instances::relay_target& t) {
  std::vector<store::templates::row> rows;
  meta::template_query q;
  q.limit = page_size;
  std::optional<instances::relay_failure> failure;
  instances::relayed<meta::template_page> got;
  for (int page = 0; page < max_pages; ++page) {  // no co_return inside (GCC 12 coroutines)
    got = co_await instances::list_templates(t, q);
    if (auto* f = std::get_if<instances::relay_failure>(&got)) {
      failure = std::move(*f);
      break;
    }
    auto& p = std::get<meta::template_page>(got);
    for (const auto& v : p.data)
      if (auto r = to_row(v, t.instance_id)) rows.push_back(std::move(*r));
    if (p.after.empty()) break;
    q.after = p.after;
  }
  if (failure) co_return std::move(*failure);
  const auto now = core::wall_ms();
  const std::string& iid = t.instance_id;
  auto write = [&](store::connection& c) { return store::templates::replace_all(c, iid, rows, now); };
  auto ec = co_await t.db.write(write);
  if (ec) co_return instances::relay_failure{};  // not stored: the copy stays as it was
  co_return rows.size();
}

void start_sync(sync_context c, executor ex) {
  auto ctx = std::make_shared<sync_context>(std::move(c));
  core::spawn(ex, sync_loop(std::move(ctx)), core::on_exception::terminate("templates.sync_crashed"));
}

}  // namespace enfinito::templates
