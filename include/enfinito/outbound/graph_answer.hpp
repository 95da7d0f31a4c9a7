#pragma once
/**
 * @file The Graph-compatible send's answers (api/graph_routes.cpp). Pure.
 *
 * The body, Meta's shape
 * `{messaging_product, contacts[{input, wa_id}], messages[{id}]}`: the wamid once Meta
 * answered within `graph.sync_wait_ms` (`out`, sent), else Enfinito's message id with
 * `message_status: "accepted"` (the message is durable and queued; GET /v1/messages/{id}
 * shows the wamid later). `wa_id` is Meta's when it gave one, else the recipient's key.
 *
 * A refusal of the accept, in Meta's words (graph_refusal_of): all OAuthException, each with
 * Meta's code, so an SDK's error handling works unchanged.
 */
#include <enfinito/outbound/accept.hpp>
#include <enfinito/outbound/queue.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace enfinito::outbound {

/** The answer body for `message_id` sent to `to`; `out` null: Meta has not answered yet. */
boost::json::object graph_send_body(const std::string& message_id, const std::string& to, const send_outcome* out);

/** A send refused in Meta's error envelope: the HTTP status, Meta's code and title, our details. */
struct graph_refusal {
  int http_status = 400;
  std::int64_t code = 0;
  std::string title;
  std::string details;
};

/**
 * Meta's words for an accept that refused the send (key_reused, check_refused with `check`
 * the pre-send check's problem, needs_reauth, disabled, opted_out). Nothing for accepted and
 * replayed, nor for body_refused and store_failed (the route answers those as unavailable).
 */
std::optional<graph_refusal> graph_refusal_of(accept_result::kind what, const templates::problem& check = {});

/** Meta's refusal of message `message_id` once queued (`out` failed or dead): Meta's code
    (131000 when it gave none) and HTTP status (400 when unknown), our short title, never
    Meta's text. */
graph_refusal graph_failure_of(const send_outcome& out, const std::string& message_id);

}  // namespace enfinito::outbound
