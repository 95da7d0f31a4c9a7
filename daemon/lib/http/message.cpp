// http::request accessors and the JSON / problem+json response builders.
#include <enfinito/http/message.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/json_arena.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/http/router.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>

namespace enfinito::http {

std::string_view request::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

std::string_view request::body() const {
  if (matched && !matched->options.spool_dir.empty()) return spooled_body;
  return msg.body();
}

std::optional<std::string_view> request::header(std::string_view name) const {
  auto it = msg.find(name);
  if (it == msg.end()) return std::nullopt;
  return it->value();
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

namespace {
// Calls fn(key, value, has_value, raw_pair) for each `&`-separated pair until fn returns false.
template <class Fn>
void for_each_query_pair(std::string_view q, Fn fn) {
  while (!q.empty()) {
    auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    auto eq = pair.find('=');
    bool has_value = eq != std::string_view::npos;
    if (!fn(pair.substr(0, eq), has_value ? pair.substr(eq + 1) : std::string_view{}, has_value, pair)) return;
  }
}
}  // namespace

std::optional<std::string> request::query_param(std::string_view name) const {
  std::optional<std::string> out;
  for_each_query_pair(query, [&](std::string_view key, std::string_view value, bool has_value, std::string_view) {
    if (key != name) return true;
    out = has_value ? percent_decode(value, true) : std::optional<std::string>(std::string());
    return false;
  });
  return out;
}

std::string loggable_headers(const beast_request& msg) {
  static constexpr std::array<std::string_view, 5> secret = {"authorization", "cookie", "set-cookie",
                                                             "proxy-authorization", "x-api-key"};
  static constexpr std::array<std::string_view, 10> shown = {
      "host",   "user-agent",     "content-type",    "content-length",    "accept",
      "origin", "sec-fetch-site", "idempotency-key", "transfer-encoding", "connection"};
  auto is = [](auto& list, std::string_view name) {
    for (auto k : list)
      if (boost::beast::iequals(k, name)) return true;
    return false;
  };
  std::string out;
  for (const auto& f : msg) {
    auto name = f.name_string();
    if (!out.empty()) out += "; ";
    out += name;
    if (is(secret, name))
      out += ": [redacted]";
    else if (is(shown, name)) {
      out += ": ";
      out += f.value();
    }
  }
  return out;
}

// Query parameters whose values are logged: the API's paging, filters and Meta's handshake
// mode. Everything else (a key or token put in the query by mistake, `access_token`, `code`,
// `state`, names nobody foresaw) is logged as `[redacted]`. Personal data (`peer`, a phone
// number) and credentials (`phone_number_id`) are not on the list either.
constexpr std::string_view loggable_query_keys[] = {
    "cursor", "limit",    "after",     "before", "direction", "status", "since",    "until",        "type",
    "types",  "instance", "instances", "fields", "language",  "name",   "hub.mode", "hub.challenge"};

bool loggable_key_name(std::string_view key) {
  return !key.empty() && key.size() <= 32 &&
         std::all_of(key.begin(), key.end(), [](char c) { return core::url_safe_char(c) || c == '.'; });
}

std::string redact_query(std::string_view query) {
  std::string out;
  for_each_query_pair(query, [&](std::string_view key, std::string_view, bool has_value, std::string_view pair) {
    if (!out.empty()) out += '&';
    if (std::find(std::begin(loggable_query_keys), std::end(loggable_query_keys), key) !=
        std::end(loggable_query_keys)) {
      out += pair;
      return true;
    }
    // A name we do not know may itself be the secret (`?enf_live_…`): kept only if it looks
    // like a parameter name, and then only the name.
    out += loggable_key_name(key) ? key : std::string_view("[redacted]");
    if (has_value) out += "=[redacted]";
    return true;
  });
  return out;
}

response json_response(status s, std::string serialized) {
  response res{s, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(serialized);
  res.prepare_payload();
  return res;
}

response json_response(status s, const boost::json::value& body) {
  return json_response(s, boost::json::serialize(body));
}

response problem(status s, std::string_view code, std::string_view title, std::string_view detail) {
  boost::json::object o;
  o["type"] = "urn:enfinito:problem:" + std::string(code);
  o["title"] = title;
  o["status"] = static_cast<int>(s);
  o["code"] = code;
  if (!detail.empty()) o["detail"] = detail;
  response res = json_response(s, boost::json::serialize(o));
  res.set(bhttp::field::content_type, "application/problem+json");
  return res;
}

response field_problem(std::string_view field, std::string_view detail, std::string_view code) {
  boost::json::object o;
  o["type"] = "urn:enfinito:problem:" + std::string(code);
  o["title"] = "A field of the request is invalid";
  o["status"] = 400;
  o["code"] = code;
  o["field"] = field;
  o["detail"] = detail;
  response res = json_response(status::bad_request, boost::json::serialize(o));
  res.set(bhttp::field::content_type, "application/problem+json");
  return res;
}

response no_content() {
  response res{status::no_content, 11};
  return res;
}

namespace {
// The problem for a body the strict parser refused: the code says which rule, `field` (dotted,
// as validation errors name fields) and `pointer` (RFC 6901, unambiguous) say where.
response json_problem(const core::json_strict_error& e) {
  using core::json_strict_errc;
  switch (e.code) {
    case json_strict_errc::syntax:
      return problem(status::bad_request, "invalid_json", "Malformed JSON",
                     "The body is not valid JSON (or not valid UTF-8)");
    case json_strict_errc::too_deep:
      return problem(status::bad_request, "json_too_deep", "Malformed JSON", "The JSON body is nested too deeply");
    case json_strict_errc::too_many:
      return problem(status::bad_request, "json_too_large", "Malformed JSON", "The JSON body has too many elements");
    case json_strict_errc::duplicate_key:
    case json_strict_errc::bad_number:
      break;
  }
  const bool dup = e.code == json_strict_errc::duplicate_key;
  boost::json::object o;
  const std::string_view code = dup ? "json_duplicate_member" : "json_number_out_of_range";
  o["type"] = "urn:enfinito:problem:" + std::string(code);
  o["title"] = "The body is not I-JSON (RFC 7493)";
  o["status"] = 400;
  o["code"] = code;
  o["field"] = e.field;
  o["pointer"] = e.pointer;
  o["detail"] = e.detail;
  response res = json_response(status::bad_request, boost::json::serialize(o));
  res.set(bhttp::field::content_type, "application/problem+json");
  return res;
}
}  // namespace

json_body parse_json(const request& req, const json_limits& limits) {
  json_body out;
  auto ct = req.header("Content-Type").value_or("");
  auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media != "application/json" && !(media.starts_with("application/") && media.ends_with("+json"))) {
    out.error = problem(status::unsupported_media_type, "unsupported_media_type", "The body must be JSON",
                        "Send Content-Type: application/json");
    return out;
  }
  // I-JSON only (core/json_strict.hpp): no duplicate member, no number that would change.
  // One arena per body, released with the value (core/json_arena.hpp says why).
  const std::string_view text = req.msg.body();
  auto parsed = core::parse_json_strict(text, core::json_arena_for(text.size()),
                                        {.max_depth = limits.max_depth, .max_elements = limits.max_elements});
  if (parsed.error) {
    out.error = json_problem(*parsed.error);
    out.refusal = std::move(parsed.error);
    return out;
  }
  out.value = std::move(parsed.value);
  return out;
}

}  // namespace enfinito::http
