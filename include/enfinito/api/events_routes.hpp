#pragma once
/**
 * @file `GET /v1/events`: the caller's events, paged by id (daemon/lib/api/events_routes.cpp).
 *
 * Ids only grow and are never reused, and an event is visible only once the write that
 * appended it committed (one writer, commits in id order), so paging with `after` = the last
 * id seen never skips or repeats one. Filters: `instance` and `type` (comma-separated); an API
 * key limited to some instances sees only their events.
 */
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

void register_event_routes(http::router& r, services& s);

}  // namespace enfinito::api
