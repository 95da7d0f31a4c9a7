// meta::message_rules: Meta's documented rules for outbound message bodies (REFERENCE.md
// §1.1-1.2), written from the reference, independently of the fake Graph server's validator
// (the two check each other).
//
// Shape: one checker per type, each returning the first violation as a dotted path. Rules are
// Meta's and no stricter: fields Meta does not bound (location names, contact fields) are not
// bounded here either (the request body limit bounds them), and extra keys Meta tolerates
// pass through untouched. Lengths are counted in characters (UTF-8 code points), not bytes.
#include <enfinito/meta/message_rules.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace enfinito::meta {
namespace json = boost::json;
namespace {

using check = std::optional<rule_violation>;

// ---- violations and paths ---------------------------------------------------------------

check missing(std::string field) { return rule_violation{std::move(field), "is required", true}; }
check invalid(std::string field, std::string detail) {
  return rule_violation{std::move(field), std::move(detail), false};
}

std::string at(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}
std::string at(const std::string& base, std::size_t i) { return base + "[" + std::to_string(i) + "]"; }

// ---- scalar helpers -----------------------------------------------------------------------

// Characters as Meta counts them: code points (the JSON parser already checked the UTF-8).
std::size_t chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

double as_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

// An absolute http(s) URL with a host and no whitespace or control characters.
bool http_url(std::string_view u) {
  auto lower_prefix = [&](std::string_view p) {
    if (u.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(u[i])) != p[i]) return false;
    return true;
  };
  std::size_t host_at = 0;
  if (lower_prefix("https://"))
    host_at = 8;
  else if (lower_prefix("http://"))
    host_at = 7;
  else
    return false;
  if (u.size() <= host_at || u[host_at] == '/' || u[host_at] == '?' || u[host_at] == '#') return false;
  return std::none_of(u.begin(), u.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// ---- field accessors ------------------------------------------------------------------------

struct text_rule {
  bool required = false;
  std::size_t max = 0;  // characters; 0: Meta documents no bound
  bool allow_empty = false;
};

// Checks `o[key]` as a string. Absent and optional: fine.
check string_field(const json::object& o, std::string_view key, const std::string& base, text_rule r) {
  const auto* v = o.if_contains(key);
  if (!v) return r.required ? missing(at(base, key)) : std::nullopt;
  if (!v->is_string()) return invalid(at(base, key), "must be a string");
  const auto n = chars(v->get_string());
  if (n == 0 && !r.allow_empty) return invalid(at(base, key), "must not be empty");
  if (r.max && n > r.max) return invalid(at(base, key), "at most " + std::to_string(r.max) + " characters");
  return std::nullopt;
}

// `o[key]` as an object: `out` is set when present and an object.
check object_field(const json::object& o, std::string_view key, const std::string& base, bool required,
                   const json::object*& out) {
  out = nullptr;
  const auto* v = o.if_contains(key);
  if (!v) return required ? missing(at(base, key)) : std::nullopt;
  if (!v->is_object()) return invalid(at(base, key), "must be an object");
  out = &v->get_object();
  return std::nullopt;
}

// `o[key]` as an array of [lo, hi] elements (hi 0: unbounded).
check array_field(const json::object& o, std::string_view key, const std::string& base, bool required, std::size_t lo,
                  std::size_t hi, const json::array*& out) {
  out = nullptr;
  const auto* v = o.if_contains(key);
  if (!v) return required ? missing(at(base, key)) : std::nullopt;
  if (!v->is_array()) return invalid(at(base, key), "must be an array");
  const auto n = v->get_array().size();
  if (n < lo || (hi && n > hi)) {
    std::string range = hi ? std::to_string(lo) + " to " + std::to_string(hi) : "at least " + std::to_string(lo);
    return invalid(at(base, key), "must hold " + range + " items");
  }
  out = &v->get_array();
  return std::nullopt;
}

check bool_field(const json::object& o, std::string_view key, const std::string& base) {
  const auto* v = o.if_contains(key);
  if (v && !v->is_bool()) return invalid(at(base, key), "must be true or false");
  return std::nullopt;
}

// A fixed string value (`action.name: "cta_url"`).
check exact_field(const json::object& o, std::string_view key, const std::string& base, std::string_view want) {
  const auto* v = o.if_contains(key);
  if (!v) return missing(at(base, key));
  if (!v->is_string() || v->get_string() != want)
    return invalid(at(base, key), "must be \"" + std::string(want) + "\"");
  return std::nullopt;
}

// Element `i` of an array as an object.
check element_object(const json::array& a, std::size_t i, const std::string& base, const json::object*& out) {
  out = nullptr;
  if (!a[i].is_object()) return invalid(at(base, i), "must be an object");
  out = &a[i].get_object();
  return std::nullopt;
}

// ---- media (image/video/audio/document/sticker, headers, template parameters) -----------------

// Exactly one of `id` | `link`; caption and filename only where Meta allows them.
check media_object(const json::object& m, const std::string& base, std::string_view kind) {
  const auto* id = m.if_contains("id");
  const auto* link = m.if_contains("link");
  if (id && link) return invalid(base, "give either id or link, not both");
  if (!id && !link) return missing(at(base, "id"));
  if (id) {
    if (auto bad = string_field(m, "id", base, {.required = true})) return bad;
  } else {
    if (!link->is_string()) return invalid(at(base, "link"), "must be a string");
    if (!http_url(link->get_string())) return invalid(at(base, "link"), "must be an http or https URL");
  }
  const bool captioned = one_of(kind, {"image", "video", "document"});
  if (m.contains("caption")) {
    if (!captioned) return invalid(at(base, "caption"), "is not allowed on " + std::string(kind));
    // Meta's media caption limit.
    if (auto bad = string_field(m, "caption", base, {.max = 1024, .allow_empty = true})) return bad;
  }
  if (m.contains("filename")) {
    if (kind != "document") return invalid(at(base, "filename"), "is allowed on documents only");
    if (auto bad = string_field(m, "filename", base, {})) return bad;
  }
  return std::nullopt;
}

check media_message(const json::object& msg, std::string_view type) {
  const json::object* m = nullptr;
  const std::string base(type);
  if (!msg.contains(type)) return missing(base);
  if (!msg.at(type).is_object()) return invalid(base, "must be an object");
  m = &msg.at(type).get_object();
  return media_object(*m, base, type);
}

// ---- text, location, contacts, reaction -----------------------------------------------------

check text_message(const json::object& msg) {
  const json::object* t = nullptr;
  if (auto bad = object_field(msg, "text", "", true, t)) return bad;
  if (auto bad = string_field(*t, "body", "text", {.required = true, .max = 4096})) return bad;
  return bool_field(*t, "preview_url", "text");
}

// Meta documents numbers; numeric strings are what several SDKs send and Graph coerces them.
check coordinate(const json::object& o, std::string_view key, const std::string& base, double limit) {
  const auto* v = o.if_contains(key);
  if (!v) return missing(at(base, key));
  double d = 0;
  if (is_number(*v)) {
    d = as_double(*v);
  } else if (v->is_string()) {
    const std::string s(v->get_string());
    char* end = nullptr;
    d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) return invalid(at(base, key), "must be a number");
  } else {
    return invalid(at(base, key), "must be a number");
  }
  if (!(d >= -limit && d <= limit))
    return invalid(at(base, key), "must be between -" + std::to_string(static_cast<int>(limit)) + " and " +
                                      std::to_string(static_cast<int>(limit)));
  return std::nullopt;
}

check location_object(const json::object& l, const std::string& base) {
  if (auto bad = coordinate(l, "latitude", base, 90)) return bad;
  if (auto bad = coordinate(l, "longitude", base, 180)) return bad;
  if (auto bad = string_field(l, "name", base, {.allow_empty = true})) return bad;
  return string_field(l, "address", base, {.allow_empty = true});
}

check location_message(const json::object& msg) {
  const json::object* l = nullptr;
  if (auto bad = object_field(msg, "location", "", true, l)) return bad;
  return location_object(*l, "location");
}

// Every element of `o[key]` (optional array) is an object whose listed keys are strings.
check array_of_string_objects(const json::object& o, std::string_view key, const std::string& base,
                              std::initializer_list<std::string_view> keys) {
  const json::array* a = nullptr;
  if (auto bad = array_field(o, key, base, false, 0, 0, a)) return bad;
  if (!a) return std::nullopt;
  const std::string list = at(base, key);
  for (std::size_t i = 0; i < a->size(); ++i) {
    const json::object* e = nullptr;
    if (auto bad = element_object(*a, i, list, e)) return bad;
    for (auto k : keys)
      if (auto bad = string_field(*e, k, at(list, i), {.allow_empty = true})) return bad;
  }
  return std::nullopt;
}

bool date_ymd(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  const int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

check contact(const json::object& c, const std::string& base) {
  const json::object* name = nullptr;
  if (auto bad = object_field(c, "name", base, true, name)) return bad;
  const std::string np = at(base, "name");
  if (auto bad = string_field(*name, "formatted_name", np, {.required = true})) return bad;
  for (auto k : {"first_name", "last_name", "middle_name", "prefix", "suffix"})
    if (auto bad = string_field(*name, k, np, {.allow_empty = true})) return bad;
  if (const auto* b = c.if_contains("birthday")) {
    if (!b->is_string() || !date_ymd(b->get_string())) return invalid(at(base, "birthday"), "must be YYYY-MM-DD");
  }
  const json::object* org = nullptr;
  if (auto bad = object_field(c, "org", base, false, org)) return bad;
  if (org)
    for (auto k : {"company", "department", "title"})
      if (auto bad = string_field(*org, k, at(base, "org"), {.allow_empty = true})) return bad;
  if (auto bad = array_of_string_objects(c, "addresses", base,
                                         {"street", "city", "state", "zip", "country", "country_code", "type"}))
    return bad;
  if (auto bad = array_of_string_objects(c, "emails", base, {"email", "type"})) return bad;
  if (auto bad = array_of_string_objects(c, "phones", base, {"phone", "type", "wa_id"})) return bad;
  return array_of_string_objects(c, "urls", base, {"url", "type"});
}

check contacts_message(const json::object& msg) {
  const json::array* list = nullptr;
  if (auto bad = array_field(msg, "contacts", "", true, 1, 0, list)) return bad;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json::object* c = nullptr;
    if (auto bad = element_object(*list, i, "contacts", c)) return bad;
    if (auto bad = contact(*c, at("contacts", i))) return bad;
  }
  return std::nullopt;
}

check reaction_message(const json::object& msg) {
  const json::object* r = nullptr;
  if (auto bad = object_field(msg, "reaction", "", true, r)) return bad;
  if (auto bad = string_field(*r, "message_id", "reaction", {.required = true})) return bad;
  // An empty emoji removes the reaction.
  return string_field(*r, "emoji", "reaction", {.required = true, .allow_empty = true});
}

// ---- interactive ----------------------------------------------------------------------------

// Which header types an interactive type allows (empty: Meta allows no header).
std::vector<std::string_view> header_types(std::string_view itype) {
  if (itype == "list" || itype == "product_list") return {"text"};
  if (one_of(itype, {"button", "cta_url", "flow"})) return {"text", "image", "video", "document"};
  if (itype == "product") return {};
  return {"text", "image", "video", "document"};
}

check interactive_header(const json::object& it, std::string_view itype) {
  const json::object* h = nullptr;
  const bool required = itype == "product_list";
  if (auto bad = object_field(it, "header", "interactive", required, h)) return bad;
  if (!h) return std::nullopt;
  const std::string base = "interactive.header";
  const auto allowed = header_types(itype);
  if (allowed.empty()) return invalid(base, "is not allowed on " + std::string(itype) + " messages");
  const auto* t = h->if_contains("type");
  if (!t) return missing(at(base, "type"));
  if (!t->is_string() ||
      std::find(allowed.begin(), allowed.end(), std::string_view(t->get_string())) == allowed.end()) {
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return invalid(at(base, "type"), "must be one of: " + list);
  }
  const std::string_view ht = t->get_string();
  if (ht == "text") return string_field(*h, "text", base, {.required = true, .max = 60});
  const json::object* m = nullptr;
  if (auto bad = object_field(*h, ht, base, true, m)) return bad;
  // Header media carries no caption (the body is the caption).
  if (m->contains("caption")) return invalid(at(at(base, ht), "caption"), "is not allowed in a header");
  return media_object(*m, at(base, ht), ht);
}

check interactive_text_part(const json::object& it, std::string_view part, bool required, std::size_t max) {
  const json::object* p = nullptr;
  if (auto bad = object_field(it, part, "interactive", required, p)) return bad;
  if (!p) return std::nullopt;
  return string_field(*p, "text", at("interactive", part), {.required = true, .max = max});
}

check reply_buttons(const json::object& action) {
  const std::string base = "interactive.action";
  const json::array* buttons = nullptr;
  if (auto bad = array_field(action, "buttons", base, true, 1, 3, buttons)) return bad;
  std::set<std::string> ids, titles;
  const std::string list = at(base, "buttons");
  for (std::size_t i = 0; i < buttons->size(); ++i) {
    const json::object* b = nullptr;
    if (auto bad = element_object(*buttons, i, list, b)) return bad;
    const std::string bp = at(list, i);
    if (auto bad = exact_field(*b, "type", bp, "reply")) return bad;
    const json::object* reply = nullptr;
    if (auto bad = object_field(*b, "reply", bp, true, reply)) return bad;
    const std::string rp = at(bp, "reply");
    if (auto bad = string_field(*reply, "id", rp, {.required = true, .max = 256})) return bad;
    if (auto bad = string_field(*reply, "title", rp, {.required = true, .max = 20})) return bad;
    // Meta requires both to be unique within the message.
    if (!ids.insert(std::string(reply->at("id").get_string())).second)
      return invalid(at(rp, "id"), "must be unique among the buttons");
    if (!titles.insert(std::string(reply->at("title").get_string())).second)
      return invalid(at(rp, "title"), "must be unique among the buttons");
  }
  return std::nullopt;
}

check list_sections(const json::object& action) {
  const std::string base = "interactive.action";
  if (auto bad = string_field(action, "button", base, {.required = true, .max = 20})) return bad;
  const json::array* sections = nullptr;
  if (auto bad = array_field(action, "sections", base, true, 1, 10, sections)) return bad;
  const std::string list = at(base, "sections");
  std::size_t total = 0;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < sections->size(); ++i) {
    const json::object* s = nullptr;
    if (auto bad = element_object(*sections, i, list, s)) return bad;
    const std::string sp = at(list, i);
    // A title is required once there is more than one section.
    if (auto bad = string_field(*s, "title", sp, {.required = sections->size() > 1, .max = 24})) return bad;
    const json::array* rows = nullptr;
    if (auto bad = array_field(*s, "rows", sp, true, 1, 10, rows)) return bad;
    const std::string rl = at(sp, "rows");
    for (std::size_t j = 0; j < rows->size(); ++j) {
      const json::object* r = nullptr;
      if (auto bad = element_object(*rows, j, rl, r)) return bad;
      const std::string rp = at(rl, j);
      if (++total > 10) return invalid(rp, "a list holds at most 10 rows in all");
      if (auto bad = string_field(*r, "id", rp, {.required = true, .max = 200})) return bad;
      if (auto bad = string_field(*r, "title", rp, {.required = true, .max = 24})) return bad;
      if (auto bad = string_field(*r, "description", rp, {.max = 72, .allow_empty = true})) return bad;
      if (!ids.insert(std::string(r->at("id").get_string())).second)
        return invalid(at(rp, "id"), "must be unique among the rows");
    }
  }
  return std::nullopt;
}

