#pragma once
/**
 * @file inbound::kept_media: the inbound media files Enfinito keeps (inbound/media_fetcher.hpp
 * fetches them) as their owner reads them back: a kept file opened and streamed from disk in
 * 64 KiB pieces on the blocking pool (GET /v1/instances/{id}/inbound-media/{media_id},
 * api/inbound_media_routes.cpp), and the kept-media part of the personal-data export (P8):
 * what is kept and where to download it (the files themselves are not inlined: each is up to
 * 100 MB).
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/media.hpp>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace enfinito::inbound {

/** Bytes per read from disk (and per transfer to the client). */
inline constexpr std::size_t kept_piece_bytes = 64 * 1024;

/** What a kept file is served with: values stored from Meta's webhook, so each is checked. */
struct kept_headers {
  std::string content_type;  // the stored type, or application/octet-stream when it is not one
  std::string sha256;        // empty: not a safe header value, left out
};

/** The headers of `f`: printable ASCII, 1 to 200 characters, and a type with a '/'. Pure. */
kept_headers headers_for(const store::media::media_file& f);

/**
 * One kept file, open for reading. Lifetime: the blocking pool outlives it; one read at a
 * time (the response writer asks for the next piece after the last one was sent).
 */
class kept_file {
 public:
  /** Opens the stored file of `f` (state stored) on the blocking pool; null when it is missing. */
  static net::awaitable<std::shared_ptr<kept_file>> open(const config::settings& cfg, net::thread_pool& blocking,
                                                         const store::media::media_file& f);
  kept_file(net::thread_pool& blocking, int fd) : blocking_(blocking), fd_(fd) {}
  kept_file(const kept_file&) = delete;
  kept_file& operator=(const kept_file&) = delete;
  ~kept_file();

  /**
   * Replaces `chunk` with `self`'s next piece; false at the end of the file. Errors: io_error.
   * `self` is held by the coroutine while it runs.
   */
  static net::awaitable<boost::system::result<bool>> next(std::shared_ptr<kept_file> self, std::string& chunk);

 private:
  net::thread_pool& blocking_;
  int fd_ = -1;
};

/**
 * One page of the export's `inbound_media` member: each kept file's ids, type, hash, size and
 * state, and `download` (the API path) once stored. Fits accounts::export_pager.
 */
core::error_code export_kept_media_page(store::connection& c, const std::string& user_id, std::string& cursor,
                                        std::size_t limit, boost::json::array& page);

}  // namespace enfinito::inbound
