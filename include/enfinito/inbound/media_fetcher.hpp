#pragma once
/**
 * @file inbound::media_fetcher: inbound media kept by Enfinito, for instances with `media_fetch`
 * on (issue 5; off by default, set with PATCH /v1/instances/{id}).
 *
 * Flow: an inbound media message commits with a pending `media_files` row (store/media.hpp),
 * so a crash loses no fetch. The fetcher, a coroutine on reactor 0, is woken by the store's
 * change stream when a commit queued a fetch or left a file in the trash (store/changes.hpp,
 * `media_jobs`), and otherwise sleeps until the next retry is due (store::media::next_due); no
 * polling. It takes due rows (at once again after a full batch) and, for each, asks Meta for the
 * media's
 * short-lived URL (valid 5 minutes), downloads it in 64 KiB pieces (upstream::body_reader)
 * into `<media.inbound_dir>/<instance>/<file>.part` on the blocking pool, fsyncs, renames it
 * to its final name and marks the row stored. A failed attempt is retried with backoff (10 s
 * to 1 h, 6 attempts in all), then the row is marked failed. Memory per fetch: one piece.
 *
 * Deletion: a deleted row (instance or account deleted, by cascade; retention after
 * `retention.inbound_media_days`) leaves its id in `media_trash` (a trigger); the fetcher
 * removes the file, then the entry. At start it also removes files and `.part` leftovers that
 * no row names (a crash between the rename and the commit, or a deletion during a fetch).
 *
 * Download: `GET /v1/instances/{id}/inbound-media/{media_id}` (api/inbound_media_routes.hpp).
 *
 * *Thread safety:* the fetcher runs on the executor it is started on; `cfg` and `db` must
 * outlive it.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <memory>
#include <string_view>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}
namespace enfinito::meta {
class client;
}

namespace enfinito::inbound {

/** What the fetcher works with. */
struct fetcher_context {
  const config::settings& cfg;
  store::store& db;
  net::thread_pool& blocking;  // file I/O
  std::shared_ptr<crypto::vault_source> vault;
  std::shared_ptr<const meta::client> meta;
};

/** Where inbound media files live: media.inbound_dir, or "media" beside the database. */
std::filesystem::path inbound_media_dir(const config::settings& cfg);

/** Ids become path components: only [A-Za-z0-9_-], bounded (ours, but a path is no place to trust that). */
bool media_path_safe(std::string_view id);

/** Subscribes to the store's change stream and starts the fetcher loop on `ex` (app start-up, once). */
void start_media_fetcher(fetcher_context c, executor ex);

}  // namespace enfinito::inbound
