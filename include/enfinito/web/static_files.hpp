#pragma once
/**
 * @file web::static_files: the web app (daemon/web/), embedded at build time by
 * tools/embed_web.cmake, and the HTTP answers that serve it.
 *
 * URLs: the page (index.html) answers `/` and every app URL (`/instances/…`, `/signin`, …:
 * the app routes in the browser); every other file is at `/assets/<bundle>/<path>`, where
 * `<bundle>` is a hash of all files together, so an asset URL never changes meaning and is
 * cached for a year (`immutable`), while the page is revalidated on each load (`no-cache`,
 * strong ETag → 304) and so always names the current bundle.
 *
 * Every answer carries the app's Content-Security-Policy (same-origin scripts, styles, images,
 * connections; no inline script or style), strong ETags per representation, `Vary:
 * Accept-Encoding`, and gzip when the client accepts it. No cookie is ever set here.
 */
#include <enfinito/http/message.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace enfinito::web {

/** One embedded file. The views point into the binary's read-only data. */
struct file {
  std::string_view path;  // relative to daemon/web/: "index.html", "lib/api.js", …
  std::string_view content_type;
  std::string_view bytes;
  std::string_view gzip;  // empty: served uncompressed only
  std::string_view etag;  // strong, quoted
  std::string_view etag_gzip;
};

/** The app's CSP (docs/web.md explains each directive). */
inline constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** The 12 hex digits in every asset URL. */
std::string_view bundle_hash();
/** The embedded file at `path` (relative to daemon/web/), if any. */
std::optional<file> find(std::string_view path);
/** Every embedded file, sorted by path. */
std::vector<file> files();

/** Does the request's Accept header name text/html (a browser navigating)? */
bool wants_html(const http::request& req);
/**
 * GET/HEAD /assets/<bundle>/<path>: the file, 304, or the JSON 404 (wrong bundle or path).
 * A 200 is one of the answers prepared at the first request (`req.prepared`: the head
 * serialised once, the body sent from the binary's data); a 304 is built per request.
 */
http::response serve_asset(http::request& req);
/** The page (200 or 304); the JSON 404 when the app was built without one. */
http::response serve_page(http::request& req);

}  // namespace enfinito::web
