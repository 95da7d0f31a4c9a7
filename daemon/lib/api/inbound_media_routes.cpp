// api: GET /v1/instances/{id}/inbound-media/{media_id}, a kept inbound media file streamed from
// disk (inbound/kept_media.hpp reads it; inbound/media_fetcher.hpp keeps them), and the
// kept-media part of GET /v1/me/export (inbound::export_kept_media_page).
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/inbound_media_routes.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/inbound/kept_media.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/media.hpp>
#include <enfinito/store/store.hpp>

#include "api/owned.hpp"

#include <boost/json.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

response not_stored(std::string_view code, std::string_view title, std::string_view detail) {
  return http::problem(status::not_found, code, title, detail);
}

net::awaitable<response> inbound_media_content(services& s, http::request& req, principal& p) {
  const std::string id(req.param("id"));
  if (id.size() > detail::max_path_id || !p.may_use_instance(id)) co_return detail::instance_not_found();
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  store::media::media_file f;
  const std::string uid = p.user_id;
  auto get_fn = [&uid, &id, &media_id, &f](store::connection& c) { return store::media::get(c, uid, id, media_id, f); };
  auto ec = co_await s.db.read(get_fn);
  if (ec == store::error::not_found)
    co_return not_stored("media_not_found", "No kept copy of this media",
                         "Enfinito keeps inbound media only for instances with media_fetch on, for "
                         "retention.inbound_media_days");
  if (ec) co_return http::problem(status::internal_server_error, "store_error", "The database failed");
  if (f.state == "pending") {
    auto r = not_stored("media_pending", "The media is still being fetched from Meta", "retry in a few seconds");
    r.set(http::bhttp::field::retry_after, "5");
    co_return r;
  }
  if (f.state != "stored")
    co_return not_stored(
        "media_fetch_failed", "Enfinito could not fetch this media from Meta",
        "download it from Meta with GET /v1/instances/{id}/media/{media_id}/content while Meta keeps it");
  auto file = co_await inbound::kept_file::open(s.cfg, s.blocking, f);
  if (!file) co_return not_stored("media_not_found", "No kept copy of this media", "the file is missing on the server");
  response res{status::ok, 11};
  const auto headers = inbound::headers_for(f);
  res.set(http::bhttp::field::content_type, headers.content_type);
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"" + media_id + "\"");
  res.set(http::bhttp::field::cache_control, "private, no-store");
  if (!headers.sha256.empty()) res.set("X-Media-SHA256", headers.sha256);
  if (f.size) res.set("X-Media-Size", std::to_string(*f.size));
  req.stream_body = [file](std::string& chunk) { return inbound::kept_file::next(file, chunk); };
  co_return res;
}

}  // namespace

void register_inbound_media_routes(http::router& r, services& s) {
  // The export registry is process-wide (tests start many apps in one process): once.
  static std::once_flag exported;
  std::call_once(exported, [] { add_export_stream("inbound_media", inbound::export_kept_media_page); });
  http::route_options download_options;
  download_options.write_timeout = s.cfg.media.timeout;  // each piece, to a slow client
  r.add(http::verb::get, "/v1/instances/{id}/inbound-media/{media_id}", "media.inbound_content",
        detail::as_caller(s, access::read, inbound_media_content), download_options);
}

}  // namespace enfinito::api
