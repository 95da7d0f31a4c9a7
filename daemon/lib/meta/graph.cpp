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

}  // namespace enfinito::meta
