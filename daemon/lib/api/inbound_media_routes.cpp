// api: GET /v1/instances/{id}/inbound-media/{media_id}, a kept inbound media file streamed from
// disk (inbound/media_fetcher.hpp keeps them), and the kept-media part of GET /v1/me/export.
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/inbound_media_routes.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/inbound/media_fetcher.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/media.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <string>

namespace enfinito::api {
namespace {

namespace sm = store::media;
namespace fs = std::filesystem;
using http::response;
using http::status;

constexpr std::size_t piece = 64 * 1024;  // bytes per read from disk, per transfer

bool header_safe(std::string_view v) {
  return !v.empty() && v.size() <= 200 && std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

struct file_stream {
  services* s = nullptr;
  int fd = -1;
  file_stream() = default;
  file_stream(const file_stream&) = delete;
  file_stream& operator=(const file_stream&) = delete;
  ~file_stream() {
    if (fd >= 0) ::close(fd);
  }
};

net::awaitable<boost::system::result<bool>> next_file_piece(std::shared_ptr<file_stream> st, std::string& chunk) {
  chunk.resize(piece);
  char* p = chunk.data();
  const int fd = st->fd;
  auto read_fn = [&p, &fd] {
    ssize_t n;
    do n = ::read(fd, p, piece);
    while (n < 0 && errno == EINTR);
    return n;
  };
  const ssize_t n = co_await auth::run_blocking(st->s->blocking, read_fn);
  if (n < 0) {
    chunk.clear();
    boost::system::result<bool> broke(boost::system::in_place_error, std::make_error_code(std::errc::io_error));
    co_return broke;
  }
  chunk.resize(static_cast<std::size_t>(n));
  co_return n > 0;
}

response not_stored(std::string_view code, std::string_view title, std::string_view detail) {
  return http::problem(status::not_found, code, title, detail);
}

net::awaitable<response> inbound_media_content(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  const std::string id(req.param("id"));
  if (id.size() > 64 || !p.may_use_instance(id))
    co_return http::problem(status::not_found, "instance_not_found", "No such instance");
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  sm::media_file f;
  const std::string uid = p.user_id;
  auto get_fn = [&uid, &id, &media_id, &f](store::connection& c) { return sm::get(c, uid, id, media_id, f); };
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
  auto st = std::make_shared<file_stream>();
  st->s = &s;
  const fs::path path = inbound::inbound_media_dir(s.cfg) / f.instance_id / f.id;
  const fs::path* pathp = &path;
  auto open_fn = [pathp] { return ::open(pathp->c_str(), O_RDONLY | O_CLOEXEC); };
  if (inbound::media_path_safe(f.id) && inbound::media_path_safe(f.instance_id))
    st->fd = co_await auth::run_blocking(s.blocking, open_fn);
  if (st->fd < 0) {
    core::log::error("media_file_missing", {{"instance", f.instance_id}, {"file", f.id}});
    co_return not_stored("media_not_found", "No kept copy of this media", "the file is missing on the server");
  }
  response res{status::ok, 11};
  const bool typed = header_safe(f.mime_type) && f.mime_type.find('/') != std::string::npos;
  res.set(http::bhttp::field::content_type, typed ? f.mime_type : "application/octet-stream");
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"" + media_id + "\"");
  res.set(http::bhttp::field::cache_control, "private, no-store");
  if (header_safe(f.sha256)) res.set("X-Media-SHA256", f.sha256);
  if (f.size) res.set("X-Media-Size", std::to_string(*f.size));
  req.stream_body = [st](std::string& chunk) { return next_file_piece(st, chunk); };
  co_return res;
}

// The kept media part of GET /v1/me/export (P8): what is kept and where to download it (the
// files themselves are not inlined: each is up to 100 MB).
core::error_code export_inbound_media_page(store::connection& c, const std::string& user_id, std::string& cursor,
                                           std::size_t limit, json::array& page) {
  std::vector<sm::media_file> rows;
  if (auto ec = sm::list_for_user(c, user_id, cursor, limit, rows)) return ec;
  for (const auto& f : rows) {
    json::object o{{"instance_id", f.instance_id}, {"media_id", f.media_id}, {"message_id", f.message_id},
                   {"mime_type", f.mime_type},     {"sha256", f.sha256},     {"state", f.state},
                   {"created_at", f.created_at}};
    o["size"] = f.size ? json::value(*f.size) : json::value(nullptr);
    if (f.state == "stored") o["download"] = "/v1/instances/" + f.instance_id + "/inbound-media/" + f.media_id;
    page.push_back(std::move(o));
  }
  cursor = rows.size() < limit ? std::string() : rows.back().id;
  return {};
}

}  // namespace

void register_inbound_media_routes(http::router& r, services& s) {
  // The export registry is process-wide (tests start many apps in one process): once.
  static std::once_flag exported;
  std::call_once(exported, [] { add_export_stream("inbound_media", export_inbound_media_page); });
  http::route_options download_options;
  download_options.write_timeout = s.cfg.media.timeout;  // each piece, to a slow client
  r.add(
      http::verb::get, "/v1/instances/{id}/inbound-media/{media_id}", "media.inbound_content",
      [&s](http::request& q) { return inbound_media_content(s, q); }, download_options);
}

}  // namespace enfinito::api
