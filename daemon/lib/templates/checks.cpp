// templates::checks: a template send against the template's components, and the 24-hour
// customer-service window (include/enfinito/templates/checks.hpp).
#include <enfinito/templates/checks.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace enfinito::templates {
namespace {

namespace json = boost::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string at(std::string_view base, std::size_t i) { return std::string(base) + "[" + std::to_string(i) + "]"; }

problem mismatch(std::string field, std::string detail) {
  return {132000, "template_params_mismatch", std::move(field), std::move(detail)};
}

// The definition's component of `type` (HEADER, BODY, BUTTONS; Meta writes them upper-case).
const json::object* defined(const json::array& comps, std::string_view type) {
  for (const auto& c : comps)
    if (c.is_object() && lower(str(c.get_object(), "type")) == type) return &c.get_object();
  return nullptr;
}

// Parameters a component of the definition expects.
std::size_t expected_params(const json::object* def, std::string_view part) {
  if (!def) return 0;
  if (part == "header") {
    const std::string format = lower(str(*def, "format"));
    if (!format.empty() && format != "text") return 1;  // image, video, document, location
  }
  return placeholders(str(*def, "text")).size();
}

const json::array* params_of(const json::object& sent) {
  const auto* p = sent.if_contains("parameters");
  return p && p->is_array() ? &p->get_array() : nullptr;
}

// The lower-case HEADER format of a template's header component (Meta's default: TEXT).
std::string header_format(const json::object& header) {
  const std::string f = lower(str(header, "format"));
  return f.empty() ? "text" : f;
}

bool is_media_kind(std::string_view kind) {
  return kind == "image" || kind == "video" || kind == "document" || kind == "location";
}

// Header and body: the count, for the header each parameter's kind, and for a NAMED template
// the body's names.
std::optional<problem> check_part(const definition& t, const json::array& comps, const json::object* sent,
                                  std::size_t sent_index, std::string_view part) {
  const json::object* def = defined(comps, part);
  const std::size_t expected = expected_params(def, part);
  const json::array* given = sent ? params_of(*sent) : nullptr;
  const std::size_t got = given ? given->size() : 0;
  const std::string field = sent ? at("template.components", sent_index) + ".parameters" : "template.components";
  if (got != expected)
    return mismatch(field, std::string(part) + ": the template expects " + std::to_string(expected) +
                               " parameter(s), " + std::to_string(got) + " given");
  if (part == "header" && given)
    for (std::size_t i = 0; i < given->size(); ++i) {
      const auto& p = (*given)[i];
      if (auto bad =
              check_header_kind(t, p.is_object() ? str(p.get_object(), "type") : std::string(), at(field, i) + ".type"))
        return bad;
    }
  if (part != "body" || t.parameter_format != "NAMED" || !given) return std::nullopt;
  const auto names = placeholders(str(*def, "text"));
  for (std::size_t i = 0; i < given->size(); ++i) {
    const auto& p = (*given)[i];
    const std::string name = p.is_object() ? str(p.get_object(), "parameter_name") : std::string();
    if (std::find(names.begin(), names.end(), name) == names.end())
      return problem{132012, "template_param_format", at(field, i) + ".parameter_name",
                     "this template takes named parameters: each needs the parameter_name of one of its "
                     "placeholders"};
  }
  return std::nullopt;
}

// A defined button's parameter needs: 1 for a URL with a placeholder and for COPY_CODE, else 0 or 1.
bool button_needs_param(const json::object& b) {
  const std::string type = lower(str(b, "type"));
  if (type == "url") return !placeholders(str(b, "url")).empty();
  return type == "copy_code";
}

std::optional<problem> check_buttons(const json::array& comps, const json::array& sent_comps) {
  const json::object* def = defined(comps, "buttons");
  const json::array* buttons = nullptr;
  if (def)
    if (const auto* b = def->if_contains("buttons"); b && b->is_array()) buttons = &b->get_array();
  const std::size_t count = buttons ? buttons->size() : 0;
  std::vector<bool> given(count, false);
  for (std::size_t i = 0; i < sent_comps.size(); ++i) {
    if (!sent_comps[i].is_object()) continue;
    const auto& c = sent_comps[i].get_object();
    if (lower(str(c, "type")) != "button") continue;
    const std::string field = at("template.components", i);
    const std::string index_text = str(c, "index");
    std::size_t index = count;
    if (!index_text.empty() && index_text.size() <= 2 &&
        std::all_of(index_text.begin(), index_text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      index = std::stoul(index_text);
    if (index >= count) return mismatch(field + ".index", "the template has no button at this index");
    const auto& b = (*buttons)[index];
    const std::string defined_type = b.is_object() ? lower(str(b.get_object(), "type")) : std::string();
    if (lower(str(c, "sub_type")) != defined_type)
      return mismatch(field + ".sub_type", "the template's button at this index is of type " + defined_type);
    const json::array* p = params_of(c);
    const std::size_t got = p ? p->size() : 0;
    const bool needs = b.is_object() && button_needs_param(b.get_object());
    if (got > 1 || (needs && got != 1))
      return mismatch(field + ".parameters", "this button takes " + std::string(needs ? "exactly" : "at most") +
                                                 " 1 parameter, " + std::to_string(got) + " given");
    given[index] = true;
  }
  for (std::size_t i = 0; i < count; ++i)
    if (!given[i] && (*buttons)[i].is_object() && button_needs_param((*buttons)[i].get_object()))
      return mismatch("template.components", "the template's button " + std::to_string(i) +
                                                 " needs a parameter (a button component with index " +
                                                 std::to_string(i) + ")");
  return std::nullopt;
}

}  // namespace

std::vector<std::string> placeholders(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (out.size() < 1000) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string name(text.substr(open + 2, close - open - 2));
    const auto first = name.find_first_not_of(' ');
    name = first == std::string::npos ? std::string() : name.substr(first, name.find_last_not_of(' ') - first + 1);
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    pos = close + 2;
  }
  return out;
}

std::optional<problem> check_header_kind(const definition& t, std::string_view sent, std::string field) {
  if (!t.components) return std::nullopt;
  const json::object* header = defined(*t.components, "header");
  if (!header) return std::nullopt;
  const std::string format = header_format(*header);
  const std::string kind = lower(sent);
  const bool fits = format == "text" ? !is_media_kind(kind) : kind == format;
  if (fits) return std::nullopt;
  return problem{132012, "template_param_format", std::move(field),
                 "the template's header is of type " + format + ": its parameter must be of that type"};
}

std::optional<problem> check_params(const definition& t, const json::object& sent) {
  if (!t.components) return std::nullopt;  // known from a webhook only: Meta judges
  const auto& comps = *t.components;
  json::array none;
  const json::array* sent_comps = &none;
  if (const auto* c = sent.if_contains("components"); c && c->is_array()) sent_comps = &c->get_array();
  for (std::string_view part : {"header", "body"}) {
    const json::object* found = nullptr;
    std::size_t index = 0;
    for (std::size_t i = 0; i < sent_comps->size() && !found; ++i)
      if ((*sent_comps)[i].is_object() && lower(str((*sent_comps)[i].get_object(), "type")) == part) {
        found = &(*sent_comps)[i].get_object();
        index = i;
      }
    if (auto bad = check_part(t, comps, found, index, part)) return bad;
  }
  return check_buttons(comps, *sent_comps);
}

std::optional<problem> check_template(const definition* t, bool copy_synced, const json::object& sent) {
  if (!t) {
    if (!copy_synced) return std::nullopt;  // the copy proves nothing yet: Meta judges
    return problem{132001, "template_unknown", "template.name",
                   "the instance's WhatsApp Business Account has no template of this name in this language"};
  }
  // FLAGGED: Meta warns of low quality but still sends it (PAUSED and DISABLED it does not).
  if (t->status != "APPROVED" && t->status != "FLAGGED")
    return problem{132001, "template_not_approved", "template.name",
                   "this template is " + t->status + " in this language: Meta sends only APPROVED templates"};
  return check_params(*t, sent);
}

window window_at(std::optional<std::int64_t> last_inbound_ms, std::int64_t now_ms) noexcept {
  window w;
  w.last_inbound_at = last_inbound_ms;
  if (!last_inbound_ms) return w;
  w.closes_at = *last_inbound_ms + window_ms;
  w.open = now_ms < *w.closes_at;
  return w;
}

std::optional<window_policy> parse_window_policy(std::string_view s) noexcept {
  if (s == "auto") return window_policy::automatic;
  if (s == "reject") return window_policy::reject;
  if (s == "warn") return window_policy::warn;
  if (s == "off") return window_policy::off;
  return std::nullopt;
}

std::string_view to_string(window_policy p) noexcept {
  switch (p) {
    case window_policy::automatic:
      return "auto";
    case window_policy::reject:
      return "reject";
    case window_policy::warn:
      return "warn";
    case window_policy::off:
      return "off";
  }
  return "auto";
}

window_policy effective_policy(window_policy configured, std::optional<std::int64_t> webhooks_since_ms,
                               std::int64_t now_ms) noexcept {
  if (configured != window_policy::automatic) return configured;
  const bool seen_a_day = webhooks_since_ms && now_ms - *webhooks_since_ms >= window_ms;
  return seen_a_day ? window_policy::reject : window_policy::warn;
}

window_policy instance_policy(window_policy own, window_policy setting, std::optional<std::int64_t> webhooks_since_ms,
                              std::int64_t now_ms) noexcept {
  const auto configured = own == window_policy::automatic ? setting : own;
  return effective_policy(configured, webhooks_since_ms, now_ms);
}

problem window_closed() {
  return {131047, "window_closed", "to",
          "more than 24 hours have passed since this customer last wrote to the instance (or they never did): "
          "only a template message may be sent"};
}

}  // namespace enfinito::templates
