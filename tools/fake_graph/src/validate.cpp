// validate.cpp owns the shape checks of `POST /{phone-number-id}/messages` (REFERENCE §1.1,
// §1.2): envelope, each message type, interactive limits and template components. Codes:
// 100 for envelope problems, 131008 for a missing required parameter, 131009 for a value out
// of range. Template existence and parameter counts need state and live in core.cpp.
#include "detail.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <set>

namespace enfinito::fake_graph::detail {

namespace json = boost::json;

namespace {

using result = std::optional<graph_error>;

graph_error missing(const std::string& path) { return {131008, 0, "The parameter " + path + " is required."}; }
graph_error invalid(const std::string& details) { return {131009, 0, details}; }
graph_error bad_param(const std::string& details) { return {100, 0, details}; }

const json::value* field(const json::object& o, std::string_view key) { return o.if_contains(key); }

// A required non-empty string; `path` names it in Meta's `text['body']` style.
result need_string(const json::object& o, std::string_view key, const std::string& path, std::size_t max_chars,
                   std::string* out = nullptr) {
  const auto* v = field(o, key);
  if (!v || v->is_null()) return missing(path);
  if (!v->is_string()) return invalid("Param " + path + " must be a string.");
  const auto& s = v->get_string();
  if (s.empty()) return missing(path);
  if (max_chars && utf8_length(s) > max_chars)
    return invalid("Param " + path + " must be at most " + std::to_string(max_chars) + " characters long.");
  if (out) *out = std::string(s);
  return std::nullopt;
}

result opt_string(const json::object& o, std::string_view key, const std::string& path, std::size_t max_chars) {
  const auto* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) return invalid("Param " + path + " must be a string.");
  if (max_chars && utf8_length(v->get_string()) > max_chars)
    return invalid("Param " + path + " must be at most " + std::to_string(max_chars) + " characters long.");
  return std::nullopt;
}

bool is_http_url(std::string_view s) {
  auto u = boost::urls::parse_uri(s);
  if (!u) return false;
  return (u->scheme() == "http" || u->scheme() == "https") && !u->host().empty();
}

const json::object* need_object(const json::object& o, std::string_view key, const std::string& path, result& err) {
  const auto* v = field(o, key);
  if (!v || v->is_null()) {
    err = missing(path);
    return nullptr;
  }
  if (!v->is_object()) {
    err = invalid("Param " + path + " must be an object.");
    return nullptr;
  }
  return &v->get_object();
}

const json::array* need_array(const json::object& o, std::string_view key, const std::string& path, std::size_t min,
                              std::size_t max, result& err) {
  const auto* v = field(o, key);
  if (!v || v->is_null()) {
    err = missing(path);
    return nullptr;
  }
  if (!v->is_array()) {
    err = invalid("Param " + path + " must be an array.");
    return nullptr;
  }
  const auto& a = v->get_array();
  if (a.size() < min || a.size() > max) {
    err = invalid("Param " + path + " must have between " + std::to_string(min) + " and " + std::to_string(max) +
                  " elements.");
    return nullptr;
  }
  return &a;
}

// Media object: exactly one of id | link; caption and filename only where allowed.
result check_media(const json::object& m, const std::string& kind, bool caption_ok, bool filename_ok) {
  const auto* id = field(m, "id");
  const auto* link = field(m, "link");
  if (!id && !link) return missing(kind + "['id'] or " + kind + "['link']");
  if (id && link) return invalid("Param " + kind + " must contain exactly one of 'id' or 'link'.");
  if (id && (!id->is_string() || id->get_string().empty()))
    return invalid("Param " + kind + "['id'] must be a valid media id.");
  if (link && (!link->is_string() || !is_http_url(link->get_string())))
    return invalid("Param " + kind + "['link'] must be a valid http or https URL.");
  if (field(m, "caption")) {
    if (!caption_ok) return invalid("Param " + kind + "['caption'] is not allowed for " + kind + ".");
    if (auto e = opt_string(m, "caption", kind + "['caption']", 1024)) return e;
  }
  if (field(m, "filename")) {
    if (!filename_ok) return invalid("Param " + kind + "['filename'] is not allowed for " + kind + ".");
    if (auto e = opt_string(m, "filename", kind + "['filename']", 240)) return e;
  }
  return std::nullopt;
}

result check_text(const json::object& t) {
  if (auto e = need_string(t, "body", "text['body']", 4096)) return e;
  if (const auto* p = field(t, "preview_url"); p && !p->is_bool())
    return invalid("Param text['preview_url'] must be a boolean.");
  return std::nullopt;
}

result check_location(const json::object& l) {
  for (const char* k : {"latitude", "longitude"}) {
    const auto* v = field(l, k);
    const std::string path = std::string("location['") + k + "']";
    if (!v) return missing(path);
    double d = 0;
    if (v->is_number())
      d = v->to_number<double>();
    else if (v->is_string()) {
      try {
        d = std::stod(std::string(v->get_string()));
      } catch (...) {
        return invalid("Param " + path + " must be a number.");
      }
    } else
      return invalid("Param " + path + " must be a number.");
    const double lim = std::string_view(k) == "latitude" ? 90 : 180;
    if (d < -lim || d > lim) return invalid("Param " + path + " is out of range.");
  }
  if (auto e = opt_string(l, "name", "location['name']", 1000)) return e;
  return opt_string(l, "address", "location['address']", 1000);
}

result check_contacts(const json::value& v) {
  if (!v.is_array()) return invalid("Param contacts must be an array.");
  const auto& a = v.get_array();
  if (a.empty()) return missing("contacts");
  if (a.size() > 257) return invalid("Param contacts has too many elements.");
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string p = "contacts[" + std::to_string(i) + "]";
    if (!a[i].is_object()) return invalid("Param " + p + " must be an object.");
    const auto& c = a[i].get_object();
    result err;
    const auto* name = need_object(c, "name", p + "['name']", err);
    if (!name) return err;
    if (auto e = need_string(*name, "formatted_name", p + "['name']['formatted_name']", 0)) return e;
    if (const auto* b = field(c, "birthday")) {
      const bool ok =
          b->is_string() && b->get_string().size() == 10 && b->get_string()[4] == '-' && b->get_string()[7] == '-';
      if (!ok) return invalid("Param " + p + "['birthday'] must be in YYYY-MM-DD format.");
    }
    for (const char* arr : {"addresses", "emails", "phones", "urls"}) {
      if (const auto* x = field(c, arr)) {
        if (!x->is_array()) return invalid("Param " + p + "['" + arr + "'] must be an array.");
        for (const auto& item : x->get_array())
          if (!item.is_object()) return invalid("Param " + p + "['" + arr + "'] must hold objects.");
      }
    }
  }
  return std::nullopt;
}

