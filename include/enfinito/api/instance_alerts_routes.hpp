#pragma once
/**
 * @file api::register_instance_alert_routes: `GET|PATCH /v1/instances/{id}/alerts`, which owner
 * mails an instance sends (instances/owner_alerts.hpp): `{"needs_reauth": true,
 * "token_expiring": true, "webhooks_silent": true, "endpoint_paused": true}`; a PATCH changes the
 * causes it names and answers the whole set.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_instance_alert_routes(http::router& r, services& s);

}  // namespace enfinito::api