check cta_url_action(const json::object& action) {
  const std::string base = "interactive.action";
  if (auto bad = exact_field(action, "name", base, "cta_url")) return bad;
  const json::object* p = nullptr;
  if (auto bad = object_field(action, "parameters", base, true, p)) return bad;
  const std::string pp = at(base, "parameters");
  if (auto bad = string_field(*p, "display_text", pp, {.required = true, .max = 20})) return bad;
  if (auto bad = string_field(*p, "url", pp, {.required = true})) return bad;
  if (!http_url(p->at("url").get_string())) return invalid(at(pp, "url"), "must be an http or https URL");
  return std::nullopt;
}

check flow_action(const json::object& action) {
  const std::string base = "interactive.action";
  if (auto bad = exact_field(action, "name", base, "flow")) return bad;
  const json::object* p = nullptr;
  if (auto bad = object_field(action, "parameters", base, true, p)) return bad;
  const std::string pp = at(base, "parameters");
  if (auto bad = exact_field(*p, "flow_message_version", pp, "3")) return bad;
  const bool by_id = p->contains("flow_id"), by_name = p->contains("flow_name");
  if (by_id && by_name) return invalid(pp, "give either flow_id or flow_name, not both");
  if (!by_id && !by_name) return missing(at(pp, "flow_id"));
  if (auto bad = string_field(*p, by_id ? "flow_id" : "flow_name", pp, {.required = true})) return bad;
  if (auto bad = string_field(*p, "flow_cta", pp, {.required = true, .max = 30})) return bad;
  if (auto bad = string_field(*p, "flow_token", pp, {})) return bad;
  if (const auto* m = p->if_contains("mode");
      m && (!m->is_string() || !one_of(m->get_string(), {"draft", "published"})))
    return invalid(at(pp, "mode"), "must be draft or published");
  std::string_view flow_action = "navigate";
  if (const auto* a = p->if_contains("flow_action")) {
    if (!a->is_string() || !one_of(a->get_string(), {"navigate", "data_exchange"}))
      return invalid(at(pp, "flow_action"), "must be navigate or data_exchange");
    flow_action = a->get_string();
  }
  const json::object* payload = nullptr;
  if (auto bad = object_field(*p, "flow_action_payload", pp, false, payload)) return bad;
  if (payload) {
    const std::string ap = at(pp, "flow_action_payload");
    if (auto bad = string_field(*payload, "screen", ap, {.required = flow_action == "navigate"})) return bad;
    const json::object* data = nullptr;
    if (auto bad = object_field(*payload, "data", ap, false, data)) return bad;
    if (data && data->empty()) return invalid(at(ap, "data"), "must not be empty when given");
  }
  return std::nullopt;
}

