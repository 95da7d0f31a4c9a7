#pragma once
// web sandbox: the dev-only routes that let a newcomer try Enfinito without a Meta account,
// against the fake Graph API that `tools/dev run` starts beside the daemon (dev.sandbox_url).
//
// - POST /v1/dev/sandbox-instance: gives the signed-in user a sandbox instance. The fake gets a
//   number of its own (in the sandbox WABA) and an access token of its own; the instance is then
//   created by the very handler behind POST /v1/instances (same checks, same verification
//   with the "Graph API", same sealing); last, the fake learns the instance's callback URL,
//   app secret and verify token, so its signed status and inbound webhooks reach the real
//   route /webhooks/meta/{id}.
// - POST /v1/dev/instances/{id}/inbound: the fake's /_admin/inbound for that instance's number
//   (a customer writing in).
// Both answer 404 `sandbox_off` unless the daemon runs with --dev and dev.sandbox_url. Calls
// to the fake go through upstream::client, to a loopback address only (config checks it).
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::web {

void register_sandbox_routes(http::router& r, api::services& s);

}  // namespace enfinito::web
