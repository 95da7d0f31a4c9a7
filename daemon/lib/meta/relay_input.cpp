// meta::relay_input (see include/enfinito/meta/relay_input.hpp): the pure input checks of the
// Meta passthrough routes (templates, business profile, mark as read, media upload types).
#include <enfinito/meta/relay_input.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>

namespace enfinito::meta {
namespace {

namespace json = boost::json;

bool all_of_set(std::string_view s, std::string_view extra, std::size_t lo, std::size_t hi) {
  return s.size() >= lo && s.size() <= hi && std::all_of(s.begin(), s.end(), [&](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
         });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool template_name_like(std::string_view n) {
  return !n.empty() && n.size() <= 512 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}
bool language_like(std::string_view l) { return all_of_set(l, "_", 2, 15); }
// Graph paging cursors are base64-ish tokens.
bool cursor_like(std::string_view c) { return all_of_set(c, "_-=+/", 1, 512); }

bool http_url(std::string_view u) {
  const bool scheme = u.starts_with("https://") || u.starts_with("http://");
  return scheme && u.size() > 8 &&
         std::none_of(u.begin(), u.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

input_problem bad(std::string field, std::string detail, std::string code = "invalid_field") {
  return {std::move(field), std::move(detail), std::move(code)};
}

}  // namespace

std::size_t chars(std::string_view s) noexcept {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool wamid_like(std::string_view w) noexcept { return all_of_set(w, "+/=._-:", 1, 256); }

std::variant<bool, input_problem> read_mark_read_body(const json::value& v) {
  if (!v.is_object()) return bad("", "the body must be a JSON object", "invalid_body");
  bool typing = false;
  for (const auto& [k, x] : v.as_object()) {
    if (k != "typing_indicator") return bad(std::string(k), "unknown field", "unknown_field");
    if (!x.is_bool()) return bad(std::string(k), "true or false");
    typing = x.get_bool();
  }
  return typing;
}

std::optional<input_problem> read_template_query(const template_query_params& p, template_query& q) {
  if (const auto& l = p.limit) {
    const bool digits =
        !l->empty() && l->size() <= 3 && std::all_of(l->begin(), l->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoul(*l) < 1 || std::stoul(*l) > 100) return bad("limit", "1 to 100");
    q.limit = std::stoul(*l);
  }
  if (const auto& a = p.after) {
    if (!cursor_like(*a)) return bad("after", "a cursor from a previous page");
    q.after = *a;
  }
  if (const auto& b = p.before) {
    if (!cursor_like(*b)) return bad("before", "a cursor from a previous page");
    q.before = *b;
  }
  if (!q.after.empty() && !q.before.empty()) return bad("before", "give after or before, not both");
  if (const auto& n = p.name) {
    if (!template_name_like(*n)) return bad("name", "lowercase letters, digits and _, at most 512");
    q.name = *n;
  }
  if (const auto& st = p.status) {
    static constexpr std::string_view statuses[] = {
        "APPROVED", "PENDING", "REJECTED",         "PAUSED", "DISABLED", "IN_APPEAL", "LIMIT_EXCEEDED",
        "ARCHIVED", "DELETED", "PENDING_DELETION", "LOCKED", "FLAGGED",  "REINSTATED"};
    const std::string u = upper(*st);
    if (std::find(std::begin(statuses), std::end(statuses), u) == std::end(statuses))
      return bad("status", "a template status such as APPROVED, PENDING or REJECTED");
    q.status = u;
  }
  if (const auto& lang = p.language) {
    if (!language_like(*lang)) return bad("language", "a language code such as en_US");
    q.language = *lang;
  }
  return std::nullopt;
}

std::optional<input_problem> check_template(const json::value& v) {
  if (!v.is_object()) return bad("", "the body must be a JSON object", "invalid_body");
  const auto& o = v.as_object();
  const auto* name = o.if_contains("name");
  if (!name) return bad("name", "required", "missing_field");
  if (!name->is_string() || !template_name_like(name->get_string()))
    return bad("name", "lowercase letters, digits and _, at most 512 characters");
  const auto* lang = o.if_contains("language");
  if (!lang) return bad("language", "required", "missing_field");
  if (!lang->is_string() || !language_like(lang->get_string())) return bad("language", "a language code such as en_US");
  const auto* cat = o.if_contains("category");
  if (!cat) return bad("category", "required", "missing_field");
  if (!cat->is_string() || (upper(cat->get_string()) != "MARKETING" && upper(cat->get_string()) != "UTILITY" &&
                            upper(cat->get_string()) != "AUTHENTICATION"))
    return bad("category", "MARKETING, UTILITY or AUTHENTICATION");
  if (const auto* pf = o.if_contains("parameter_format"))
    if (!pf->is_string() || (upper(pf->get_string()) != "POSITIONAL" && upper(pf->get_string()) != "NAMED"))
      return bad("parameter_format", "POSITIONAL or NAMED");
  const auto* comps = o.if_contains("components");
  if (!comps) return bad("components", "required", "missing_field");
  if (!comps->is_array() || comps->as_array().empty() || comps->as_array().size() > 10)
    return bad("components", "an array of 1 to 10 components");
  int bodies = 0;
  for (std::size_t i = 0; i < comps->as_array().size(); ++i) {
    const auto& c = comps->as_array()[i];
    const std::string at = "components[" + std::to_string(i) + "]";
    if (!c.is_object()) return bad(at, "must be an object");
    const auto* type = c.as_object().if_contains("type");
    if (!type) return bad(at + ".type", "required", "missing_field");
    const std::string u = type->is_string() ? upper(type->get_string()) : "";
    if (u != "HEADER" && u != "BODY" && u != "FOOTER" && u != "BUTTONS")
      return bad(at + ".type", "HEADER, BODY, FOOTER or BUTTONS");
    if (u == "BODY" && ++bodies > 1) return bad(at + ".type", "a template has one BODY");
  }
  if (bodies == 0) return bad("components", "a template needs a BODY component");
  return std::nullopt;
}

std::optional<input_problem> check_business_profile(const json::value& v) {
  if (!v.is_object()) return bad("", "the body must be a JSON object", "invalid_body");
  const auto& o = v.as_object();
  if (o.empty()) return bad("", "give at least one field to change", "invalid_body");
  auto text = [](const json::value& x, std::size_t lo, std::size_t hi) {
    return x.is_string() && chars(x.get_string()) >= lo && chars(x.get_string()) <= hi;
  };
  for (const auto& [key, value] : o) {
    const std::string k(key);
    if (k == "about") {
      if (!text(value, 1, 139)) return bad(k, "1 to 139 characters");
    } else if (k == "address") {
      if (!text(value, 0, 256)) return bad(k, "at most 256 characters");
    } else if (k == "description") {
      if (!text(value, 0, 512)) return bad(k, "at most 512 characters");
    } else if (k == "email") {
      if (!text(value, 0, 128) || (!value.get_string().empty() && value.get_string().find('@') == json::string::npos))
        return bad(k, "an email address, at most 128 characters");
    } else if (k == "websites") {
      if (!value.is_array() || value.as_array().size() > 2) return bad(k, "at most 2 URLs");
      for (const auto& w : value.as_array())
        if (!text(w, 1, 256) || !http_url(w.get_string()))
          return bad(k, "http or https URLs of at most 256 characters");
    } else if (k == "vertical") {
      if (!value.is_string() || !all_of_set(value.get_string(), "_", 1, 40) ||
          upper(value.get_string()) != value.get_string())
        return bad(k, "one of Meta's industry codes, e.g. RETAIL, EDU, OTHER");
    } else if (k == "profile_picture_handle") {
      if (!text(value, 1, 2048)) return bad(k, "a handle from Meta's resumable upload API");
    } else if (k == "messaging_product") {
      if (value != "whatsapp") return bad(k, "must be whatsapp");
    } else {
      return bad(k, "unknown field", "unknown_field");
    }
  }
  return std::nullopt;
}

std::string media_essence(std::string_view mime) {
  mime = mime.substr(0, mime.find(';'));
  while (!mime.empty() && mime.back() == ' ') mime.remove_suffix(1);
  std::string out(mime);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::variant<std::string, input_problem> upload_media_type(std::string_view type_part,
                                                           std::string_view file_content_type) {
  const std::string part_type = media_essence(file_content_type);
  const bool typed_part = !part_type.empty() && part_type != "application/octet-stream";
  if (!type_part.empty() && typed_part && media_essence(type_part) != part_type)
    return bad("type", "does not match the file part's Content-Type");
  std::string mime = !type_part.empty() ? media_essence(type_part) : part_type;
  if (mime.empty() || mime == "application/octet-stream")
    return bad("type", "give the media type (a `type` part or the file part's Content-Type)", "missing_field");
  return mime;
}

bool upload_filename_ok(std::string_view f) noexcept { return !f.empty() && chars(f) <= 200; }

std::string size_text(std::size_t max_bytes) {
  const auto kib = max_bytes / 1024;
  return kib >= 1024 ? std::to_string(kib / 1024) + " MB" : std::to_string(kib) + " KB";
}

std::optional<upload_refusal> check_upload_file(std::string_view mime, std::string_view bytes) {
  using kind = upload_refusal::kind;
  const auto limit = media_limit_for(mime, bytes.substr(0, 64));
  if (!limit) return upload_refusal{.what = kind::unsupported_type};
  if (bytes.empty()) return upload_refusal{.what = kind::empty};
  if (bytes.size() > limit->max_bytes)
    return upload_refusal{.what = kind::too_large,
                          .detail = std::string(to_string(limit->kind)) + " files of this type are limited to " +
                                    size_text(limit->max_bytes)};
  return std::nullopt;
}

std::variant<upload_input, input_problem> read_upload_form(const std::vector<form_part>& parts) {
  const form_part* file = nullptr;
  std::string_view type;
  for (const auto& p : parts) {
    if (p.name == "file") {
      if (file) return bad("file", "give one file");
      file = &p;
    } else if (p.name == "type") {
      type = p.data;
    } else if (p.name == "messaging_product") {
      if (p.data != "whatsapp") return bad("messaging_product", "must be whatsapp");
    } else {
      return bad(std::string(p.name.substr(0, 64)), "unknown part", "unknown_field");
    }
  }
  if (!file) return bad("file", "required: the media file as a multipart part", "missing_field");
  auto mime = upload_media_type(type, file->content_type);
  if (auto* no = std::get_if<input_problem>(&mime)) return std::move(*no);
  return upload_input{std::move(std::get<std::string>(mime)), std::string(file->filename), file->data};
}

// ---- Graph-compatible list queries --------------------------------------------------------

namespace {

// The list parameters passed on to Meta: limit 1 to 100, opaque cursors, fields.
bool query_value_ok(std::string_view key, std::string_view v) {
  if (key == "fields") return fields_like(v);
  if (key == "limit")
    return !v.empty() && v.size() <= 3 &&
           std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoul(std::string(v)) >= 1 && std::stoul(std::string(v)) <= 100;
  return !v.empty() && v.size() <= 512 && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '=' || c == '+' || c == '/';
  });
}

// A checked query value, percent-encoded where a query would misread it.
std::string query_encode(std::string_view v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '=':
        out += "%3D";
        break;
      case '+':
        out += "%2B";
        break;
      case '/':
        out += "%2F";
        break;
      case ',':
        out += "%2C";
        break;
      case '{':
        out += "%7B";
        break;
      case '}':
        out += "%7D";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

bool fields_like(std::string_view f) noexcept {
  return f.size() <= 512 && std::all_of(f.begin(), f.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ',' || c == '{' || c == '}';
         });
}

std::optional<std::string> graph_list_query(const graph_list_params& p, std::string& query) {
  const std::pair<const char*, const std::optional<std::string>*> given[] = {
      {"limit", &p.limit}, {"after", &p.after}, {"before", &p.before}, {"fields", &p.fields}};
  for (const auto& [key, v] : given) {
    if (!*v) continue;
    if (!query_value_ok(key, **v)) return std::string(key);
    query += (query.empty() ? "" : "&") + std::string(key) + "=" + query_encode(**v);
  }
  return std::nullopt;
}

bool keep_phone_numbers(json::value& answer, const std::vector<std::string>& ids) {
  auto* o = answer.if_object();
  auto* data = o ? o->if_contains("data") : nullptr;
  if (!data || !data->is_array()) return false;
  json::array kept;
  for (auto& n : data->get_array()) {
    const auto* id = n.is_object() ? n.get_object().if_contains("id") : nullptr;
    if (id && id->is_string() && std::find(ids.begin(), ids.end(), id->get_string()) != ids.end())
      kept.push_back(std::move(n));
  }
  data->get_array() = std::move(kept);
  return true;
}

}  // namespace enfinito::meta
