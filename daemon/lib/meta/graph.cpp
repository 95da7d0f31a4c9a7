// meta::graph: Graph API request builders, error-envelope parsing and the retry policy.
#include <enfinito/meta/graph.hpp>

#include <enfinito/core/ids.hpp>
#include <enfinito/core/json_arena.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/meta/errors.hpp>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <cctype>

namespace enfinito::meta {
namespace {

std::string enc(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

std::string str_or(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  return {};
}

std::int64_t int_or(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key)) {
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    // Graph sometimes sends numbers as strings.
    if (v->is_string()) {
      std::int64_t n = 0;
      for (char c : v->get_string()) {
        if (c < '0' || c > '9' || n > 1'000'000'000'000) return 0;
        n = n * 10 + (c - '0');
      }
      return n;
    }
  }
  return 0;
}

std::optional<json::value> parse_quietly(std::string_view body) {
  // Read once and dropped: one arena for the whole tree (core/json_arena.hpp). Strict
  // (core/json_strict.hpp): an answer with a duplicate member or a number a double cannot
  // hold is not one we can read with certainty, so it is treated as no answer.
  auto parsed = core::parse_json_strict(body, core::json_arena_for(body.size()));
  return std::move(parsed.value);
}

phone_number_info number_from(const json::object& o) {
  phone_number_info n{
      str_or(o, "id"), str_or(o, "display_phone_number"), str_or(o, "verified_name"), str_or(o, "quality_rating"), {}};
  if (const auto* t = o.if_contains("throughput"); t && t->is_object()) {
    // Kept only if it looks like one of Meta's level names (STANDARD, HIGH, ...).
    std::string level = str_or(t->get_object(), "level");
    const bool plain = !level.empty() && level.size() <= 32 && std::all_of(level.begin(), level.end(), [](char ch) {
      return (ch >= 'A' && ch <= 'Z') || ch == '_';
    });
    if (plain) n.throughput_level = std::move(level);
  }
  // The messaging limit [D-ML], kept only if it looks like a tier name (TIER_250, TIER_UNLIMITED).
  std::string tier = str_or(o, "whatsapp_business_manager_messaging_limit");
  const bool tier_like = tier.size() > 5 && tier.size() <= 32 && tier.starts_with("TIER_") &&
                         std::all_of(tier.begin(), tier.end(), [](char ch) {
                           return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
                         });
  if (tier_like) n.messaging_limit_tier = std::move(tier);
  return n;
}

}  // namespace

graph_error parse_error(unsigned http_status, std::string_view body) {
  graph_error e;
  e.http_status = http_status;
  auto v = parse_quietly(body);
  if (!v || !v->is_object()) return e;
  const auto* err = v->as_object().if_contains("error");
  if (!err || !err->is_object()) return e;
  const auto& o = err->as_object();
  e.envelope = true;
  e.code = int_or(o, "code");
  e.subcode = int_or(o, "error_subcode");
  e.type = str_or(o, "type");
  e.message = str_or(o, "message");
  e.fbtrace_id = str_or(o, "fbtrace_id");
  if (const auto* t = o.if_contains("is_transient"); t && t->is_bool()) e.is_transient = t->get_bool();
  if (const auto* d = o.if_contains("error_data"); d && d->is_object()) e.details = str_or(d->as_object(), "details");
  return e;
}

disposition classify(const graph_error& e) noexcept {
  if (!e.envelope) {
    // Not Meta's envelope: a load balancer or proxy answered. 5xx and 429 are transient.
    if (e.http_status == 401) return disposition::needs_reauth;
    if (e.http_status >= 500 || e.http_status == 429 || e.http_status == 408) return disposition::retryable;
    return disposition::permanent;
  }
  switch (e.code) {
    case 0:    // AuthException
    case 190:  // token expired, revoked or invalid
      return disposition::needs_reauth;
    case 1:       // unknown, possibly a server error
    case 2:       // service temporarily unavailable
    case 4:       // app-level rate limit
    case 17:      // user request limit
    case 341:     // application limit
    case 80007:   // WABA rate limit
    case 130429:  // throughput reached
    case 131000:  // something went wrong
    case 131016:  // service unavailable
    case 131056:  // pair rate limit (retry that recipient later)
    case 131057:  // maintenance mode
    case 133004:  // server temporarily unavailable
      return disposition::retryable;
    default:
      return e.is_transient ? disposition::retryable : disposition::permanent;
  }
}

