#pragma once
/**
 * @file http::router: method + path pattern → handler, with 404/405 answered by the server.
 *
 * Patterns are literal segments and `{name}` parameters (`/v1/instances/{id}/messages`), the
 * same syntax as OpenAPI paths, so the route table can be checked against the OpenAPI
 * document. Literal segments win over parameters. The table is built at startup and then only
 * read (by every reactor, without locks). A request is scored only against the patterns with
 * as many segments as its path; a mounted prefix (the web app's assets) is one test before that.
 */
#include <enfinito/http/message.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::http {

using handler = std::function<net::awaitable<response>(request&)>;

struct route_options {
  std::size_t body_limit = 0;  // 0: the server's default (limits.body_bytes)
  bool public_doc = true;      // listed in the OpenAPI document
  // Deadline for writing the whole response (for a streamed one: each part); 0: the server's
  // (limits.write_timeout). Routes that answer with large bodies (media downloads) need longer.
  std::chrono::milliseconds write_timeout{0};
  // Non-empty: the request body is written to an unnamed file in this directory as it arrives
  // and the handler reads it through request::body() (a read-only mapping), so a large upload
  // never sits in memory. Empty: the body is read into the request.
  std::string spool_dir;
  // At most `spool_max` bodies spooled at once across the routes sharing `spooling` (0: no
  // cap): the next gets 503 `media_busy` before a byte of its body is read, so the spool
  // holds at most spool_max × body_limit, whoever sends.
  std::size_t spool_max = 0;
  std::shared_ptr<std::atomic<std::size_t>> spooling;
};

struct route {
  verb method;
  std::string pattern;
  std::string name;  // stable metric label, e.g. "instances.get"
  handler fn;
  route_options options;
  std::size_t index = 0;  // position in the table (metrics)
  // The pattern split at '/' (views into `pattern`; a route never moves: routes are held by
  // unique_ptr), once at add(): match() runs per request over every route.
  std::vector<std::string_view> segments;
};

struct match_result {
  const route* found = nullptr;
  std::vector<std::pair<std::string_view, std::string>> params;
  bool path_known = false;    // some route has this path (→ 405 when !found)
  std::string allow;          // the Allow header for a 405
  bool bad_encoding = false;  // a parameter had a malformed %-escape (→ 400)
};

class router {
 public:
  /** Adds a route. Throws std::invalid_argument on a duplicate or malformed pattern (startup). */
  const route& add(verb method, std::string pattern, std::string name, handler fn, route_options options = {});
  /**
   * The route for requests no pattern matches (not even with another method) and for which
   * `applies(method, path)` holds: the web app's static files and its page (web/routes.hpp).
   * It joins the table (metrics, name) but never matches a pattern. One per router; startup.
   */
  const route& set_fallback(std::string name, std::function<bool(verb, std::string_view)> applies, handler fn,
                            route_options options = {});
  /**
   * Every GET and HEAD whose path starts with `prefix` (which ends in '/') goes to `fn`, before
   * any pattern is tried: for a subtree whose paths are data, not routes (the web app's
   * `/assets/<bundle>/…`). No pattern may lie under a mount, nor a mount over a pattern
   * (std::invalid_argument at startup). Other methods there find no route (404).
   */
  const route& mount(std::string prefix, std::string name, handler fn, route_options options = {});
  match_result match(verb method, std::string_view path) const;
  const std::vector<std::unique_ptr<route>>& routes() const noexcept { return routes_; }

 private:
  bool under_mount(std::string_view pattern) const;

  std::vector<std::unique_ptr<route>> routes_;
  std::vector<std::vector<const route*>> by_length_;  // [segment count]: the patterns, in table order
  std::vector<const route*> mounts_;                  // pattern = the prefix
  const route* fallback_ = nullptr;
  std::function<bool(verb, std::string_view)> fallback_applies_;
};

}  // namespace enfinito::http