result check_reaction(const json::object& r) {
  if (auto e = need_string(r, "message_id", "reaction['message_id']", 0)) return e;
  const auto* emoji = field(r, "emoji");
  if (!emoji) return missing("reaction['emoji']");
  if (!emoji->is_string()) return invalid("Param reaction['emoji'] must be a string.");
  // One emoji may be several code points (ZWJ sequences, skin tones) but never a sentence.
  if (utf8_length(emoji->get_string()) > 10) return invalid("Param reaction['emoji'] must be a single emoji.");
  return std::nullopt;
}

result check_interactive_header(const json::object& h, bool text_only) {
  std::string type;
  if (auto e = need_string(h, "type", "interactive['header']['type']", 0, &type)) return e;
  if (type == "text") return need_string(h, "text", "interactive['header']['text']", 60);
  if (text_only) return invalid("Param interactive['header']['type'] must be 'text' for lists.");
  if (type != "image" && type != "video" && type != "document")
    return invalid("Param interactive['header']['type'] must be one of {text, image, video, document}.");
  result err;
  const auto* m = need_object(h, type, "interactive['header']['" + type + "']", err);
  if (!m) return err;
  return check_media(*m, type, false, type == "document");
}

result check_interactive(const json::object& in) {
  std::string type;
  if (auto e = need_string(in, "type", "interactive['type']", 0, &type)) return e;
  static const std::set<std::string> known = {"button",
                                              "list",
                                              "cta_url",
                                              "flow",
                                              "product",
                                              "product_list",
                                              "catalog_message",
                                              "location_request_message",
                                              "call_permission_request"};
  if (!known.count(type))
    return invalid(
        "Param interactive['type'] must be one of {button, list, cta_url, flow, "
        "product, product_list, catalog_message, location_request_message, "
        "call_permission_request}.");
  result err;
  const bool body_required = type != "product";
  if (const auto* b = field(in, "body"); b || body_required) {
    const auto* body = need_object(in, "body", "interactive['body']", err);
    if (!body) return err;
    if (auto e = need_string(*body, "text", "interactive['body']['text']", 1024)) return e;
  }
  if (field(in, "footer")) {
    const auto* f = need_object(in, "footer", "interactive['footer']", err);
    if (!f) return err;
    if (auto e = need_string(*f, "text", "interactive['footer']['text']", 60)) return e;
  }
  if (field(in, "header")) {
    const auto* h = need_object(in, "header", "interactive['header']", err);
    if (!h) return err;
    if (auto e = check_interactive_header(*h, type == "list")) return e;
  }
  const auto* action = need_object(in, "action", "interactive['action']", err);
  if (!action) return err;

  if (type == "button") {
    const auto* buttons = need_array(*action, "buttons", "interactive['action']['buttons']", 1, 3, err);
    if (!buttons) return err;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < buttons->size(); ++i) {
      const std::string p = "interactive['action']['buttons'][" + std::to_string(i) + "]";
      if (!(*buttons)[i].is_object()) return invalid("Param " + p + " must be an object.");
      const auto& b = (*buttons)[i].get_object();
      std::string btype;
      if (auto e = need_string(b, "type", p + "['type']", 0, &btype)) return e;
      if (btype != "reply") return invalid("Param " + p + "['type'] must be 'reply'.");
      const auto* reply = need_object(b, "reply", p + "['reply']", err);
      if (!reply) return err;
      std::string id;
      if (auto e = need_string(*reply, "id", p + "['reply']['id']", 256, &id)) return e;
      if (auto e = need_string(*reply, "title", p + "['reply']['title']", 20)) return e;
      if (!ids.insert(id).second) return invalid("Buttons must have unique ids.");
    }
  } else if (type == "list") {
    if (auto e = need_string(*action, "button", "interactive['action']['button']", 20)) return e;
    const auto* sections = need_array(*action, "sections", "interactive['action']['sections']", 1, 10, err);
    if (!sections) return err;
    std::size_t total_rows = 0;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < sections->size(); ++i) {
      const std::string p = "interactive['action']['sections'][" + std::to_string(i) + "]";
      if (!(*sections)[i].is_object()) return invalid("Param " + p + " must be an object.");
      const auto& s = (*sections)[i].get_object();
      if (sections->size() > 1 || field(s, "title"))
        if (auto e = need_string(s, "title", p + "['title']", 24)) return e;
      const auto* rows = need_array(s, "rows", p + "['rows']", 1, 10, err);
      if (!rows) return err;
      total_rows += rows->size();
      for (std::size_t r = 0; r < rows->size(); ++r) {
        const std::string rp = p + "['rows'][" + std::to_string(r) + "]";
        if (!(*rows)[r].is_object()) return invalid("Param " + rp + " must be an object.");
        const auto& row = (*rows)[r].get_object();
        std::string id;
        if (auto e = need_string(row, "id", rp + "['id']", 200, &id)) return e;
        if (auto e = need_string(row, "title", rp + "['title']", 24)) return e;
        if (auto e = opt_string(row, "description", rp + "['description']", 72)) return e;
        if (!ids.insert(id).second) return invalid("Row ids must be unique.");
      }
    }
    if (total_rows > 10) return invalid("Total row count exceed max allowed count: 10");
  } else if (type == "cta_url" || type == "flow") {
    std::string name;
    if (auto e = need_string(*action, "name", "interactive['action']['name']", 0, &name)) return e;
    if (name != type) return invalid("Param interactive['action']['name'] must be '" + type + "'.");
    const auto* params = need_object(*action, "parameters", "interactive['action']['parameters']", err);
    if (!params) return err;
    const std::string p = "interactive['action']['parameters']";
    if (type == "cta_url") {
      if (auto e = need_string(*params, "display_text", p + "['display_text']", 20)) return e;
      std::string url;
      if (auto e = need_string(*params, "url", p + "['url']", 0, &url)) return e;
      if (!is_http_url(url)) return invalid("Param " + p + "['url'] must be a valid URL.");
    } else {
      std::string version;
      if (auto e = need_string(*params, "flow_message_version", p + "['flow_message_version']", 0, &version)) return e;
      if (version != "3") return invalid("Param " + p + "['flow_message_version'] must be '3'.");
      const bool has_id = field(*params, "flow_id"), has_name = field(*params, "flow_name");
      if (!has_id && !has_name) return missing(p + "['flow_id'] or " + p + "['flow_name']");
      if (has_id && has_name) return invalid("Specify only one of flow_id or flow_name.");
      if (auto e = need_string(*params, "flow_cta", p + "['flow_cta']", 30)) return e;
      if (auto e = opt_string(*params, "flow_token", p + "['flow_token']", 0)) return e;
      if (const auto* fa = field(*params, "flow_action")) {
        if (!fa->is_string() || (fa->get_string() != "navigate" && fa->get_string() != "data_exchange"))
          return invalid("Param " + p + "['flow_action'] must be one of {navigate, data_exchange}.");
      }
      if (const auto* mode = field(*params, "mode")) {
        if (!mode->is_string() || (mode->get_string() != "draft" && mode->get_string() != "published"))
          return invalid("Param " + p + "['mode'] must be one of {draft, published}.");
      }
      if (const auto* payload = field(*params, "flow_action_payload"); payload && !payload->is_object())
        return invalid("Param " + p + "['flow_action_payload'] must be an object.");
    }
  }
  return std::nullopt;
}

