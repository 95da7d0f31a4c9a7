// web::static_files: lookup in the embedded table and the answers for the page and assets.
#include <enfinito/web/static_files.hpp>
#include <enfinito/core/text.hpp>

#include "web/embedded.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace enfinito::web {
namespace {

using http::response;
using http::status;
namespace bhttp = http::bhttp;

constexpr std::string_view asset_prefix = "/assets/";

std::string_view view(const unsigned char* p, std::size_t n) {
  return n ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view{};
}

file to_file(const detail::embedded_file& e) {
  return {e.path, e.content_type, view(e.bytes, e.size), view(e.gzip, e.gzip_size), e.etag, e.etag_gzip};
}

constexpr auto trim = core::trim_ows;
constexpr auto iequals = core::iequals_ascii;

// Calls fn(element) for each comma-separated element of a header value.
template <class Fn>
void each_element(std::string_view v, Fn fn) {
  while (!v.empty()) {
    auto comma = v.find(',');
    fn(trim(v.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

// The q of "gzip;q=0.5" (1 when absent, 0 when unreadable: a client that garbles it gets identity).
double quality(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = trim(params.substr(0, semi));
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      auto v = p.substr(2);
      double out = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
      return ec == std::errc() && end == v.data() + v.size() ? out : 0.0;
    }
    if (semi == std::string_view::npos) break;
    params.remove_prefix(semi + 1);
  }
  return 1.0;
}

// RFC 9110 §12.5.3: gzip when listed with q > 0, or when only "*" is (with q > 0).
bool accepts_gzip(const http::request& req) {
  auto h = req.header("Accept-Encoding");
  if (!h) return false;
  std::optional<double> gzip, star;
  each_element(*h, [&](std::string_view el) {
    auto semi = el.find(';');
    auto name = trim(el.substr(0, semi));
    auto params = semi == std::string_view::npos ? std::string_view{} : el.substr(semi + 1);
    if (iequals(name, "gzip") || iequals(name, "x-gzip"))
      gzip = quality(params);
    else if (name == "*")
      star = quality(params);
  });
  if (gzip) return *gzip > 0;
  return star && *star > 0;
}

// If-None-Match with the weak comparison RFC 9110 §13.1.2 asks for: either representation's
// tag (or "*") means the client's copy is current.
bool not_modified(const http::request& req, const file& f) {
  auto h = req.header("If-None-Match");
  if (!h) return false;
  bool hit = false;
  each_element(*h, [&](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == f.etag || (!f.etag_gzip.empty() && tag == f.etag_gzip)) hit = true;
  });
  return hit;
}

// The page is revalidated on each load; an asset's URL names its bundle, so it never changes.
std::string_view cache_control_for(std::string_view path) {
  return path == "index.html" ? "no-cache" : "public, max-age=31536000, immutable";
}

// The app's own fields of a 200 or 304 for `f` (the server adds those every answer has:
// X-Content-Type-Options, Referrer-Policy, …, http/server.cpp `decorate`).
response head_for(const file& f, bool gz, status st) {
  response res{st, 11};
  res.set(bhttp::field::etag, gz ? f.etag_gzip : f.etag);
  res.set(bhttp::field::cache_control, cache_control_for(f.path));
  res.set(bhttp::field::vary, "Accept-Encoding");
  res.set("Content-Security-Policy", content_security_policy);
  if (st == status::not_modified) return res;
  res.set(bhttp::field::content_type, f.content_type);
  if (gz) res.set(bhttp::field::content_encoding, "gzip");
  return res;
}

// Each file's 200 answers, plain and gzip, prepared once (the first request builds the table;
// it never changes): serving one then builds no field, and the body is sent from the binary's
// read-only data.
struct prepared_file {
  http::prepared_answer plain, gzip;
};

const std::vector<prepared_file>& prepared_files() {
  static const std::vector<prepared_file> table = [] {
    std::vector<prepared_file> t;
    for (const auto& f : files()) {
      t.push_back(
          {http::prepare_answer(head_for(f, false, status::ok), f.bytes),
           f.gzip.empty() ? http::prepared_answer{} : http::prepare_answer(head_for(f, true, status::ok), f.gzip)});
    }
    return t;
  }();
  return table;
}

// The embedded file at `path`: its index in the table, sorted by path (the generator sorts it).
std::optional<std::size_t> find_index(std::string_view path) {
  const auto* begin = detail::embedded_files;
  const auto* end = begin + detail::embedded_file_count;
  auto it = std::lower_bound(begin, end, path, [](const detail::embedded_file& e, std::string_view p) {
    return std::string_view(e.path) < p;
  });
  if (it == end || std::string_view(it->path) != path) return std::nullopt;
  return static_cast<std::size_t>(it - begin);
}

// The answer for the file at `index`: a prepared 200, or a 304 built here (a revalidation).
response answer(http::request& req, std::size_t index) {
  const file f = to_file(detail::embedded_files[index]);
  const bool gz = !f.gzip.empty() && accepts_gzip(req);
  if (not_modified(req, f)) return head_for(f, gz, status::not_modified);
  const auto& p = prepared_files()[index];
  req.prepared = gz ? &p.gzip : &p.plain;
  return response{status::ok, 11};  // not sent: the server sends req.prepared
}

response not_found() { return http::problem(status::not_found, "not_found", "No such resource"); }

}  // namespace

std::string_view bundle_hash() { return detail::embedded_bundle; }

std::optional<file> find(std::string_view path) {
  auto i = find_index(path);
  if (!i) return std::nullopt;
  return to_file(detail::embedded_files[*i]);
}

std::vector<file> files() {
  std::vector<file> out;
  for (std::size_t i = 0; i < detail::embedded_file_count; ++i) out.push_back(to_file(detail::embedded_files[i]));
  return out;
}

bool wants_html(const http::request& req) {
  auto h = req.header("Accept");
  if (!h) return false;
  bool yes = false;
  each_element(*h, [&](std::string_view el) {
    auto semi = el.find(';');
    if (iequals(trim(el.substr(0, semi)), "text/html"))
      yes = quality(semi == std::string_view::npos ? std::string_view{} : el.substr(semi + 1)) > 0;
  });
  return yes;
}

response serve_asset(http::request& req) {
  std::string_view rest = req.path;
  if (!rest.starts_with(asset_prefix)) return not_found();
  rest.remove_prefix(asset_prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(0, slash) != bundle_hash()) return not_found();
  rest.remove_prefix(slash + 1);
  // The page is served at the app's URLs only (with no-cache), never as an immutable asset.
  if (rest == "index.html") return not_found();
  auto i = find_index(rest);
  if (!i) return not_found();
  return answer(req, *i);
}

response serve_page(http::request& req) {
  auto i = find_index("index.html");
  if (!i) return not_found();
  return answer(req, *i);
}

}  // namespace enfinito::web
