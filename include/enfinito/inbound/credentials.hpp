#pragma once
/**
 * @file inbound::credentials: what Meta's webhooks in need of their instance (App Secret,
 * verify token, phone number id, WABA id), and the per-reactor cache that keeps them opened.
 *
 * Decrypting four vault fields per webhook would dominate its cost, so each reactor keeps the
 * opened credentials of the instances it served, on a store::change_cache of the change
 * stream's `instances` topic: any committed change to an instance row makes every entry stale
 * (the generation is read before the store read, so a change racing the read leaves it stale,
 * never wrong). Entries also expire after `ttl` (inbound.credential_cache_ttl_ms; 0: no cache),
 * which bounds how long credentials re-sealed by `enfinitoctl rotate-key` / `rekey` from their
 * own process, which the stream cannot see, are used. The App Secret and verify token stay
 * core::secret_string; the ids are routing data.
 *
 * *Thread safety:* shard r of the cache is touched only by reactor r, so no lock.
 */
#include <enfinito/core/clock.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/store/change_cache.hpp>

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::inbound {

/** Who an instance is on Meta's side, for routing updates to it. No secrets. */
struct identity {
  std::string instance_id;
  std::string user_id;  // the owner: events are theirs
  std::string phone_number_id;
  std::string waba_id;
  std::string display_phone_number;  // matches WABA-wide updates that name a number
};

struct credentials {
  identity who;
  core::secret_string app_secret;    // signs every POST (X-Hub-Signature-256)
  core::secret_string verify_token;  // the GET handshake's hub.verify_token
};

/** What a credential lookup found. */
struct lookup {
  std::optional<credentials> found;  // empty: no such instance
  bool failed = false;               // store or vault error: answer 503 so Meta retries
};

/** Instance ids are `ins_` + URL-safe random; anything else cannot exist (and is not looked up). */
bool plausible_instance_id(std::string_view id) noexcept;

/** Opened credentials per reactor; see the file comment. */
class credential_cache {
 public:
  credential_cache(std::size_t reactors, const store::change_stream& changes, std::chrono::milliseconds ttl,
                   std::function<std::int64_t()> now = core::steady_ms);

  /** Read before the store read whose result goes into `put`. */
  std::uint64_t generation() const noexcept { return entries_.generation(); }
  std::optional<credentials> get(std::size_t reactor, const std::string& id);
  /** Keeps `c`, read at `generation`. No-op with a zero ttl. */
  void put(std::size_t reactor, const std::string& id, const credentials& c, std::uint64_t generation);

 private:
  store::change_cache<credentials> entries_;
  bool enabled_;
};

/** Where credentials come from on a cache miss. */
struct credential_source {
  store::store& db;
  std::shared_ptr<crypto::vault_source> vault;
  net::thread_pool& blocking;  // key-file re-reads after a rotation
};

/** The cache, then the store and the vault. Runs on reactor `reactor`'s executor. */
net::awaitable<lookup> look_up(const credential_source& src, credential_cache& cache, std::size_t reactor,
                               std::string_view instance_id);

}  // namespace enfinito::inbound
