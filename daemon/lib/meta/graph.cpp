// meta::graph: Graph API request builders, error-envelope parsing and the retry policy.
#include <enfinito/meta/graph.hpp>

#include <enfinito/core/net.hpp>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

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
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return std::nullopt;
  return v;
}

phone_number_info number_from(const json::object& o) {
  return {str_or(o, "id"), str_or(o, "display_phone_number"), str_or(o, "verified_name"),
          str_or(o, "quality_rating")};
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
  if (const auto* d = o.if_contains("error_data"); d && d->is_object())
    e.details = str_or(d->as_object(), "details");
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
    case disposition::retryable: return "retryable";
    case disposition::permanent: return "permanent";
    case disposition::needs_reauth: return "needs_reauth";
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
             "?fields=id,display_phone_number,verified_name,quality_rating";
  return r;
}

request list_waba_phone_numbers(std::string_view version, std::string_view waba_id,
                                std::string_view after) {
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
      if (const auto* c = p.if_contains("cursors"); c && c->is_object())
        page.after = str_or(c->as_object(), "after");
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
  switch (code) {
    case 0: return "Authentication failed";
    case 1: return "Unknown API error";
    case 2: return "Service temporarily unavailable";
    case 3: return "Capability or permission issue";
    case 4: return "Application request limit reached";
    case 10: return "Permission denied";
    case 33: return "Phone number deleted";
    case 100: return "Invalid parameter";
    case 104: return "Access token missing";
    case 190: return "Access token expired or invalid";
    case 200: return "API permission missing";
    case 368: return "Temporarily blocked for policy violations";
    case 80007: return "WhatsApp Business Account rate limit reached";
    case 130403: return "The business has blocked this user";
    case 130429: return "Message throughput reached";
    case 130472: return "Recipient is part of an experiment";
    case 130497: return "Messaging to this country is restricted";
    case 131000: return "Something went wrong";
    case 131005: return "Access denied";
    case 131008: return "Required parameter is missing";
    case 131009: return "Parameter value is not valid";
    case 131016: return "Service unavailable";
    case 131021: return "Recipient cannot be sender";
    case 131026: return "Message undeliverable";
    case 131030: return "Recipient not in allowed list";
    case 131031: return "Business account locked";
    case 131037: return "Display name not approved";
    case 131042: return "Business eligibility (payment) issue";
    case 131045: return "Phone number registration error";
    case 131047: return "Re-engagement message (24 hour window closed)";
    case 131048: return "Spam rate limit hit";
    case 131049: return "Not delivered to maintain ecosystem engagement";
    case 131050: return "User stopped marketing messages";
    case 131051: return "Unsupported message type";
    case 131052: return "Media download error";
    case 131053: return "Media upload error";
    case 131056: return "Pair rate limit hit";
    case 131057: return "Account in maintenance mode";
    case 132000: return "Template parameter count mismatch";
    case 132001: return "Template does not exist";
    case 132005: return "Template text too long";
    case 132007: return "Template format policy violated";
    case 132012: return "Template parameter format mismatch";
    case 132015: return "Template paused";
    case 132016: return "Template disabled";
    case 133000: return "Incomplete deregistration";
    case 133004: return "Server temporarily unavailable";
    case 133010: return "Phone number not registered";
    case 135000: return "Generic user error";
    default: return "Graph API error";
  }
}

}  // namespace enfinito::meta
