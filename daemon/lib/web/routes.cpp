// web::register_routes: the app's assets (a mounted prefix), its page (the fallback), sign-in
// providers, sandbox.
#include <enfinito/web/routes.hpp>
#include <enfinito/web/static_files.hpp>

#include "web/sandbox.hpp"

#include <boost/json.hpp>

namespace enfinito::web {
namespace {

using http::response;

// `path` is `root` or below it.
bool under(std::string_view path, std::string_view root) {
  return !root.empty() && path.starts_with(root) && (path.size() == root.size() || path[root.size()] == '/');
}

net::awaitable<response> page_or_not_found(http::request& req) {
  if (wants_html(req)) co_return serve_page(req);
  co_return http::problem(http::status::not_found, "not_found", "No such resource");
}

// Public: the sign-in page asks before it draws its buttons. Nothing here is a secret.
net::awaitable<response> providers(const config::settings& cfg) {
  co_return http::json_response(http::status::ok,
                                boost::json::object{{"password", true},
                                                    {"google", cfg.google.enabled},
                                                    {"dev", cfg.dev},
                                                    {"sandbox", cfg.dev && !cfg.sandbox_url.empty()}});
}

}  // namespace

void register_routes(http::router& r, api::services& s) {
  r.add(http::verb::get, "/v1/auth/providers", "auth.providers",
        [&cfg = s.cfg](http::request&) { return providers(cfg); });
  register_sandbox_routes(r, s);
  // Asset paths are data (bundle hash, file path), not routes: one prefix test, no table scan.
  r.mount("/assets/", "web.assets", [](http::request& req) -> net::awaitable<response> { co_return serve_asset(req); });
  // The API's own roots never answer with the page: a client of the API gets its JSON 404.
  r.set_fallback(
      "web.app",
      [&cfg = s.cfg](http::verb m, std::string_view path) {
        return (m == http::verb::get || m == http::verb::head) && path.starts_with('/') && !under(path, "/v1") &&
               !under(path, "/webhooks") && !under(path, cfg.graph.prefix);
      },
      [](http::request& req) { return page_or_not_found(req); });
}

}  // namespace enfinito::web
