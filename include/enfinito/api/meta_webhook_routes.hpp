#pragma once
/**
 * @file Meta's webhooks in, as HTTP: `GET /webhooks/meta/{instance}` (the verification
 * handshake) and `POST /webhooks/meta/{instance}` (signed notifications). The flow itself,
 * from the raw bytes to the committed rows, is inbound::receive (inbound/receive.hpp).
 *
 * Each instance has its own callback URL, verify token and App Secret. A POST is accepted only
 * when `X-Hub-Signature-256` matches the exact body bytes under that instance's App Secret
 * (401 otherwise, nothing stored); its updates are committed in one store write before the
 * 200, so a failed commit (5xx) makes Meta retry. Updates for a phone number or WhatsApp
 * Business Account that is not the instance's are dropped (200, a warning log and a
 * `webhook.misrouted` event): see inbound/receive.hpp for why not a 4xx.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_meta_webhook_routes(http::router& r, services& s);

}  // namespace enfinito::api
