// api::instance_cache: the send paths' instance rows on a store::change_cache (see
// include/enfinito/api/instance_cache.hpp for the invalidation scheme).
#include <enfinito/api/instance_cache.hpp>

namespace enfinito::api {

instance_cache::instance_cache(std::size_t reactors, const store::change_stream& changes, std::chrono::milliseconds ttl)
    : rows_(reactors, changes, static_cast<store::change_mask>(store::change::instances), {10'000, ttl}),
      enabled_(ttl.count() > 0) {}

std::string instance_cache::key(std::string_view user_id, std::string_view how, std::string_view value) {
  std::string k;
  k.reserve(user_id.size() + how.size() + value.size() + 2);
  k.append(user_id).append("/").append(how).append("/").append(value);
  return k;
}

instance_cache::row_ptr instance_cache::get(std::size_t r, const std::string& key) {
  auto* hit = rows_.get(r, key);
  return hit ? *hit : nullptr;
}

void instance_cache::put(std::size_t r, const std::string& key, row_ptr row, std::uint64_t gen) {
  if (enabled_) rows_.put(r, key, std::move(row), gen);
}

}  // namespace enfinito::api
