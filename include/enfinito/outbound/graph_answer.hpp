#pragma once
/**
 * @file The body of the Graph-compatible send's answer (api/graph_routes.cpp), Meta's shape
 * `{messaging_product, contacts[{input, wa_id}], messages[{id}]}`: the wamid once Meta
 * answered within `graph.sync_wait_ms` (`out`, sent), else Enfinito's message id with
 * `message_status: "accepted"` (the message is durable and queued; GET /v1/messages/{id}
 * shows the wamid later). `wa_id` is Meta's when it gave one, else the recipient's key. Pure.
 */
#include <enfinito/outbound/queue.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace enfinito::outbound {

/** The answer body for `message_id` sent to `to`; `out` null: Meta has not answered yet. */
boost::json::object graph_send_body(const std::string& message_id, const std::string& to, const send_outcome* out);

}  // namespace enfinito::outbound
