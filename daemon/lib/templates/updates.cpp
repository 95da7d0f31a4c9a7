// templates::updates: a template webhook's value to a change of the local copy
// (include/enfinito/templates/updates.hpp).
#include <enfinito/templates/updates.hpp>

#include <boost/json.hpp>

namespace enfinito::templates {
namespace {

namespace json = boost::json;

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Meta sends the id as a JSON number; some relays quote it.
std::string id_of(const json::object& o) {
  const auto* v = o.if_contains("message_template_id");
  if (!v) return {};
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (v->is_string()) return std::string(v->get_string());
  return {};
}

}  // namespace

bool is_template_field(std::string_view field) noexcept {
  return field == "message_template_status_update" || field == "message_template_quality_update" ||
         field == "template_category_update";
}

std::optional<store::templates::update> read_update(std::string_view field, std::string_view value_json) {
  if (!is_template_field(field)) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(value_json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  store::templates::update u;
  u.template_id = id_of(o);
  if (u.template_id.empty() || u.template_id.size() > 32) return std::nullopt;
  u.name = text(o, "message_template_name");
  u.language = text(o, "message_template_language");
  if (field == "message_template_status_update") {
    u.status = text(o, "event");
    if (u.status == "REINSTATED") u.status = "APPROVED";
    u.category = text(o, "message_template_category");
  } else if (field == "message_template_quality_update") {
    u.quality = text(o, "new_quality_score");
  } else {
    u.category = text(o, "new_category");
  }
  if (u.status.empty() && u.quality.empty() && u.category.empty()) return std::nullopt;
  return u;
}

}  // namespace enfinito::templates
