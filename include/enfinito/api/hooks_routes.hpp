#pragma once
/**
 * @file Customer webhook endpoints of an instance (daemon/lib/api/hooks_routes.cpp):
 * `/v1/instances/{id}/webhooks[/{webhook_id}[/rotate-secret|/deliveries[/{delivery_id}/redeliver]]]`.
 *
 * The signing secret is shown once, in the answer to create and to rotate-secret, and never
 * again (nor logged). URLs are checked against the SSRF policy at registration (literal
 * addresses and every address the host name resolves to) and again at every connect by the
 * delivery engine (hooks/engine.hpp). Someone else's instance or endpoint is a 404; an API key
 * limited to some instances reaches only theirs.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_hook_routes(http::router& r, services& s);

}  // namespace enfinito::api