check product_action(const json::object& action) {
  const std::string base = "interactive.action";
  if (auto bad = string_field(action, "catalog_id", base, {.required = true})) return bad;
  return string_field(action, "product_retailer_id", base, {.required = true});
}

check product_list_action(const json::object& action) {
  const std::string base = "interactive.action";
  if (auto bad = string_field(action, "catalog_id", base, {.required = true})) return bad;
  const json::array* sections = nullptr;
  if (auto bad = array_field(action, "sections", base, true, 1, 10, sections)) return bad;
  const std::string list = at(base, "sections");
  std::size_t total = 0;
  for (std::size_t i = 0; i < sections->size(); ++i) {
    const json::object* s = nullptr;
    if (auto bad = element_object(*sections, i, list, s)) return bad;
    const std::string sp = at(list, i);
    if (auto bad = string_field(*s, "title", sp, {.required = sections->size() > 1, .max = 24})) return bad;
    const json::array* items = nullptr;
    if (auto bad = array_field(*s, "product_items", sp, true, 1, 30, items)) return bad;
    const std::string ip = at(sp, "product_items");
    for (std::size_t j = 0; j < items->size(); ++j) {
      const json::object* item = nullptr;
      if (auto bad = element_object(*items, j, ip, item)) return bad;
      if (++total > 30) return invalid(at(ip, j), "a product list holds at most 30 products in all");
      if (auto bad = string_field(*item, "product_retailer_id", at(ip, j), {.required = true})) return bad;
    }
  }
  return std::nullopt;
}

