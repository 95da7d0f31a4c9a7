#pragma once
/**
 * @file The Meta passthrough routes: calls to Meta's Graph API on behalf of one of the
 * caller's instances (daemon/lib/api/meta_routes.cpp).
 *
 * - `POST /v1/instances/{id}/messages/{wamid}/read`: mark as read (+ typing indicator)
 * - `POST /v1/instances/{id}/conversations/{peer}/read`: the local read mark of a conversation,
 *   then mark as read at Meta for its newest inbound message (api/conversations_routes.hpp)
 * - `GET /v1/meta/errors`: Meta's error codes explained (meta/errors.hpp; no Graph call, no auth)
 * - `POST /v1/instances/{id}/media`: upload (multipart/form-data or a raw body)
 * - `GET|DELETE /v1/instances/{id}/media/{media_id}`, `GET …/{media_id}/content` (download proxy)
 * - `GET|POST /v1/instances/{id}/templates`: list (Meta's cursors) and create
 * - `GET|PATCH /v1/instances/{id}/business-profile`
 *
 * Every call: authenticate, load the caller's instance (404 when not theirs or outside the
 * API key's scope; 409 when `needs_reauth` or `disabled`), open its credentials, check the
 * input (meta/relay_input.hpp), call Meta through one flow (instances/meta_relay.hpp,
 * instances/media_transfer.hpp), shape the outcome.
 * Meta's answers map to ours: a Graph error is a 502 `meta_error` with `meta_code` (never
 * Meta's text), 190 is a 409 `instance_needs_reauth` and marks the instance (instances/status.hpp,
 * with its `instance.status` event), a transport
 * failure a 502/504 `upstream_unavailable`. A media id that is not the instance's, however
 * Meta says so (unknown object, or a permission refusal on another business's media), is a
 * 404 `media_not_found`, never a 502.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>
#include <enfinito/meta/graph.hpp>

namespace enfinito::api {

void register_meta_routes(http::router& r, services& s);

/**
 * The options of both upload routes (ours and the Graph-compatible one): body limit
 * `media.upload_body_bytes`, the body spooled (unnamed files: nothing stays behind) to
 * `media.spool_dir` or spool/ next to the database, at most `media.max_concurrent` spooling at
 * once across both. Creates the directory (0700) if missing; throws std::runtime_error when it
 * cannot (startup).
 */
http::route_options upload_route_options(const config::settings& cfg);

}  // namespace enfinito::api