result check_template_parameter(const json::object& prm, const std::string& p, const std::string& component) {
  std::string type;
  if (auto e = need_string(prm, "type", p + "['type']", 0, &type)) return e;
  if (type == "text") {
    // URL-button suffixes and body text both use `text`; an empty string is not allowed.
    if (auto e = need_string(prm, "text", p + "['text']", component == "header" ? 60 : 32768)) return e;
    return opt_string(prm, "parameter_name", p + "['parameter_name']", 0);
  }
  result err;
  if (type == "currency") {
    const auto* c = need_object(prm, "currency", p + "['currency']", err);
    if (!c) return err;
    if (auto e = need_string(*c, "fallback_value", p + "['currency']['fallback_value']", 0)) return e;
    if (auto e = need_string(*c, "code", p + "['currency']['code']", 3)) return e;
    const auto* amount = field(*c, "amount_1000");
    if (!amount) return missing(p + "['currency']['amount_1000']");
    if (!amount->is_int64() && !amount->is_uint64())
      return invalid("Param " + p + "['currency']['amount_1000'] must be an integer.");
    return std::nullopt;
  }
  if (type == "date_time") {
    const auto* d = need_object(prm, "date_time", p + "['date_time']", err);
    if (!d) return err;
    return need_string(*d, "fallback_value", p + "['date_time']['fallback_value']", 0);
  }
  if (type == "image" || type == "video" || type == "document") {
    const auto* m = need_object(prm, type, p + "['" + type + "']", err);
    if (!m) return err;
    return check_media(*m, type, false, type == "document");
  }
  if (type == "location") {
    const auto* l = need_object(prm, "location", p + "['location']", err);
    if (!l) return err;
    return check_location(*l);
  }
  if (type == "payload") return need_string(prm, "payload", p + "['payload']", 0);
  if (type == "action") {
    if (!need_object(prm, "action", p + "['action']", err)) return err;
    return std::nullopt;
  }
  if (type == "coupon_code") return need_string(prm, "coupon_code", p + "['coupon_code']", 15);
  return invalid("Param " + p +
                 "['type'] must be one of {text, currency, date_time, image, "
                 "video, document, location, payload, action, coupon_code}.");
}