check catalog_action(const json::object& action) {
  const std::string base = "interactive.action";
  if (auto bad = exact_field(action, "name", base, "catalog_message")) return bad;
  const json::object* p = nullptr;
  if (auto bad = object_field(action, "parameters", base, false, p)) return bad;
  if (p) return string_field(*p, "thumbnail_product_retailer_id", at(base, "parameters"), {});
  return std::nullopt;
}

check interactive_message(const json::object& msg) {
  const json::object* it = nullptr;
  if (auto bad = object_field(msg, "interactive", "", true, it)) return bad;
  const auto* t = it->if_contains("type");
  if (!t) return missing("interactive.type");
  static constexpr std::array<std::string_view, 9> types = {"button",
                                                            "list",
                                                            "cta_url",
                                                            "flow",
                                                            "product",
                                                            "product_list",
                                                            "catalog_message",
                                                            "location_request_message",
                                                            "call_permission_request"};
  if (!t->is_string() || std::find(types.begin(), types.end(), std::string_view(t->get_string())) == types.end())
    return invalid("interactive.type", "is not an interactive type Meta knows");
  const std::string_view itype = t->get_string();
  if (auto bad = interactive_header(*it, itype)) return bad;
  // A single-product message may leave out the body; every other type needs one.
  if (auto bad = interactive_text_part(*it, "body", itype != "product", 1024)) return bad;
  if (auto bad = interactive_text_part(*it, "footer", false, 60)) return bad;
  const json::object* action = nullptr;
  if (auto bad = object_field(*it, "action", "interactive", true, action)) return bad;
  if (itype == "button") return reply_buttons(*action);
  if (itype == "list") return list_sections(*action);
  if (itype == "cta_url") return cta_url_action(*action);
  if (itype == "flow") return flow_action(*action);
  if (itype == "product") return product_action(*action);
  if (itype == "product_list") return product_list_action(*action);
  if (itype == "catalog_message") return catalog_action(*action);
  if (itype == "location_request_message") return exact_field(*action, "name", "interactive.action", "send_location");
  return exact_field(*action, "name", "interactive.action", "call_permission_request");
}

