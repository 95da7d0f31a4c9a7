#pragma once
/**
 * @file api::instance_cache: instance rows the hot paths (the send API, the Graph-compatible
 * routes) read on every request, cached per reactor so a send costs no store read.
 *
 * A store::change_cache on the change stream's `instances` topic (store/changes.hpp): every
 * write to an instance row marks it, and the commit's publication makes every entry on every
 * reactor stale before the write is acknowledged. Callers read the generation
 * (`store::instances::generation()`, the same number) *before* their store read, so a read
 * that raced a change is never served.
 *
 * Entries also expire after `queue.instance_cache_ttl_ms` (0: no cache). The stream cannot see
 * what `enfinitoctl rotate-key` / `rekey` rewrite from their own process next to a running
 * daemon (instances' sealed credentials): the TTL bounds how long a row sealed under the old key
 * may be used.
 *
 * Keys carry the owner's user id (`instance_cache::key`), so one tenant's cached row never
 * answers another tenant's lookup. Only found rows are cached.
 */
#include <enfinito/store/change_cache.hpp>
#include <enfinito/store/instances.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace enfinito::api {

class instance_cache {
 public:
  instance_cache(std::size_t reactors, const store::change_stream& changes, std::chrono::milliseconds ttl);

  /** "<user id>/<how>/<value>": `how` is "id" (instance id) or "phone" (phone number lookup hash). */
  static std::string key(std::string_view user_id, std::string_view how, std::string_view value);

  /** A cached row, shared: a hit copies a pointer, not the row's fifteen strings. */
  using row_ptr = std::shared_ptr<const store::instances::instance>;

  /** Reactor-local: only reactor `r` calls these with `r`. nullptr on a miss or a stale entry. */
  row_ptr get(std::size_t r, const std::string& key);
  /** `generation`: store::instances::generation() read before the row was. */
  void put(std::size_t r, const std::string& key, row_ptr row, std::uint64_t generation);

 private:
  store::change_cache<row_ptr> rows_;
  bool enabled_;
};

}  // namespace enfinito::api
