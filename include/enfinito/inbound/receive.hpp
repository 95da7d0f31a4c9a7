#pragma once
/**
 * @file inbound::receive: where an inbound message goes. Meta's webhooks in, from the raw
 * bytes to the committed rows; the HTTP routes (api/meta_webhook_routes.cpp) only parse the
 * request, call one of the two functions below and shape the answer.
 *
 * ```
 * Meta POST /webhooks/meta/{instance}
 *   → credentials   per-reactor cache, else store + vault        (inbound/credentials.hpp)
 *   → verify        X-Hub-Signature-256 over the exact bytes      (inbound/verification.hpp)
 *   → parse         meta::parse_notification                      (meta/webhook.hpp)
 *   → map           updates → message, status and event rows      (inbound/mapping.hpp)
 *   → commit        one store write (store/inbound.hpp)           (here: `receive`)
 *   → 200 to Meta   only after COMMIT; a failed commit is a 5xx and Meta retries (for days)
 *   → events        the store publishes them after COMMIT: live feed, customer webhooks;
 *                   inbound media is fetched by inbound/media_fetcher
 * ```
 *
 * Cross-tenant routing. A payload signed with this instance's App Secret may carry updates of
 * another phone number (one Meta app serves every number of the WABAs subscribed to it, and an
 * app-level callback URL points at one instance). Such updates are never stored under this
 * instance: they are dropped with a warning log and a `webhook.misrouted` event, and Meta gets
 * its 200 rather than a 4xx. Meta retries a non-2xx for up to 7 days and holds back the whole
 * batch, this instance's own updates included, and a retry cannot succeed until someone
 * changes the configuration anyway.
 *
 * `raw` bytes are also kept (store::hooks) for customer webhooks of format `meta`, when the
 * instance has one and the POST produced events; the hooks engine takes Enfinito's status tags
 * out when it sends them (not here: the commit runs on the store writer, which every write
 * waits for).
 *
 * *Thread safety:* a receiver is shared by every reactor; each call runs on the calling
 * reactor's executor and touches only that reactor's cache shard.
 */
#include <enfinito/inbound/credentials.hpp>
#include <enfinito/inbound/verification.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::instances {
class webhook_activity;
}

namespace enfinito::inbound {

struct receiver_options {
  std::size_t reactors = 1;
  std::chrono::milliseconds credential_ttl{0};   // 0: no cache (inbound.credential_cache_ttl_ms)
  std::size_t max_body_bytes = 3 * 1024 * 1024;  // largest notification parsed (inbound.max_body_bytes)
  // Told of each stored POST (instances/webhook_health.hpp: last_webhook_at, webhooks_silent).
  // Null: nobody listens. Must outlive the receiver.
  instances::webhook_activity* activity = nullptr;
};

/** What the flow needs, built once (the routes hold it). */
class receiver {
 public:
  receiver(credential_source src, const receiver_options& opts);

  const credential_source& source() const noexcept { return src_; }
  credential_cache& cache() noexcept { return cache_; }
  std::size_t max_body_bytes() const noexcept { return max_body_bytes_; }
  instances::webhook_activity* activity() const noexcept { return activity_; }

 private:
  credential_source src_;
  credential_cache cache_;
  std::size_t max_body_bytes_;
  instances::webhook_activity* activity_ = nullptr;
};

/** Where a call comes from: for the cache shard and the log lines. */
struct origin {
  std::string_view instance_id;  // the {instance} path parameter (bounded by the caller)
  std::string_view request_id;
  std::size_t reactor = 0;
};

struct handshake_answer {
  handshake_verdict verdict = handshake_verdict::malformed;  // never look_up
  std::string_view challenge;                                // accepted: echo it (text/plain)
};

/** The GET handshake: decide, look the instance up if worth it, decide again. */
net::awaitable<handshake_answer> verify_subscription(receiver& rx, const origin& from, const handshake_query& q);

enum class receipt {
  accepted,      // committed (or not Meta's WABA object: nothing to store); answer 200
  refused,       // no, malformed or wrong signature, or unknown instance: 401, nothing stored
  unparsable,    // signed but not Meta's format: 400, so Meta keeps it for us while we look
  unavailable,   // credentials unreadable now, or the store is full: 503, Meta retries
  store_failed,  // the commit failed: 500, nothing stored, Meta retries
};

/** A signed notification: verify, parse, map, commit. `body`: Meta's exact bytes. */
net::awaitable<receipt> receive(receiver& rx, const origin& from, std::optional<std::string_view> signature,
                                std::string_view body);

}  // namespace enfinito::inbound