// ---- template -------------------------------------------------------------------------------

// Which parameter types a component may carry (REFERENCE §1.2: text-only body parameters).
bool parameter_allowed(std::string_view component, std::string_view ptype) {
  if (component == "body") return one_of(ptype, {"text", "currency", "date_time"});
  // `product`: the header of a product card in a carousel.
  if (component == "header")
    return one_of(ptype, {"text", "currency", "date_time", "image", "video", "document", "location", "product"});
  if (component == "button") return one_of(ptype, {"payload", "text", "action", "coupon_code"});
  return true;  // carousel cards and newer components: Meta decides
}

check template_parameter(const json::object& p, const std::string& base, std::string_view component) {
  const auto* t = p.if_contains("type");
  if (!t) return missing(at(base, "type"));
  static constexpr std::array<std::string_view, 12> types = {
      "text",     "currency", "date_time", "image",       "video",   "document",
      "location", "payload",  "action",    "coupon_code", "product", "limited_time_offer"};
  if (!t->is_string() || std::find(types.begin(), types.end(), std::string_view(t->get_string())) == types.end())
    return invalid(at(base, "type"), "is not a template parameter type Meta knows");
  const std::string_view pt = t->get_string();
  if (!parameter_allowed(component, pt))
    return invalid(at(base, "type"), std::string(pt) + " parameters are not allowed in a " + std::string(component));
  if (pt == "text") {
    if (auto bad = string_field(p, "parameter_name", base, {})) return bad;
    // Meta's limits: 60 characters in a header, 32768 in a body.
    const std::size_t max = component == "header" ? 60 : component == "body" ? 32768 : 0;
    return string_field(p, "text", base, {.required = true, .max = max});
  }
  if (pt == "payload") return string_field(p, "payload", base, {.required = true});
  if (pt == "coupon_code") return string_field(p, "coupon_code", base, {.required = true, .max = 15});
  const json::object* o = nullptr;
  if (auto bad = object_field(p, pt, base, true, o)) return bad;
  const std::string op = at(base, pt);
  if (pt == "currency") {
    if (auto bad = string_field(*o, "fallback_value", op, {.required = true})) return bad;
    if (auto bad = string_field(*o, "code", op, {.required = true, .max = 3})) return bad;
    const auto* amount = o->if_contains("amount_1000");
    if (!amount) return missing(at(op, "amount_1000"));
    if (!amount->is_int64() && !amount->is_uint64()) return invalid(at(op, "amount_1000"), "must be an integer");
    return std::nullopt;
  }
  if (pt == "date_time") return string_field(*o, "fallback_value", op, {.required = true});
  if (pt == "location") return location_object(*o, op);
  if (pt == "image" || pt == "video" || pt == "document") {
    if (o->contains("caption")) return invalid(at(op, "caption"), "is not allowed in a template parameter");
    return media_object(*o, op, pt);
  }
  return std::nullopt;  // action, product, limited_time_offer: Meta checks them against the template
}

