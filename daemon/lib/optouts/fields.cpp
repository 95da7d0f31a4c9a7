// optouts::entry_json, settings_json, read_add_body, read_settings_change and export_page: an opt-out list as
// the API reads and shows it (optouts/fields.hpp).
#include <enfinito/optouts/fields.hpp>

#include <enfinito/optouts/keywords.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

namespace enfinito::optouts {
namespace {

namespace json = boost::json;

json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// A keyword list member of the PUT body: null (the built-in list) or an array of strings.
std::optional<core::field_refusal> read_keywords(const json::value& v, std::string_view field,
                                                 std::optional<std::optional<std::vector<std::string>>>& out) {
  if (v.is_null()) {
    out.emplace(std::nullopt);
    return std::nullopt;
  }
  if (!v.is_array() || v.as_array().size() > 2 * max_keywords)
    return core::field_refusal{std::string(field), "an array of up to 50 keywords, or null for the built-in list"};
  std::vector<std::string> given;
  for (const auto& k : v.as_array()) {
    if (!k.is_string()) return core::field_refusal{std::string(field), "keywords are strings"};
    given.emplace_back(k.as_string());
  }
  std::string why;
  auto clean = clean_keywords(given, why);
  if (!clean) return core::field_refusal{std::string(field), why};
  out.emplace(std::move(*clean));
  return std::nullopt;
}

}  // namespace

json::object entry_json(std::string_view instance_id, const store::optouts::entry& e) {
  return {{"object", "optout"},        {"instance_id", instance_id},         {"wa_id", e.wa_id},
          {"source", e.source},        {"keyword", text_or_null(e.keyword)}, {"message_id", text_or_null(e.message_id)},
          {"created_at", e.created_at}};
}

json::object settings_json(std::string_view instance_id, const settings& s) {
  json::object o{{"object", "optout_settings"},
                 {"instance_id", instance_id},
                 {"enabled", s.enabled},
                 {"stop_keywords", strings(s.keywords.stop)},
                 {"start_keywords", strings(s.keywords.start)},
                 {"stop_keywords_default", s.default_stop},
                 {"start_keywords_default", s.default_start},
                 {"enforce_on_single_sends", name(s.enforce)}};
  o["updated_at"] = s.updated_at ? json::value(s.updated_at) : json::value(nullptr);
  return o;
}

std::optional<core::field_refusal> read_add_body(const json::value& body, std::string& wa_id) {
  if (!body.is_object()) return core::field_refusal{"", "the body must be a JSON object", "invalid_body"};
  for (const auto& [k, v] : body.as_object()) {
    if (k != "wa_id") return core::field_refusal{std::string(k), "unknown field", "unknown_field"};
    if (v.is_string()) wa_id = wa_id_key(v.as_string());
    if (wa_id.empty())
      return core::field_refusal{"wa_id", "the customer's WhatsApp id or phone number (digits, + and spaces allowed)"};
  }
  if (wa_id.empty()) return core::field_refusal{"wa_id", "required"};
  return std::nullopt;
}

std::optional<core::field_refusal> read_settings_change(const json::value& body, settings_change& c) {
  if (!body.is_object()) return core::field_refusal{"", "the body must be a JSON object", "invalid_body"};
  for (const auto& [k, v] : body.as_object()) {
    if (k == "enabled") {
      if (!v.is_bool()) return core::field_refusal{"enabled", "true or false"};
      c.enabled = v.as_bool();
    } else if (k == "stop_keywords" || k == "start_keywords") {
      auto& target = k == "stop_keywords" ? c.stop : c.start;
      if (auto bad = read_keywords(v, k, target)) return bad;
    } else if (k == "enforce_on_single_sends") {
      auto e = v.is_string() ? parse_enforcement(v.as_string()) : std::nullopt;
      if (!e) return core::field_refusal{std::string(k), "off, marketing_templates or all_templates"};
      c.enforce = *e;
    } else {
      return core::field_refusal{std::string(k), "unknown field", "unknown_field"};
    }
  }
  return std::nullopt;
}

net::awaitable<core::error_code> read_page(store::store& db, std::string instance_id, std::string after,
                                           std::size_t limit, json::object& page) {
  std::vector<store::optouts::entry> rows;
  auto read = [&](store::connection& c) { return store::optouts::list(c, instance_id, after, limit + 1, rows); };
  auto ec = co_await db.read(read);
  if (ec) co_return ec;
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  json::array data;
  for (const auto& e : rows) data.push_back(entry_json(instance_id, e));
  page = json::object{{"data", std::move(data)}, {"has_more", more}};
  page["next_after"] = more ? json::value(rows.back().wa_id) : json::value(nullptr);
  co_return core::error_code{};
}

core::error_code export_page(store::connection& c, const std::string& user_id, std::string& cursor, std::size_t limit,
                             json::array& page) {
  const auto space = cursor.find(' ');
  const std::string after_instance = space == std::string::npos ? std::string() : cursor.substr(0, space);
  const std::string after_wa_id = space == std::string::npos ? std::string() : cursor.substr(space + 1);
  std::vector<std::string> instances;
  std::vector<store::optouts::entry> rows;
  if (auto ec = store::optouts::list_for_user(c, user_id, after_instance, after_wa_id, limit, instances, rows))
    return ec;
  for (std::size_t i = 0; i < rows.size(); ++i) page.push_back(entry_json(instances[i], rows[i]));
  cursor = rows.size() < limit ? std::string() : instances.back() + " " + rows.back().wa_id;
  return {};
}

}  // namespace enfinito::optouts
