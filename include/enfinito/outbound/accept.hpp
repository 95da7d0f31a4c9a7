#pragma once
/**
 * @file outbound::accept: what happens when a program sends a message, for the REST route
 * (`POST /v1/instances/{id}/messages`) and the Graph-compatible one
 * (`POST {graph.prefix}/{version}/{phone-number-id}/messages`) alike.
 *
 *   route: authenticate, find the caller's instance, read Idempotency-Key
 *     → accept():  the same key seen before? its first answer again (or "key reused")
 *                  → the body check (the route's own, so its refusals keep the route's shape)
 *                  → the pre-send checks (templates/send_checks.hpp: the template against the
 *                    local copy, the 24-hour window; cached, no store read on a hit)
 *                  → the instance may send (not needs_reauth, not disabled)
 *                  → ONE store write: the opt-out rule (optouts::check_single_send),
 *                    message + job + message.accepted event
 *                    [+ the first answer under the key]; COMMIT
 *                  → queue.notify(instance, seq, peer)
 *   route: answer (REST 202 + Location; Graph: Meta's shape, after waiting briefly for Meta)
 *     → outbound/queue (instance's reactor: rate, per-recipient order, lease) → Meta
 *     → store (sent/failed) → Meta's status webhooks → feed and customer webhooks
 *
 * Nothing is answered "accepted" before the commit: after a crash every accepted message is
 * in the database. Idempotency keys are scoped to the API key (or, for a signed-in session,
 * to the user) and compare the request by its method, path and raw body bytes, so the same
 * key on the REST and the Graph route is two different requests.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/templates/checks.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store {
class store;
}
namespace enfinito::templates {
class send_checks;
}

namespace enfinito::outbound {

class queue;

/** A scheduled send (issue 21): first due time (0: now) and when to give up (none: never). */
struct schedule {
  std::int64_t send_at = 0;
  std::optional<std::int64_t> expires_at;
};

/** A send as the route read it: who, to which of their instances, and how to check the body. */
struct send_request {
  const store::instances::instance& instance;  // the caller's, already checked against their scope
  std::string user_id;
  std::optional<std::string> api_key_id;  // set when the caller used an API key
  std::string idempotency_key;            // empty: none (the route checked its syntax)
  // The request as sent, which "the same request" means for an idempotency key.
  std::string_view method, path, body;
  // The route's body check; nothing when it refused (the route keeps its own answer).
  std::function<std::optional<meta::checked_message>()> check;
  std::size_t reactor = 0;  // the caller's reactor (the pre-send checks' cache shard)
  // Read after `check` ran (the route's check fills it from the body); null: send now.
  const schedule* when = nullptr;
};

struct accept_result {
  enum class kind {
    accepted,       // committed and handed to the queue: `message`, `answer`
    replayed,       // the key's first answer: `status`, `answer`, `message_id`
    key_reused,     // the key was used with a different request
    body_refused,   // the route's check refused the body
    check_refused,  // a pre-send check refused it (`refusal`: Meta's code, field): nothing queued
    needs_reauth,   // the instance waits for a new access token: nothing queued
    disabled,       // the instance is disabled: nothing queued
    opted_out,      // the recipient is on the instance's opt-out list and its settings refuse
                    // this send (optouts/list.hpp): nothing stored or queued
    store_failed,   // nothing stored (`ec`: the disk is full, I/O)
  };
  kind what = kind::store_failed;
  store::messages::message message;          // accepted
  int status = 0;                            // accepted (202) or the replayed answer's
  std::string answer;                        // the accept record (REST's 202 body) or the replayed one
  std::string message_id;                    // accepted and replayed
  core::error_code ec;                       // store_failed
  templates::problem refusal;                // check_refused
  std::vector<templates::problem> warnings;  // accepted: e.g. a closed window under policy warn
};

/** What accept() needs of the daemon. */
struct accept_context {
  store::store& db;
  queue* q = nullptr;  // null in tests without a queue: nothing is notified
  const config::queue_settings& settings;
  templates::send_checks* checks = nullptr;  // null: no pre-send checks (tests, benchmarks' baseline)
};

/** Runs the accept sequence above. Completes on the caller's executor. */
net::awaitable<accept_result> accept(accept_context ctx, send_request rq);

/**
 * A new outbound message of `instance_id` from a checked body (meta::check_message): its id,
 * peer (recipient key), type, body and sender. accept() uses it; tests and benchmarks too.
 */
store::messages::message new_outbound(std::string_view instance_id, const std::optional<std::string>& api_key_id,
                                      meta::checked_message checked);

}  // namespace enfinito::outbound