check template_components(const json::array& components, const std::string& base, int depth);

check button_index(const json::object& c, const std::string& base) {
  const auto* idx = c.if_contains("index");
  if (!idx) return missing(at(base, "index"));
  // Meta documents a string "0".."9"; Graph coerces a number, which several SDKs send.
  bool ok = false;
  if (idx->is_string())
    ok = idx->get_string().size() == 1 && idx->get_string()[0] >= '0' && idx->get_string()[0] <= '9';
  else if (idx->is_int64())
    ok = idx->get_int64() >= 0 && idx->get_int64() <= 9;
  else if (idx->is_uint64())
    ok = idx->get_uint64() <= 9;
  return ok ? std::nullopt : invalid(at(base, "index"), "must be \"0\" to \"9\"");
}

check template_component(const json::object& c, const std::string& base, int depth) {
  const auto* t = c.if_contains("type");
  if (!t) return missing(at(base, "type"));
  if (!t->is_string() || !one_of(t->get_string(), {"header", "body", "button", "carousel", "limited_time_offer"}))
    return invalid(at(base, "type"), "must be header, body, button, carousel or limited_time_offer");
  const std::string_view ct = t->get_string();
  if (ct == "button") {
    const auto* st = c.if_contains("sub_type");
    if (!st) return missing(at(base, "sub_type"));
    if (!st->is_string() || !one_of(st->get_string(), {"quick_reply", "url", "copy_code", "flow", "catalog", "mpm",
                                                       "voice_call", "order_details"}))
      return invalid(at(base, "sub_type"), "is not a button sub_type Meta knows");
    if (auto bad = button_index(c, base)) return bad;
  }
  if (ct == "carousel") {
    const json::array* cards = nullptr;
    if (auto bad = array_field(c, "cards", base, true, 1, 10, cards)) return bad;
    if (depth > 0) return invalid(at(base, "cards"), "carousels do not nest");
    const std::string cl = at(base, "cards");
    for (std::size_t i = 0; i < cards->size(); ++i) {
      const json::object* card = nullptr;
      if (auto bad = element_object(*cards, i, cl, card)) return bad;
      const std::string cp = at(cl, i);
      const auto* ci = card->if_contains("card_index");
      if (!ci) return missing(at(cp, "card_index"));
      if (!ci->is_int64() && !ci->is_uint64()) return invalid(at(cp, "card_index"), "must be an integer");
      const json::array* inner = nullptr;
      if (auto bad = array_field(*card, "components", cp, true, 1, 0, inner)) return bad;
      if (auto bad = template_components(*inner, at(cp, "components"), depth + 1)) return bad;
    }
    return std::nullopt;
  }
  const json::array* params = nullptr;
  if (auto bad = array_field(c, "parameters", base, false, 0, 0, params)) return bad;
  if (!params) return std::nullopt;
  const std::string pl = at(base, "parameters");
  for (std::size_t i = 0; i < params->size(); ++i) {
    const json::object* p = nullptr;
    if (auto bad = element_object(*params, i, pl, p)) return bad;
    if (auto bad = template_parameter(*p, at(pl, i), ct)) return bad;
  }
  return std::nullopt;
}