std::string_view to_string(disposition d) noexcept {
  switch (d) {
    case disposition::retryable:
      return "retryable";
    case disposition::permanent:
      return "permanent";
    case disposition::needs_reauth:
      return "needs_reauth";
  }
  return "permanent";
}

bool valid_version(std::string_view v) noexcept {
  if (v.size() < 4 || v.size() > 10 || v[0] != 'v') return false;
  const auto dot = v.find('.');
  if (dot == std::string_view::npos || dot < 2 || dot + 1 == v.size()) return false;
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(v.substr(1, dot - 1)) && digits(v.substr(dot + 1));
}

request get_phone_number(std::string_view version, std::string_view phone_number_id) {
  request r;
  r.target = "/" + std::string(version) + "/" + enc(phone_number_id) +
             "?fields=id,display_phone_number,verified_name,quality_rating,throughput,"
             "whatsapp_business_manager_messaging_limit";
  return r;
}

request list_waba_phone_numbers(std::string_view version, std::string_view waba_id, std::string_view after) {
  request r;
  r.target = "/" + std::string(version) + "/" + enc(waba_id) + "/phone_numbers?limit=100";
  if (!after.empty()) r.target += "&after=" + enc(after);
  return r;
}

boost::system::result<phone_number_info, parse_failure> parse_phone_number(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v) return parse_failure::not_json;
  if (!v->is_object()) return parse_failure::wrong_shape;
  auto info = number_from(v->as_object());
  if (info.id.empty() || info.display_phone_number.empty()) return parse_failure::wrong_shape;
  return info;
}

boost::system::result<phone_number_page, parse_failure> parse_phone_number_page(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v) return parse_failure::not_json;
  if (!v->is_object()) return parse_failure::wrong_shape;
  const auto& o = v->as_object();
  const auto* data = o.if_contains("data");
  if (!data || !data->is_array()) return parse_failure::wrong_shape;
  phone_number_page page;
  for (const auto& item : data->as_array())
    if (item.is_object()) page.numbers.push_back(number_from(item.as_object()));
  if (const auto* paging = o.if_contains("paging"); paging && paging->is_object()) {
    // Graph gives `next` only when another page exists; the cursor alone is not enough.
    const auto& p = paging->as_object();
    if (p.if_contains("next"))
      if (const auto* c = p.if_contains("cursors"); c && c->is_object()) page.after = str_or(c->as_object(), "after");
  }
  return page;
}

request send_message(std::string_view version, std::string_view phone_number_id, std::string body) {
  request r;
  r.method = "POST";
  r.target = "/" + std::string(version) + "/" + enc(phone_number_id) + "/messages";
  r.body = std::move(body);
  r.content_type = "application/json";
  return r;
}

bool sets_callback_data(std::string_view body) {
  // check_message's JSON has every key quoted and unescaped; inside a string value the same
  // word would read \"biz_opaque_callback_data\" and not match. A false match only costs the
  // message its tag (its statuses are then found by wamid), never a wrong routing.
  return body.find("\"biz_opaque_callback_data\"") != std::string_view::npos;
}

std::string with_callback_tag(std::string body, std::string_view message_id) {
  if (body.empty() || body.front() != '{') return body;
  std::string out;
  out.reserve(body.size() + callback_tag_prefix.size() + message_id.size() + 32);
  out += "{\"biz_opaque_callback_data\":";
  // Our ids are letters, digits, _ and -: nothing to escape. Anything else goes through the
  // JSON serialiser.
  const bool plain = core::url_safe_chars(message_id);
  if (plain) {
    out.append("\"").append(callback_tag_prefix).append(message_id).append("\"");
  } else {
    const std::string value = std::string(callback_tag_prefix) + std::string(message_id);
    out += boost::json::serialize(boost::json::string_view(value));
  }
  const auto first = body.find_first_not_of(" \t\r\n", 1);
  if (first != std::string::npos && body[first] != '}') out += ',';
  out.append(body, 1);
  return out;
}

