#pragma once
/**
 * @file api::register_inbound_media_routes: `GET /v1/instances/{id}/inbound-media/{media_id}`
 * (Meta's media id, as in the webhook), tenant-scoped, streams a kept inbound media file from
 * disk in 64 KiB pieces; and the kept media part of `GET /v1/me/export`. The files are kept by
 * the inbound media fetcher (inbound/media_fetcher.hpp).
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_inbound_media_routes(http::router& r, services& s);

}  // namespace enfinito::api
