// inbound::kept_file, headers_for and export_kept_media_page: kept inbound media read back by
// its owner (inbound/kept_media.hpp).
#include <enfinito/inbound/kept_media.hpp>

#include <enfinito/auth/password.hpp>  // run_blocking
#include <enfinito/core/text.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/inbound/media_fetcher.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace enfinito::inbound {

namespace json = boost::json;

kept_headers headers_for(const store::media::media_file& f) {
  const bool typed = core::header_value_safe(f.mime_type) && f.mime_type.find('/') != std::string::npos;
  return {typed ? f.mime_type : "application/octet-stream",
          core::header_value_safe(f.sha256) ? f.sha256 : std::string()};
}

net::awaitable<std::shared_ptr<kept_file>> kept_file::open(const config::settings& cfg, net::thread_pool& blocking,
                                                           const store::media::media_file& f) {
  int fd = -1;
  const std::filesystem::path path = inbound_media_dir(cfg) / f.instance_id / f.id;
  const std::filesystem::path* pathp = &path;
  auto open_fn = [pathp] { return ::open(pathp->c_str(), O_RDONLY | O_CLOEXEC); };
  if (media_path_safe(f.id) && media_path_safe(f.instance_id)) fd = co_await auth::run_blocking(blocking, open_fn);
  if (fd < 0) {
    core::log::error("api.media_file_missing", {{"instance", f.instance_id}, {"file", f.id}});
    co_return nullptr;
  }
  co_return std::make_shared<kept_file>(blocking, fd);
}

kept_file::~kept_file() {
  if (fd_ >= 0) ::close(fd_);
}

net::awaitable<boost::system::result<bool>> kept_file::next(std::shared_ptr<kept_file> self, std::string& chunk) {
  chunk.resize(kept_piece_bytes);
  char* p = chunk.data();
  const int fd = self->fd_;
  auto read_fn = [&p, &fd] {
    ssize_t n;
    do n = ::read(fd, p, kept_piece_bytes);
    while (n < 0 && errno == EINTR);
    return n;
  };
  const ssize_t n = co_await auth::run_blocking(self->blocking_, read_fn);
  if (n < 0) {
    chunk.clear();
    boost::system::result<bool> broke(boost::system::in_place_error, std::make_error_code(std::errc::io_error));
    co_return broke;
  }
  chunk.resize(static_cast<std::size_t>(n));
  co_return n > 0;
}

core::error_code export_kept_media_page(store::connection& c, const std::string& user_id, std::string& cursor,
                                        std::size_t limit, json::array& page) {
  std::vector<store::media::media_file> rows;
  if (auto ec = store::media::list_for_user(c, user_id, cursor, limit, rows)) return ec;
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

}  // namespace enfinito::inbound