std::string_view tagged_message_id(std::string_view callback_data) {
  if (!callback_data.starts_with(callback_tag_prefix)) return {};
  return callback_data.substr(callback_tag_prefix.size());
}

boost::system::result<send_result, parse_failure> parse_send_response(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v) return parse_failure::not_json;
  if (!v->is_object()) return parse_failure::wrong_shape;
  const auto& o = v->as_object();
  send_result out;
  const auto* msgs = o.if_contains("messages");
  if (!msgs || !msgs->is_array() || msgs->as_array().empty() || !msgs->as_array()[0].is_object())
    return parse_failure::wrong_shape;
  const auto& first = msgs->as_array()[0].as_object();
  out.wamid = str_or(first, "id");
  out.message_status = str_or(first, "message_status");
  if (out.wamid.empty()) return parse_failure::wrong_shape;
  if (const auto* contacts = o.if_contains("contacts");
      contacts && contacts->is_array() && !contacts->as_array().empty() && contacts->as_array()[0].is_object()) {
    out.wa_id = str_or(contacts->as_array()[0].as_object(), "wa_id");
    out.input = str_or(contacts->as_array()[0].as_object(), "input");
  }
  return out;
}

std::string_view error_title(std::int64_t code) noexcept {
  // One table serves the message log's titles and GET /v1/meta/errors (meta/errors.hpp).
  const auto* e = find_error(code);
  return e ? e->title : std::string_view("Graph API error");
}

// ---- media, templates, business profile, mark as read -------------------------------------

namespace {

constexpr std::size_t kib = 1024;
constexpr std::size_t mib = 1024 * kib;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `type/subtype` without parameters, trimmed, lowercase.
std::string mime_essence(std::string_view mime) {
  mime = mime.substr(0, mime.find(';'));
  while (!mime.empty() && (mime.front() == ' ' || mime.front() == '\t')) mime.remove_prefix(1);
  while (!mime.empty() && (mime.back() == ' ' || mime.back() == '\t')) mime.remove_suffix(1);
  return lower(mime);
}

// An animated WebP has a VP8X chunk whose flags byte has the animation bit (0x02).
bool animated_webp(std::string_view head) {
  return head.size() >= 21 && head.substr(0, 4) == "RIFF" && head.substr(8, 4) == "WEBP" &&
         head.substr(12, 4) == "VP8X" && (static_cast<unsigned char>(head[20]) & 0x02) != 0;
}

// A filename safe inside a quoted multipart header: no quotes, controls or path separators.
std::string header_safe_filename(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 200)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ' ' ||
                    c == '(' || c == ')' || c == '+' || c == ',';
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? "file" : out;
}

request json_post(std::string target, std::string body) {
  request r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  r.content_type = "application/json";
  return r;
}

std::string root(std::string_view version, std::string_view id) { return "/" + std::string(version) + "/" + enc(id); }

// scheme and lowercase host[:port] of an absolute URL; empty on anything odd (userinfo too).
std::pair<std::string, std::string> origin_of(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  const std::string scheme = lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return {};
  if (std::any_of(authority.begin(), authority.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; }))
    return {};
  return {scheme, lower(authority)};
}

}  // namespace

std::string_view to_string(media_kind k) noexcept {
  switch (k) {
    case media_kind::image:
      return "image";
    case media_kind::video:
      return "video";
    case media_kind::audio:
      return "audio";
    case media_kind::document:
      return "document";
    case media_kind::sticker:
      return "sticker";
  }
  return "document";
}

