#pragma once
/**
 * @file The REST send API and message log (daemon/lib/api/messages_routes.cpp):
 * `POST /v1/instances/{id}/messages` (202 after the commit, Idempotency-Key),
 * `GET /v1/messages/{id}`, `GET /v1/instances/{id}/messages` (the log, cursor pagination,
 * filters), `POST /v1/messages/{id}/retry` (requeue a dead message) and
 * `GET /v1/messages/{id}/timeline` (everything stored about one message, oldest first).
 */
#include <enfinito/api/services.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/http/router.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/outbound/accept.hpp>
#include <enfinito/store/messages.hpp>

#include <optional>
#include <string>
#include <variant>

namespace enfinito::api {

void register_messages_routes(http::router& r, services& s);

/**
 * The pure part of a REST send, without sockets or the store (the fuzz harness calls it):
 * parses the body with `limits`, fills Meta's envelope defaults and runs meta::check_message.
 * With `when`, the body may also carry Enfinito's `send_at` and `expires_at` (unix ms), which
 * are checked, removed before Meta's check (Meta never sees them) and returned there.
 * The checked message, or the problem+json to answer (415 for a non-JSON type, else 400).
 */
std::variant<meta::checked_message, http::response> check_send_body(const http::request& req,
                                                                    const http::json_limits& limits,
                                                                    outbound::schedule* when = nullptr);

/**
 * The request's `Idempotency-Key` (outbound/accept.hpp): empty when there is none, nothing
 * when it is not 1 to 255 visible ASCII characters. Both send routes read it here.
 */
std::optional<std::string> idempotency_key(const http::request& req);

}  // namespace enfinito::api
