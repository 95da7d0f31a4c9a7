// api::instance_cache (see include/enfinito/api/instance_cache.hpp for the invalidation scheme).
#include <enfinito/api/instance_cache.hpp>

namespace enfinito::api {

instance_cache::instance_cache(std::size_t reactors, std::chrono::milliseconds ttl)
    : shards_(reactors ? reactors : 1), ttl_(ttl) {}

std::string instance_cache::key(std::string_view user_id, std::string_view how, std::string_view value) {
  std::string k;
  k.reserve(user_id.size() + how.size() + value.size() + 2);
  k.append(user_id).append("/").append(how).append("/").append(value);
  return k;
}

instance_cache::row_ptr instance_cache::get(std::size_t r, const std::string& key) {
  auto& m = shards_[r % shards_.size()];
  auto it = m.find(key);
  if (it == m.end()) return nullptr;
  if (it->second.generation != store::instances::generation() || clock::now() - it->second.fetched >= ttl_) {
    m.erase(it);
    return nullptr;
  }
  return it->second.row;
}

void instance_cache::put(std::size_t r, const std::string& key, row_ptr row, std::uint64_t gen) {
  if (ttl_.count() == 0) return;
  auto& m = shards_[r % shards_.size()];
  if (m.size() >= max_entries) m.clear();  // bounded; refilling is one store read per instance
  m[key] = entry{std::move(row), clock::now(), gen};
}

}  // namespace enfinito::api
