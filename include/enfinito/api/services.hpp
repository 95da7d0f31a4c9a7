#pragma once
/**
 * @file api::services: what REST handlers may use. Built once by app::app and passed by
 * reference to every `register_*_routes` function in daemon/lib/api/.
 *
 * The api module holds the handlers of the public REST API (`/v1/...`, the Graph-compatible
 * routes, webhooks in). It sits between http and app: handlers validate input, authenticate
 * (api/auth_guard.hpp), call typed store functions (no SQL here) and answer JSON or
 * problem+json. Handlers never block: SQLite goes through the store threads, password hashing
 * and other slow work through `blocking`.
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/http/message.hpp>

#include <boost/asio/thread_pool.hpp>

#include <memory>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}
namespace enfinito::meta {
class client;
}

namespace enfinito::auth {
class runtime;
}
namespace enfinito::outbound {
class queue;
}
namespace enfinito::hooks {
class engine;
}
namespace enfinito::templates {
class send_checks;
}
namespace enfinito::limits {
class limiter;
class usage_book;
}  // namespace enfinito::limits
namespace enfinito::feed {
class bus;
class ticket_book;
}  // namespace enfinito::feed
namespace enfinito::instances {
class webhook_activity;
}

namespace enfinito::api {

class instance_cache;

struct services {
  const config::settings& cfg;
  store::store& db;
  core::io_context_pool& reactors;
  net::thread_pool& blocking;  // password hashing, SMTP, file I/O
  // The credential vault (always set once the app started: a daemon without its key refuses
  // to start). `vault->current()` per use; it picks up keys added by `enfinitoctl rotate-key`.
  std::shared_ptr<crypto::vault_source> vault;
  http::json_limits json{};
  std::shared_ptr<auth::runtime> auth{};       // sign-in throttle, API-key cache (auth/runtime.hpp)
  std::shared_ptr<const meta::client> meta{};  // Graph API calls (instance verification)
  // The outbound send queue (outbound/queue.hpp): `notify` after an accept commit,
  // `wait_for_outcome` for the Graph-compatible routes. Owned by app::app.
  outbound::queue* queue = nullptr;
  // Customer webhooks out (hooks/engine.hpp): woken by the store's change stream.
  hooks::engine* hooks = nullptr;
  // The live feed (feed/bus.hpp) and its browser tickets, for /v1/stream. Owned by app::app.
  feed::bus* feed = nullptr;
  feed::ticket_book* tickets = nullptr;
  // Instance rows of the send paths, per reactor (api/instance_cache.hpp). Null: no cache.
  std::shared_ptr<instance_cache> instance_rows{};
  // The pre-send checks of both send routes (templates/send_checks.hpp). Null: none.
  std::shared_ptr<templates::send_checks> send_checks{};
  // Fair shares per API key and tenant (limits/limiter.hpp), checked by api::authenticate.
  // Null: no rate limits (rate_limits.enabled = false).
  std::shared_ptr<limits::limiter> limiter{};
  // Messages per tenant per day, counted from the change stream (limits/usage.hpp). Null: none.
  std::shared_ptr<limits::usage_book> usage{};
  // Webhook times per instance, noted by the inbound flow, flushed by instances/watch.hpp.
  std::shared_ptr<instances::webhook_activity> webhook_activity{};
};

}  // namespace enfinito::api
