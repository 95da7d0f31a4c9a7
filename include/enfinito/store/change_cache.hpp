#pragma once
/**
 * @file store::change_cache: a per-reactor cache of what the store holds, invalidated only by
 * the change stream (store/changes.hpp). The API-key cache (auth/runtime.hpp) and the instance
 * cache (api/instance_cache.hpp) are this class.
 *
 * Each reactor touches only its own map, without a lock. An entry remembers the stream's
 * generation of the cache's topics read *before* the store read that produced it; once a
 * commit that changed one of those topics is published, the generation has moved and every
 * entry on every reactor is a miss. The generation moves on the writer thread before the
 * changing write is acknowledged, so a request that follows it never sees the old entry, and a
 * read that raced the change carries the old generation and is never served.
 *
 *     auto gen = cache.generation();         // before the read
 *     ... co_await db.read(...) ...
 *     cache.put(reactor, key, value, gen);
 *
 * An optional TTL bounds the life of entries for changes the stream cannot see (another
 * process's writes); say which where you set one. Its clock is core::steady_ms unless the
 * options name another (tests pass a manual clock).
 *
 * Thread safety: `generation` from any thread; `get`/`put` with reactor index `r` only on
 * reactor `r`.
 */
#include <enfinito/core/clock.hpp>
#include <enfinito/store/changes.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace enfinito::store {

template <class V>
class change_cache {
 public:
  struct options {
    std::size_t max_entries = 10'000;                     // per reactor; a full map is cleared
    std::optional<std::chrono::milliseconds> ttl{};       // none: entries live until a change
    std::function<std::int64_t()> now = core::steady_ms;  // read only with a TTL
  };

  change_cache(std::size_t reactors, const change_stream& stream, change_mask topics, options o)
      : shards_(reactors ? reactors : 1), stream_(stream), topics_(topics), opts_(o) {}
  change_cache(std::size_t reactors, const change_stream& stream, change_mask topics)
      : change_cache(reactors, stream, topics, options{}) {}

  /** Read before the store read whose result goes into `put`. */
  std::uint64_t generation() const noexcept { return stream_.generation(topics_); }

  /** The entry for `key` on reactor `r`, or nullptr (absent, or a change came since). */
  V* get(std::size_t r, const std::string& key) {
    auto& m = shards_[r % shards_.size()];
    auto it = m.find(key);
    if (it == m.end()) return nullptr;
    if (it->second.generation != generation() || expired(it->second)) {
      m.erase(it);
      return nullptr;
    }
    return &it->second.value;
  }

  /** Keeps `value` on reactor `r`, read under `generation`. */
  void put(std::size_t r, const std::string& key, V value, std::uint64_t generation) {
    auto& m = shards_[r % shards_.size()];
    if (m.size() >= opts_.max_entries) m.clear();  // bounded: refilling costs one store read each
    m.insert_or_assign(key, entry{std::move(value), generation, opts_.ttl ? opts_.now() : 0});
  }

 private:
  struct entry {
    V value;
    std::uint64_t generation = 0;
    std::int64_t fetched_ms = 0;  // options::now; only with a TTL
  };
  bool expired(const entry& e) const { return opts_.ttl && opts_.now() - e.fetched_ms >= opts_.ttl->count(); }

  std::vector<std::unordered_map<std::string, entry>> shards_;
  const change_stream& stream_;
  change_mask topics_;
  options opts_;
};

}  // namespace enfinito::store
