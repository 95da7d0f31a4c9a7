#pragma once
/**
 * @file api::register_optout_routes: an instance's opt-out list and its settings.
 *
 *   GET    /v1/instances/{id}/optouts            the list, by wa_id ascending (`after`, `limit`)
 *   POST   /v1/instances/{id}/optouts            add {"wa_id"}: 201 new, 200 already listed
 *   GET    /v1/instances/{id}/optouts/{wa_id}    one entry, or 404
 *   DELETE /v1/instances/{id}/optouts/{wa_id}    remove: 204, or 404 when not listed
 *   GET    /v1/instances/{id}/optout-settings    keywords in force, enabled, enforce_on_single_sends
 *   PUT    /v1/instances/{id}/optout-settings    change any of them (omitted fields are kept)
 *
 * Parse, authenticate, find the caller's instance (someone else's is a 404), call
 * optouts/list.hpp, shape the answer. Writes need a write-capable credential.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_optout_routes(http::router& r, services& s);

/** The REST send route's answer to outbound::accept_result::kind::opted_out: 409 naming `to`. */
http::response recipient_opted_out();

}  // namespace enfinito::api