std::optional<media_limit> media_limit_for(std::string_view mime, std::string_view head) {
  const std::string m = mime_essence(mime);
  // REFERENCE.md §4: the MIME types Meta lists per kind, with their limits.
  if (m == "image/jpeg" || m == "image/png") return media_limit{media_kind::image, 5 * mib};
  if (m == "video/mp4" || m == "video/3gpp") return media_limit{media_kind::video, 16 * mib};
  if (m == "audio/aac" || m == "audio/amr" || m == "audio/mpeg" || m == "audio/mp4" || m == "audio/ogg")
    return media_limit{media_kind::audio, 16 * mib};
  if (m == "image/webp") return media_limit{media_kind::sticker, animated_webp(head) ? 500 * kib : 100 * kib};
  static constexpr std::string_view documents[] = {
      "text/plain",
      "application/pdf",
      "application/vnd.ms-excel",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-powerpoint",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  };
  if (std::find(std::begin(documents), std::end(documents), m) != std::end(documents))
    return media_limit{media_kind::document, 100 * mib};
  return std::nullopt;
}

request mark_read(std::string_view version, std::string_view phone_number_id, std::string_view message_id,
                  bool typing_indicator) {
  json::object body{{"messaging_product", "whatsapp"}, {"status", "read"}, {"message_id", message_id}};
  if (typing_indicator) body["typing_indicator"] = json::object{{"type", "text"}};
  return json_post(root(version, phone_number_id) + "/messages", json::serialize(body));
}

request upload_media(std::string_view version, std::string_view phone_number_id, std::string_view mime,
                     std::string_view filename, std::string_view bytes, std::string_view boundary) {
  const std::string type = mime_essence(mime);
  const std::string b(boundary);
  request r;
  r.method = "POST";
  r.target = root(version, phone_number_id) + "/media";
  r.content_type = "multipart/form-data; boundary=" + b;
  auto field = [&](std::string_view name, std::string_view value) {
    r.body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n";
    r.body += value;
    r.body += "\r\n";
  };
  field("messaging_product", "whatsapp");
  field("type", type);
  r.body += "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
            header_safe_filename(filename) + "\"\r\nContent-Type: " + type + "\r\n\r\n";
  // The file is not copied: it goes out as its own buffer between the framing.
  r.borrowed = bytes;
  r.tail = "\r\n--" + b + "--\r\n";
  return r;
}

request get_media(std::string_view version, std::string_view media_id, std::string_view phone_number_id) {
  request r;
  r.target = root(version, media_id) + "?phone_number_id=" + enc(phone_number_id);
  return r;
}

request delete_media(std::string_view version, std::string_view media_id, std::string_view phone_number_id) {
  request r = get_media(version, media_id, phone_number_id);
  r.method = "DELETE";
  return r;
}

request list_templates(std::string_view version, std::string_view waba_id, const template_query& q) {
  request r;
  r.target = root(version, waba_id) + "/message_templates?limit=" + std::to_string(q.limit);
  auto add = [&](std::string_view key, const std::string& v) {
    if (!v.empty()) r.target += "&" + std::string(key) + "=" + enc(v);
  };
  add("after", q.after);
  add("before", q.before);
  add("name", q.name);
  add("status", q.status);
  add("language", q.language);
  return r;
}

request create_template(std::string_view version, std::string_view waba_id, std::string body_json) {
  return json_post(root(version, waba_id) + "/message_templates", std::move(body_json));
}

request edit_template(std::string_view version, std::string_view template_id, std::string body_json) {
  return json_post(root(version, template_id), std::move(body_json));
}

request delete_template(std::string_view version, std::string_view waba_id, std::string_view name,
                        std::string_view template_id) {
  request r;
  r.method = "DELETE";
  r.target = root(version, waba_id) + "/message_templates?name=" + enc(name);
  if (!template_id.empty()) r.target += "&hsm_id=" + enc(template_id);
  return r;
}

request get_phone_number(std::string_view version, std::string_view phone_number_id, std::string_view fields) {
  request r;
  r.target = root(version, phone_number_id);
  if (!fields.empty()) r.target += "?fields=" + enc(fields);
  return r;
}

request list_phone_numbers(std::string_view version, std::string_view waba_id, std::string_view query) {
  request r;
  r.target = root(version, waba_id) + "/phone_numbers";
  if (!query.empty()) r.target += "?" + std::string(query);
  return r;
}

request get_business_profile(std::string_view version, std::string_view phone_number_id, std::string_view fields) {
  request r;
  r.target = root(version, phone_number_id) + "/whatsapp_business_profile?fields=";
  r.target += fields.empty() ? "about,address,description,email,profile_picture_url,websites,vertical" : enc(fields);
  return r;
}

request update_business_profile(std::string_view version, std::string_view phone_number_id, json::object fields) {
  fields["messaging_product"] = "whatsapp";
  return json_post(root(version, phone_number_id) + "/whatsapp_business_profile", json::serialize(fields));
}

boost::system::result<media_info, parse_failure> parse_media_info(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v) return parse_failure::not_json;
  if (!v->is_object()) return parse_failure::wrong_shape;
  const auto& o = v->as_object();
  media_info m{str_or(o, "id"), str_or(o, "url"), str_or(o, "mime_type"), str_or(o, "sha256"), 0};
  const auto size = int_or(o, "file_size");
  m.file_size = size > 0 ? static_cast<std::uint64_t>(size) : 0;
  if (m.url.empty() || m.mime_type.empty()) return parse_failure::wrong_shape;
  return m;
}

