#pragma once
/**
 * @file instances::media_transfer: an instance's media moving to or from Meta, for
 * api/meta_routes.cpp (and the upload counts the Graph-compatible upload shares).
 *
 *   media_slot      one of the process's `media.max_concurrent` transfers: an upload holds a
 *                   spooled file and a download a connection to Meta, so the others are told
 *                   to come back (503) rather than queued
 *   open_download   media id → its metadata (instances::media_info) → size cap → Meta's own
 *                   host only (the token goes nowhere else) → a slot → Meta's answer opened;
 *                   the body is then read piece by piece (next_piece), one fixed buffer per
 *                   transfer whatever the file's size
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/instances/meta_relay.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/upstream/client.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace enfinito::instances {

/** One transfer slot of the process, held (if one was free under `max`) while it lives. */
class media_slot {
 public:
  explicit media_slot(unsigned max);
  ~media_slot();
  media_slot(const media_slot&) = delete;
  media_slot& operator=(const media_slot&) = delete;
  bool held() const noexcept { return held_; }

 private:
  bool held_;
};

/** The operator's limits on a download: `media.download_max_bytes`, `media.timeout` (the whole
    transfer), `media.max_concurrent`. */
struct download_limits {
  std::size_t max_bytes = 0;
  std::chrono::milliseconds timeout{0};
  unsigned max_concurrent = 0;
};

/** What a streamed download holds until its last piece is sent: Meta's answer being read and
    the transfer's slot. */
struct download {
  explicit download(unsigned max) : slot(max) {}
  media_slot slot;
  std::unique_ptr<upstream::body_reader> reader;
  std::string instance_id;
  meta::media_info info;  // from the lookup: mime_type, sha256 as Meta gave them
};

/** Why a download did not open. */
struct download_refusal {
  enum class kind {
    failed,       // the lookup or the fetch failed: `failure` (its Graph error is a media id's)
    too_large,    // larger than max_bytes (by the lookup's size, or while fetching)
    url_refused,  // Meta's URL is not on Meta's host (logged `media_url_refused`)
    busy,         // no transfer slot free
    gone,         // Meta answered 404 for the file itself
  };
  kind what = kind::failed;
  relay_failure failure;  // failed
};

/** Opens the download of `media_id` for `t`: Meta's 2xx answer ready to read, or why not. */
net::awaitable<std::variant<std::shared_ptr<download>, download_refusal>> open_download(const relay_target& t,
                                                                                        const std::string& media_id,
                                                                                        const download_limits& limits);

/** The next piece (at most 64 KiB) of `d` into `chunk`: whether more follow, or the error
    (logged `media_download_broke`). */
net::awaitable<core::result<bool>> next_piece(std::shared_ptr<download> d, std::string& chunk);

/** What a download's answer repeats of Meta's: the Content-Type (Meta's answer's, else the
    lookup's, else application/octet-stream) and the SHA-256 (empty: not repeated). Only
    visible ASCII, at most 200 bytes, is repeated in a header, and a type needs its `/`. Pure. */
struct download_headers {
  std::string content_type;
  std::string sha256;
};
download_headers headers_for(std::string_view answer_type, const meta::media_info& lookup);

/** The directory uploads are spooled to: `media.spool_dir`, or spool/ next to the database;
    created (0700) if missing. Throws std::runtime_error when it cannot be (startup). */
std::string upload_spool_dir(const config::settings& cfg);

}  // namespace enfinito::instances