check template_components(const json::array& components, const std::string& base, int depth) {
  for (std::size_t i = 0; i < components.size(); ++i) {
    const json::object* c = nullptr;
    if (auto bad = element_object(components, i, base, c)) return bad;
    if (auto bad = template_component(*c, at(base, i), depth)) return bad;
  }
  return std::nullopt;
}

check template_message(const json::object& msg) {
  const json::object* t = nullptr;
  if (auto bad = object_field(msg, "template", "", true, t)) return bad;
  if (auto bad = string_field(*t, "name", "template", {.required = true, .max = 512})) return bad;
  if (auto bad = string_field(*t, "namespace", "template", {})) return bad;
  const json::object* lang = nullptr;
  if (auto bad = object_field(*t, "language", "template", true, lang)) return bad;
  if (auto bad = string_field(*lang, "code", "template.language", {.required = true, .max = 15})) return bad;
  if (const auto* p = lang->if_contains("policy"); p && (!p->is_string() || p->get_string() != "deterministic"))
    return invalid("template.language.policy", "must be \"deterministic\"");
  const json::array* components = nullptr;
  if (auto bad = array_field(*t, "components", "template", false, 0, 0, components)) return bad;
  if (components) return template_components(*components, "template.components", 0);
  return std::nullopt;
}

// ---- envelope -------------------------------------------------------------------------------

// A phone number as Meta accepts it: digits with `+ - ( )` and spaces, `+` only first. E.164
// (ITU-T E.164 §6) caps a number, country code included, at 15 digits; Meta prepends the
// business number's country code to a number without one, which only makes it longer.
constexpr std::size_t e164_max_digits = 15;

bool phone_like(std::string_view to) {
  std::size_t digits = 0;
  for (std::size_t i = 0; i < to.size(); ++i) {
    const char c = to[i];
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c == '+') {
      if (digits > 0 || to.find_first_not_of(" ") < i) return false;
    } else if (c != '-' && c != '(' && c != ')' && c != ' ') {
      return false;
    }
  }
  return digits >= 5 && digits <= e164_max_digits;
}

