// templates::manage: create, edit and delete at Meta, then in the copy; lists from the copy
// (include/enfinito/templates/manage.hpp).
#include <enfinito/templates/manage.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/crypto/encoding.hpp>
#include <enfinito/instances/meta_access.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <functional>

namespace enfinito::templates {
namespace {

namespace json = boost::json;
using instances::relay_failure;

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// One Graph call for the instance: Meta's 2xx answer, or the failure (logged; a refused token recorded).
net::awaitable<instances::relayed<meta::response>> call(const instances::relay_target& t, meta::request rq,
                                                        std::string_view op) {
  auto res = co_await instances::call_meta(t.db, t.meta, t.instance_id, t.creds.access_token, std::move(rq));
  if (!res) co_return relay_failure{.what = relay_failure::kind::unreachable, .transport = res.error()};
  if (res->ok()) co_return std::move(*res);
  auto failed = co_await instances::meta_failed(t.db, t.instance_id, op, meta::parse_error(res->status, res->body));
  co_return failed;
}

// The copy's change, once Meta said yes.
net::awaitable<instances::relayed<std::monostate>> store_change(
    const instances::relay_target& t, std::function<core::error_code(store::connection&)> fn) {
  auto ec = co_await t.db.write(fn);
  // Meta holds the change; the copy catches up with the next sync.
  if (ec) co_return relay_failure{};
  co_return std::monostate{};
}

}  // namespace

bool template_id_like(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool template_name_like(std::string_view name) noexcept {
  return !name.empty() && name.size() <= 512 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::optional<meta::input_problem> check_edit(const json::value& v) {
  using meta::input_problem;
  if (!v.is_object()) return input_problem{"", "the body must be a JSON object", "invalid_body"};
  const auto& o = v.get_object();
  for (const auto& kv : o)
    if (kv.key() != "components" && kv.key() != "category")
      return input_problem{std::string(kv.key()), "an edit changes only components and category", "unknown_field"};
  if (!o.contains("components") && !o.contains("category"))
    return input_problem{"components", "give components, category or both", "missing_field"};
  if (const auto* cat = o.if_contains("category")) {
    const std::string c = cat->is_string() ? std::string(cat->get_string()) : std::string();
    if (c != "MARKETING" && c != "UTILITY" && c != "AUTHENTICATION")
      return input_problem{"category", "MARKETING, UTILITY or AUTHENTICATION"};
  }
  if (const auto* comps = o.if_contains("components")) {
    if (!comps->is_array() || comps->get_array().empty() || comps->get_array().size() > 10)
      return input_problem{"components", "an array of 1 to 10 components"};
    int bodies = 0;
    for (std::size_t i = 0; i < comps->get_array().size(); ++i) {
      const auto& c = comps->get_array()[i];
      const std::string field = "components[" + std::to_string(i) + "]";
      if (!c.is_object()) return input_problem{field, "a component object"};
      const std::string type = text(c.get_object(), "type");
      if (type != "HEADER" && type != "BODY" && type != "FOOTER" && type != "BUTTONS")
        return input_problem{field + ".type", "HEADER, BODY, FOOTER or BUTTONS"};
      if (type == "BODY" && ++bodies > 1) return input_problem{field + ".type", "at most one BODY"};
    }
  }
  return std::nullopt;
}

json::object page_json(copy_page page) {
  json::object paging;
  paging["after"] = page.next.empty() ? json::value(nullptr) : json::value(page.next);
  paging["before"] = page.previous.empty() ? json::value(nullptr) : json::value(page.previous);
  json::object out;
  out["data"] = std::move(page.data);
  out["paging"] = std::move(paging);
  return out;
}

json::object graph_list_body(copy_page page, std::string_view next_base) {
  json::object out{{"data", std::move(page.data)}};
  if (out.at("data").get_array().empty()) return out;
  json::object cursors{{"before", page.previous.empty() ? json::value(nullptr) : json::value(page.previous)}};
  cursors["after"] = page.next.empty() ? json::value(nullptr) : json::value(page.next);
  json::object paging{{"cursors", std::move(cursors)}};
  if (!page.next.empty()) paging["next"] = std::string(next_base) + page.next;
  out["paging"] = std::move(paging);
  return out;
}

json::object meta_object(const store::templates::row& r) {
  json::object o{{"name", r.name},
                 {"language", r.language},
                 {"status", r.status},
                 {"category", r.category},
                 {"parameter_format", r.parameter_format}};
  boost::system::error_code ec;
  json::value comps = r.components ? json::parse(*r.components, ec) : json::value(json::array{});
  o["components"] = ec || !comps.is_array() ? json::value(json::array{}) : std::move(comps);
  if (!r.quality.empty()) o["quality_score"] = json::object{{"score", r.quality}};
  o["id"] = r.template_id;
  return o;
}

std::string cursor_after(const store::templates::row& r) { return crypto::hex_encode(r.name + '\x1f' + r.language); }

bool read_cursor(std::string_view cursor, store::templates::filter& f, bool before) {
  auto raw = crypto::hex_decode(cursor);
  if (!raw) return false;
  std::string after(raw->begin(), raw->end());
  if (after.find('\x1f') == std::string::npos) return false;
  (before ? f.before : f.after) = std::move(after);
  return true;
}

std::optional<std::string_view> list_filter(const meta::template_query& q, store::templates::filter& f) {
  f.limit = q.limit;
  f.name = q.name;
  f.status = q.status;
  f.language = q.language;
  if (!q.after.empty() && !read_cursor(q.after, f)) return "after";
  if (!q.before.empty() && !read_cursor(q.before, f, true)) return "before";
  return std::nullopt;
}

net::awaitable<core::result<bool>> ever_synced(store::store& db, std::string instance_id) {
  store::templates::copy_state state;
  auto read = [&](store::connection& c) { return store::templates::state(c, instance_id, state); };
  auto ec = co_await db.read(read);
  // In place: an error_code converts to bool, so result<bool> would not take it implicitly.
  if (ec) co_return core::result<bool>(boost::system::in_place_error, ec);
  co_return state.synced_at.has_value();
}

net::awaitable<core::result<store::templates::row>> find_by_id(store::store& db, std::string user_id,
                                                               std::string template_id) {
  store::templates::row row;
  auto read = [&](store::connection& c) { return store::templates::find_by_meta_id(c, user_id, template_id, row); };
  auto ec = co_await db.read(read);
  if (ec) co_return ec;
  co_return row;
}

net::awaitable<core::result<copy_page>> list(store::store& db, const std::string& instance_id,
                                             store::templates::filter f) {
  const std::size_t limit = f.limit;
  f.limit = limit + 1;  // one more tells whether a next page exists
  std::vector<store::templates::row> rows;
  auto read = [&](store::connection& c) { return store::templates::list(c, instance_id, f, rows); };
  auto ec = co_await db.read(read);
  if (ec) co_return ec;
  copy_page page;
  const bool backwards = !f.before.empty();
  const bool more = rows.size() > limit;
  // Read backwards, the extra row is the one farthest back: drop it from the front.
  if (more)
    rows.erase(backwards ? rows.begin() : rows.begin() + static_cast<std::ptrdiff_t>(limit),
               backwards ? rows.begin() + 1 : rows.end());
  for (const auto& r : rows) page.data.push_back(meta_object(r));
  if (rows.empty()) co_return page;
  // Forward: a next page if there was one more row, a previous one if we came from a cursor;
  // backwards: the other way round.
  if (backwards ? true : more) page.next = cursor_after(rows.back());
  if (backwards ? more : !f.after.empty()) page.previous = cursor_after(rows.front());
  co_return page;
}

net::awaitable<instances::relayed<json::object>> create(const instances::relay_target& t,
                                                        const json::object& definition) {
  auto a = co_await call(t, meta::create_template(t.meta.version(), t.creds.waba_id, json::serialize(definition)),
                         "template_create");
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  // Strict (I-JSON), as every answer relayed with a meaning: it must carry Meta's id.
  auto parsed = core::parse_json_strict(std::get<meta::response>(a).body);
  if (!parsed.value || !parsed.value->is_object() || text(parsed.value->as_object(), "id").empty())
    co_return relay_failure{};
  json::object out;
  for (const char* k : {"id", "status", "category"})
    if (const auto* v = parsed.value->as_object().if_contains(k)) out[k] = *v;
  store::templates::row r;
  r.instance_id = t.instance_id;
  r.name = text(definition, "name");
  r.language = text(definition, "language");
  r.template_id = text(out, "id");
  r.status = text(out, "status").empty() ? "PENDING" : text(out, "status");
  r.category = text(out, "category").empty() ? text(definition, "category") : text(out, "category");
  r.parameter_format =
      text(definition, "parameter_format").empty() ? "POSITIONAL" : text(definition, "parameter_format");
  if (const auto* c = definition.if_contains("components")) r.components = json::serialize(*c);
  r.updated_at = core::wall_ms();
  std::function<core::error_code(store::connection&)> write = [&r](store::connection& c) {
    return store::templates::upsert(c, r);
  };
  auto stored = co_await store_change(t, std::move(write));
  if (auto* f = std::get_if<relay_failure>(&stored)) co_return std::move(*f);
  co_return out;
}

net::awaitable<instances::relayed<std::monostate>> edit(const instances::relay_target& t,
                                                        const std::string& template_id, const json::object& changes) {
  auto a =
      co_await call(t, meta::edit_template(t.meta.version(), template_id, json::serialize(changes)), "template_edit");
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  if (!meta::parse_success(std::get<meta::response>(a).body)) co_return relay_failure{};
  store::templates::update u;  // category only; the components are rewritten below
  u.template_id = template_id;
  u.category = text(changes, "category");
  std::optional<std::string> comps;
  if (const auto* c = changes.if_contains("components")) comps = json::serialize(*c);
  const std::string& iid = t.instance_id;
  const auto now = core::wall_ms();
  std::function<core::error_code(store::connection&)> write = [&](store::connection& c) -> core::error_code {
    bool applied = false;
    if (!u.category.empty())
      if (auto ec = store::templates::apply(c, iid, u, now, applied)) return ec;
    if (!comps) return {};
    return store::templates::set_components(c, iid, template_id, *comps, now);
  };
  auto stored = co_await store_change(t, std::move(write));
  co_return stored;
}

net::awaitable<instances::relayed<std::monostate>> remove(const instances::relay_target& t, const std::string& name,
                                                          const std::string& template_id) {
  auto a =
      co_await call(t, meta::delete_template(t.meta.version(), t.creds.waba_id, name, template_id), "template_delete");
  if (auto* f = std::get_if<relay_failure>(&a)) co_return std::move(*f);
  if (!meta::parse_success(std::get<meta::response>(a).body)) co_return relay_failure{};
  const std::string& iid = t.instance_id;
  std::function<core::error_code(store::connection&)> write = [&](store::connection& c) {
    std::size_t removed = 0;
    return store::templates::remove(c, iid, name, template_id, removed);
  };
  auto stored = co_await store_change(t, std::move(write));
  co_return stored;
}

}  // namespace enfinito::templates
