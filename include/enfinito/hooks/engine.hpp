#pragma once
/**
 * @file hooks::engine: delivers customer webhooks (issue 6, "Customer webhooks out").
 *
 * ## The loop (reactor 0, woken by the store's change stream)
 * It runs when a commit tells of new work (store/changes.hpp: new events while an endpoint
 * exists, a delivery made due, an endpoint created, resumed or deleted), when an attempt frees
 * the slot due work waits for, and when its timer ends at the next retry or lease end
 * (store::hooks::next_due). No polling: an idle daemon makes no store round trip here. Under
 * load, news that arrives during a tick is taken up after a pause proportional to the tick's
 * length (at most 50 ms), so the engine's claims never crowd the send path out of the writer.
 * 1. One store write turns new events into deliveries (store::hooks::enqueue_new): the outbox
 *    is durable, so a restart loses nothing and a delivery's id (the `webhook-id`) never changes.
 * 2. One store write claims due deliveries of active endpoints and leases them (their
 *    `next_attempt_at` moves past the attempt's deadline: a crash mid-attempt retries later).
 *    At most `max_in_flight` per endpoint are in flight, counting those already running.
 * 3. Each claimed delivery is an independent coroutine on the reactor that owns its endpoint
 *    (hash of the endpoint id). Nothing waits for an attempt: a slow or dead endpoint holds
 *    its own leases and its own in-flight slots only, never another endpoint's.
 *
 * ## One attempt
 * Load the endpoint and the event (or Meta's stored payload), open the signing secret with the
 * vault, sign, POST through an upstream::client whose address_filter applies the SSRF policy to
 * every resolved address at connect time (no redirects are followed: 3xx is a failure; the
 * response body is read up to a cap and discarded). 2xx: delivered. Anything else: retried
 * with exponential backoff and jitter, or after the endpoint's Retry-After (capped), until
 * `max_attempts`; the endpoint's failure run pauses it (visible reason) when it reaches both
 * `pause_after_failures` attempts AND `pause_after_ms` of continuous failure.
 *
 * *Thread safety:* construct before the store's first write that should reach it (it subscribes
 * to the change stream); the rest is internal.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/core/ip_policy.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::hooks {

/** Counters for tests and metrics. */
struct engine_stats {
  std::uint64_t attempts = 0;
  std::uint64_t delivered = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t refused_addresses = 0;
};

class engine {
 public:
  engine(const config::settings& cfg, store::store& db, core::io_context_pool& reactors, net::thread_pool& blocking,
         std::shared_ptr<crypto::vault_source> vault);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /** Starts the loop on reactor 0. */
  void start();
  /** Closes kept-alive connections; call after the reactors stopped, before they are destroyed. */
  void close_idle();
  engine_stats stats() const;

  struct state;  // engine.cpp

 private:
  std::shared_ptr<state> st_;
};

/**
 * The registration-time check of an endpoint URL: http(s) (http only when allowed), no
 * userinfo, no fragment; when the host is an IP literal, it must be allowed by the policy.
 * Returns an empty string when acceptable, else what is wrong (for a field problem).
 */
std::string check_url(std::string_view url, bool allow_http, const std::vector<core::ip_range>& allowed);

/** Resolves `host` and checks every address; an empty string when all are allowed. */
net::awaitable<std::string> check_host(std::string host, std::string port, std::vector<core::ip_range> allowed);

}  // namespace enfinito::hooks
