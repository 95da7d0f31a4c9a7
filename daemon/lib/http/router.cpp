// http::router: pattern parsing and matching (literal segments beat parameters).
#include <enfinito/http/router.hpp>

#include <stdexcept>

namespace enfinito::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  std::size_t i = 1;
  while (i <= path.size()) {
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// Does `route_segs` match `path_segs`? Returns a specificity score (higher = more literal,
// earlier), or -1.
long score(const std::vector<std::string_view>& route_segs, const std::vector<std::string_view>& path_segs) {
  if (route_segs.size() != path_segs.size()) return -1;
  long s = 0;
  for (std::size_t i = 0; i < route_segs.size(); ++i) {
    s <<= 1;
    if (is_param(route_segs[i])) {
      if (path_segs[i].empty()) return -1;
    } else if (route_segs[i] != path_segs[i]) {
      return -1;
    } else {
      s |= 1;
    }
  }
  return s;
}

}  // namespace

const route& router::add(verb method, std::string pattern, std::string name, handler fn, route_options options) {
  auto segs = split(pattern);
  if (segs.empty()) throw std::invalid_argument("route pattern must start with '/': " + pattern);
  for (auto s : segs)
    if (s.find_first_of("{}") != std::string_view::npos && !is_param(s))
      throw std::invalid_argument("malformed route segment in " + pattern);
  for (const auto& r : routes_)
    if (r->method == method && r->pattern == pattern) throw std::invalid_argument("duplicate route " + pattern);
  if (under_mount(pattern)) throw std::invalid_argument("route under a mounted prefix: " + pattern);
  auto r = std::make_unique<route>(
      route{method, std::move(pattern), std::move(name), std::move(fn), options, routes_.size(), {}});
  r->segments = split(r->pattern);
  if (by_length_.size() <= r->segments.size()) by_length_.resize(r->segments.size() + 1);
  by_length_[r->segments.size()].push_back(r.get());
  routes_.push_back(std::move(r));
  return *routes_.back();
}

bool router::under_mount(std::string_view pattern) const {
  for (const auto* m : mounts_)
    if (pattern.starts_with(m->pattern)) return true;
  return false;
}

const route& router::mount(std::string prefix, std::string name, handler fn, route_options options) {
  if (prefix.size() < 2 || prefix.front() != '/' || prefix.back() != '/' ||
      prefix.find_first_of("{}") != std::string::npos)
    throw std::invalid_argument("a mount is a literal path ending in '/': " + prefix);
  for (const auto& r : routes_)
    if (r.get() != fallback_ && r->pattern.starts_with(prefix))
      throw std::invalid_argument("mount " + prefix + " over the route " + r->pattern);
  options.public_doc = false;  // a subtree of files, not an API operation
  routes_.push_back(std::make_unique<route>(
      route{verb::get, std::move(prefix), std::move(name), std::move(fn), options, routes_.size(), {}}));
  mounts_.push_back(routes_.back().get());
  return *routes_.back();
}

const route& router::set_fallback(std::string name, std::function<bool(verb, std::string_view)> applies, handler fn,
                                  route_options options) {
  if (fallback_) throw std::invalid_argument("a second fallback route");
  options.public_doc = false;  // not an API operation: never in the OpenAPI document
  routes_.push_back(
      std::make_unique<route>(route{verb::get, "*", std::move(name), std::move(fn), options, routes_.size(), {}}));
  fallback_ = routes_.back().get();
  fallback_applies_ = std::move(applies);
  return *fallback_;
}

match_result router::match(verb method, std::string_view path) const {
  match_result out;
  if (method == verb::get || method == verb::head)
    for (const auto* m : mounts_)
      if (path.starts_with(m->pattern)) {
        out.found = m;
        return out;
      }
  auto path_segs = split(path);
  long best = -1;
  static const std::vector<const route*> none;
  const auto& same_length = path_segs.size() < by_length_.size() ? by_length_[path_segs.size()] : none;
  for (const auto* r : same_length) {
    long s = score(r->segments, path_segs);
    if (s < 0) continue;
    out.path_known = true;
    if (r->method != method) {
      std::string m(bhttp::to_string(r->method));
      if (out.allow.find(m) == std::string::npos) out.allow += (out.allow.empty() ? "" : ", ") + m;
      continue;
    }
    if (s > best) {
      best = s;
      out.found = r;
    }
  }
  if (!out.found) {
    if (fallback_ && !out.path_known && fallback_applies_(method, path)) out.found = fallback_;
    return out;
  }
  const auto& route_segs = out.found->segments;
  for (std::size_t i = 0; i < route_segs.size(); ++i) {
    if (!is_param(route_segs[i])) continue;
    auto decoded = percent_decode(path_segs[i]);
    if (!decoded) {
      out.bad_encoding = true;
      out.found = nullptr;
      return out;
    }
    out.params.emplace_back(route_segs[i].substr(1, route_segs[i].size() - 2), std::move(*decoded));
  }
  return out;
}

}  // namespace enfinito::http
