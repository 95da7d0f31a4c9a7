#pragma once
/**
 * @file templates::sync: keeping the local template copy current (store/templates.hpp).
 *
 * Three things move the copy: the template webhooks (inbound/receive.cpp applies them in the
 * webhook's own write), Enfinito's own create, edit and delete (api/templates_routes.cpp, after
 * Meta said yes), and this sync: every template of the instance's WABA read from Meta
 * (`GET /{waba}/message_templates`, pages of 100, at most 250 templates per WABA) and the copy
 * replaced in one write. The periodic sync runs on one reactor: every minute it looks for
 * active instances whose copy is older than `templates.sync_interval_ms` (or was never synced)
 * and syncs them one after the other, so Meta sees at most one call at a time from it (Meta's
 * WABA-management limit: 200 calls per hour per WABA, REFERENCE.md §6).
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/instances/meta_relay.hpp>

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::templates {

/** Reads every template of the instance's WABA from Meta and replaces the copy. Their number. */
net::awaitable<instances::relayed<std::size_t>> sync_now(const instances::relay_target& t);

/** Is a copy last synced at `synced_at_ms` (unset: never) due at `now_ms`? */
bool sync_due(std::optional<std::int64_t> synced_at_ms, std::int64_t now_ms,
              std::chrono::milliseconds interval) noexcept;

struct sync_context {
  const config::settings& cfg;
  store::store& db;
  net::thread_pool& blocking;  // opening credentials
  std::shared_ptr<crypto::vault_source> vault;
  std::shared_ptr<const meta::client> meta;
};

/** Starts the periodic sync on `ex` (forever, until the executor stops). */
void start_sync(sync_context c, executor ex);

}  // namespace enfinito::templates