result check_template(const json::object& t) {
  if (auto e = need_string(t, "name", "template['name']", 512)) return e;
  result err;
  const auto* lang = need_object(t, "language", "template['language']", err);
  if (!lang) return err;
  if (auto e = need_string(*lang, "code", "template['language']['code']", 0)) return e;
  if (const auto* pol = field(*lang, "policy"))
    if (!pol->is_string() || pol->get_string() != "deterministic")
      return invalid("Param template['language']['policy'] must be 'deterministic'.");
  const auto* comps_v = field(t, "components");
  if (!comps_v) return std::nullopt;
  if (!comps_v->is_array()) return invalid("Param template['components'] must be an array.");
  static const std::set<std::string> sub_types = {"quick_reply", "url", "copy_code", "flow",
                                                  "catalog",     "mpm", "voice_call"};
  const auto& comps = comps_v->get_array();
  for (std::size_t i = 0; i < comps.size(); ++i) {
    const std::string p = "template['components'][" + std::to_string(i) + "]";
    if (!comps[i].is_object()) return invalid("Param " + p + " must be an object.");
    const auto& c = comps[i].get_object();
    std::string type;
    if (auto e = need_string(c, "type", p + "['type']", 0, &type)) return e;
    for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (type != "header" && type != "body" && type != "button" && type != "carousel" && type != "limited_time_offer")
      return invalid("Param " + p + "['type'] must be one of {header, body, button, carousel, limited_time_offer}.");
    if (type == "button") {
      std::string sub;
      if (auto e = need_string(c, "sub_type", p + "['sub_type']", 0, &sub)) return e;
      if (!sub_types.count(sub)) return invalid("Param " + p + "['sub_type'] is not a valid button sub_type.");
      const auto* idx = field(c, "index");
      if (!idx) return missing(p + "['index']");
      std::string index;
      if (idx->is_string())
        index = std::string(idx->get_string());
      else if (idx->is_int64())
        index = std::to_string(idx->get_int64());
      if (index.size() != 1 || index[0] < '0' || index[0] > '9')
        return invalid("Param " + p + "['index'] must be between 0 and 9.");
    }
    if (const auto* params_v = field(c, "parameters")) {
      if (!params_v->is_array()) return invalid("Param " + p + "['parameters'] must be an array.");
      const auto& params = params_v->get_array();
      for (std::size_t k = 0; k < params.size(); ++k) {
        const std::string pp = p + "['parameters'][" + std::to_string(k) + "]";
        if (!params[k].is_object()) return invalid("Param " + pp + " must be an object.");
        if (auto e = check_template_parameter(params[k].get_object(), pp, type)) return e;
      }
    } else if (type == "button" || type == "header") {
      return missing(p + "['parameters']");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> digits_of_phone(std::string_view to) {
  std::string digits;
  for (const char c : to) {
    if (c >= '0' && c <= '9')
      digits += c;
    else if (c == '+' || c == '-' || c == '(' || c == ')' || c == ' ' || c == '.')
      continue;
    else
      return std::nullopt;
  }
  if (digits.size() < 5 || digits.size() > 20) return std::nullopt;
  return digits;
}

std::optional<graph_error> validate_send(const json::object& msg) {
  const auto* mp = field(msg, "messaging_product");
  if (!mp) return bad_param("The parameter messaging_product is required.");
  if (!mp->is_string() || mp->get_string() != "whatsapp")
    return bad_param("Param messaging_product must be 'whatsapp'.");
  if (const auto* rt = field(msg, "recipient_type")) {
    if (!rt->is_string() || (rt->get_string() != "individual" && rt->get_string() != "group"))
      return bad_param("Param recipient_type must be one of {individual, group}.");
  }
  const auto* to = field(msg, "to");
  if (!to) return bad_param("The parameter to is required.");
  if (!to->is_string() || !digits_of_phone(to->get_string()))
    return bad_param("Parameter 'to' is not a valid phone number.");
  // `type` defaults to text [OAS].
  std::string type = "text";
  if (const auto* t = field(msg, "type")) {
    if (!t->is_string()) return bad_param("Param type must be a string.");
    type = std::string(t->get_string());
  }
  static const std::set<std::string> known = {"text",     "image",    "audio",       "video",    "document", "sticker",
                                              "location", "contacts", "interactive", "template", "reaction"};
  if (!known.count(type))
    return bad_param(
        "Param type must be one of {text, image, audio, video, document, sticker, "
        "location, contacts, interactive, template, reaction}.");
  if (const auto* ctx = field(msg, "context")) {
    if (!ctx->is_object()) return invalid("Param context must be an object.");
    if (auto e = need_string(ctx->get_object(), "message_id", "context['message_id']", 0)) return e;
  }
  if (auto e = opt_string(msg, "biz_opaque_callback_data", "biz_opaque_callback_data", 512)) return e;

  const auto* content = field(msg, type);
  if (!content || content->is_null()) return missing(type);
  if (type == "contacts") return check_contacts(*content);
  if (!content->is_object()) return invalid("Param " + type + " must be an object.");
  const auto& obj = content->get_object();
  if (type == "text") return check_text(obj);
  if (type == "image" || type == "video") return check_media(obj, type, true, false);
  if (type == "document") return check_media(obj, type, true, true);
  if (type == "audio" || type == "sticker") return check_media(obj, type, false, false);
  if (type == "location") return check_location(obj);
  if (type == "reaction") return check_reaction(obj);
  if (type == "interactive") return check_interactive(obj);
  return check_template(obj);
}

}  // namespace enfinito::fake_graph::detail
