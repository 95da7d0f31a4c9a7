#pragma once
/**
 * @file api::media_inbound: inbound media kept by Enfinito, for instances with `media_fetch`
 * on (issue 5; off by default, set with PATCH /v1/instances/{id}).
 *
 * Flow: an inbound media message commits with a pending `media_files` row (store/media.hpp),
 * so a crash loses no fetch. The fetcher, a coroutine on reactor 0, looks every
 * `media.fetch_poll_ms` (at once again after a full batch) for due rows and, one at a time,
 * asks Meta for the media's
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
 * Download: `GET /v1/instances/{id}/inbound-media/{media_id}` (Meta's media id, as in the
 * webhook), tenant-scoped, streamed from disk in 64 KiB pieces.
 *
 * *Thread safety:* the fetcher runs on the executor it is started on; `services` must outlive it.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

#include <filesystem>

namespace enfinito::api {

/** Where inbound media files live: media.inbound_dir, or "media" beside the database. */
std::filesystem::path inbound_media_dir(const config::settings& cfg);

/** Starts the fetcher loop on `ex` (app start-up, once). */
void start_media_fetcher(services& s, executor ex);

/** GET /v1/instances/{id}/inbound-media/{media_id}. */
void register_inbound_media_routes(http::router& r, services& s);

}  // namespace enfinito::api