// A business-scoped user id (`US.13491208655302741918`): letters, digits and `._-`.
bool user_id_like(std::string_view to) {
  return !to.empty() && to.size() <= 128 && std::all_of(to.begin(), to.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// A group id is opaque (base64-like in Meta's examples): printable ASCII without spaces.
bool group_id_like(std::string_view to) {
  return !to.empty() && to.size() <= 256 &&
         std::all_of(to.begin(), to.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// `messaging_product` may be left out (we fill it in), but if given it is "whatsapp".
check product_field(const json::object& msg) {
  if (const auto* mp = msg.if_contains("messaging_product"); mp && (!mp->is_string() || mp->get_string() != "whatsapp"))
    return invalid("messaging_product", "must be \"whatsapp\"");
  return std::nullopt;
}

check envelope(const json::object& msg, bool group) {
  if (auto bad = product_field(msg)) return bad;
  const auto* to = msg.if_contains("to");
  if (!to) return missing("to");
  if (!to->is_string() || to->get_string().empty()) return invalid("to", "must be a non-empty string");
  const std::string_view t = to->get_string();
  const bool letters =
      std::any_of(t.begin(), t.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  if (group ? !group_id_like(t) : (letters ? !user_id_like(t) : !phone_like(t)))
    return invalid(
        "to", group ? "must be a group id"
                    : "must be a phone number with country code (5 to 15 digits, E.164) or a business-scoped user id");
  const json::object* ctx = nullptr;
  if (auto bad = object_field(msg, "context", "", false, ctx)) return bad;
  if (ctx)
    if (auto bad = string_field(*ctx, "message_id", "context", {.required = true})) return bad;
  // Meta's bound on the callback data echoed in status webhooks.
  return string_field(msg, "biz_opaque_callback_data", "", {.max = 512, .allow_empty = true});
}

check by_type(const json::object& msg, std::string_view type) {
  if (type == "text") return text_message(msg);
  if (one_of(type, {"image", "video", "audio", "document", "sticker"})) return media_message(msg, type);
  if (type == "location") return location_message(msg);
  if (type == "contacts") return contacts_message(msg);
  if (type == "reaction") return reaction_message(msg);
  if (type == "interactive") return interactive_message(msg);
  if (type == "template") return template_message(msg);
  return invalid("type", "is not a message type Meta knows");
}

message_check fail(rule_violation v) {
  message_check r;
  r.error = std::move(v);
  return r;
}

// `status: "read"` bodies: mark as read, optionally with a typing indicator.
message_check mark_read(json::object o) {
  if (auto bad = product_field(o)) return fail(*bad);
  if (o.at("status") != "read") return fail(*invalid("status", "must be \"read\""));
  if (auto bad = string_field(o, "message_id", "", {.required = true})) return fail(*bad);
  const json::object* ti = nullptr;
  if (auto bad = object_field(o, "typing_indicator", "", false, ti)) return fail(*bad);
  if (ti)
    if (auto bad = exact_field(*ti, "type", "typing_indicator", "text")) return fail(*bad);
  o["messaging_product"] = "whatsapp";
  message_check r;
  r.ok = true;
  r.message.what = checked_message::kind::mark_read;
  r.message.message_id = std::string(o.at("message_id").get_string());
  r.message.typing_indicator = ti != nullptr;
  r.message.body = json::serialize(o);
  return r;
}

}  // namespace

std::string recipient_key(std::string_view to) {
  std::string out;
  for (char c : to)
    if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')') out.push_back(c);
  return out;
}

message_check check_message(const json::value& body) { return check_message(json::value(body)); }

message_check check_message(json::value&& body) {
  if (!body.is_object()) return fail({"", "the body must be a JSON object", false});
  json::object& o = body.get_object();  // ours: the envelope defaults are filled in place
  if (o.contains("status") && !o.contains("type")) return mark_read(std::move(o));

  const auto* rt = o.if_contains("recipient_type");
  if (rt && (!rt->is_string() || !one_of(rt->get_string(), {"individual", "group"})))
    return fail(*invalid("recipient_type", "must be individual or group"));
  const bool group = rt && rt->get_string() == "group";
  if (auto bad = envelope(o, group)) return fail(*bad);

  // Meta's default type is text.
  std::string type = "text";
  if (const auto* t = o.if_contains("type")) {
    if (!t->is_string()) return fail(*invalid("type", "must be a string"));
    type = std::string(t->get_string());
  }
  if (auto bad = by_type(o, type)) return fail(*bad);

  message_check r;
  r.ok = true;
  r.message.type = type;
  r.message.to = std::string(o.at("to").get_string());
  if (const auto* ctx = o.if_contains("context"))
    r.message.message_id = std::string(ctx->at("message_id").get_string());
  o["messaging_product"] = "whatsapp";
  if (!rt) o["recipient_type"] = "individual";
  o["type"] = type;
  r.message.body = json::serialize(o);
  // After serializing: moving the parsed object out is free (same storage), a re-parse is not.
  if (type == "template") r.message.template_object = std::move(o.at("template"));
  return r;
}

}  // namespace enfinito::meta