boost::system::result<std::string, parse_failure> parse_id(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v) return parse_failure::not_json;
  if (!v->is_object()) return parse_failure::wrong_shape;
  auto id = str_or(v->as_object(), "id");
  if (id.empty()) return parse_failure::wrong_shape;
  return id;
}

bool parse_success(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v || !v->is_object()) return false;
  const auto* s = v->as_object().if_contains("success");
  return s && s->is_bool() && s->get_bool();
}

boost::system::result<template_page, parse_failure> parse_template_page(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v) return parse_failure::not_json;
  if (!v->is_object()) return parse_failure::wrong_shape;
  auto& o = v->as_object();
  auto* data = o.if_contains("data");
  if (!data || !data->is_array()) return parse_failure::wrong_shape;
  template_page page;
  page.data = std::move(data->as_array());
  if (const auto* paging = o.if_contains("paging"); paging && paging->is_object()) {
    // Graph gives `next` / `previous` only when that page exists.
    const auto& p = paging->as_object();
    if (const auto* c = p.if_contains("cursors"); c && c->is_object()) {
      if (p.if_contains("next")) page.after = str_or(c->as_object(), "after");
      if (p.if_contains("previous")) page.before = str_or(c->as_object(), "before");
    }
  }
  return page;
}

boost::system::result<json::object, parse_failure> parse_business_profile(std::string_view body) {
  auto v = parse_quietly(body);
  if (!v) return parse_failure::not_json;
  if (!v->is_object()) return parse_failure::wrong_shape;
  const auto* data = v->as_object().if_contains("data");
  if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_object())
    return parse_failure::wrong_shape;
  json::object profile = data->as_array()[0].as_object();
  profile.erase("messaging_product");
  return profile;
}

bool media_url_allowed(std::string_view url, std::string_view base_url) {
  const auto [scheme, host] = origin_of(url);
  if (scheme.empty() || host.empty()) return false;
  const auto [base_scheme, base_host] = origin_of(base_url);
  if (scheme == base_scheme && host == base_host) return true;
  if (scheme != "https") return false;
  // Meta's hosts, by registrable domain (a port is not expected on them).
  static constexpr std::string_view meta_domains[] = {"fbsbx.com", "facebook.com", "whatsapp.net", "fbcdn.net"};
  return std::any_of(std::begin(meta_domains), std::end(meta_domains), [&](std::string_view d) {
    return host == d || (host.size() > d.size() && host.ends_with(d) && host[host.size() - d.size() - 1] == '.');
  });
}

}  // namespace enfinito::meta
