#pragma once
/**
 * @file api::instance_cache: instance rows the hot paths (the send API, the Graph-compatible
 * routes) read on every request, cached per reactor so a send costs no store read.
 *
 * Same scheme as the API-key cache (auth/runtime.hpp): each reactor touches only its own map,
 * without a lock, and one process-wide generation (`store::instances::generation()`), bumped by
 * `store::instances::changed()` after any change to an instance commits (update, status, the
 * queue's `needs_reauth`, deletion, account deletion), makes every entry on every reactor stale
 * at once. An entry carries the generation read *before* its store read began, so a read that
 * raced a change is never served. Entries also expire after `queue.instance_cache_ttl_ms`, a
 * safety net for a change that forgot to bump.
 *
 * Keys carry the owner's user id (`instance_cache::key`), so one tenant's cached row never
 * answers another tenant's lookup. Only found rows are cached.
 */
#include <enfinito/store/instances.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace enfinito::api {

class instance_cache {
 public:
  instance_cache(std::size_t reactors, std::chrono::milliseconds ttl);

  /** "<user id>/<how>/<value>": `how` is "id" (instance id) or "phone" (phone number lookup hash). */
  static std::string key(std::string_view user_id, std::string_view how, std::string_view value);

  /** A cached row, shared: a hit copies a pointer, not the row's fifteen strings. */
  using row_ptr = std::shared_ptr<const store::instances::instance>;

  /** Reactor-local: only reactor `r` calls these with `r`. nullptr on a miss or a stale entry. */
  row_ptr get(std::size_t r, const std::string& key);
  void put(std::size_t r, const std::string& key, row_ptr row, std::uint64_t generation);

 private:
  using clock = std::chrono::steady_clock;
  struct entry {
    row_ptr row;
    clock::time_point fetched;
    std::uint64_t generation = 0;
  };
  static constexpr std::size_t max_entries = 10'000;  // per reactor; a full map is cleared
  std::vector<std::unordered_map<std::string, entry>> shards_;
  std::chrono::milliseconds ttl_;
};

}  // namespace enfinito::api
