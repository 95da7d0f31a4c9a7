// inbound::credentials: the per-reactor cache of opened webhook credentials and the lookup
// that fills it from the store and the vault.
#include <enfinito/inbound/credentials.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

namespace enfinito::inbound {
namespace {

namespace instances = store::instances;

// Decrypts what a webhook needs of `row`; nullopt when the vault cannot open a field.
net::awaitable<std::optional<credentials>> open_credentials(const credential_source& src,
                                                            const instances::instance& row,
                                                            const std::string& id) {
  auto& vault = *src.vault;
  auto secret = co_await crypto::open_instance_field(vault, src.blocking, row, crypto::f_secret);
  auto verify = co_await crypto::open_instance_field(vault, src.blocking, row, crypto::f_verify);
  auto phone = co_await crypto::open_instance_field(vault, src.blocking, row, crypto::f_phone);
  auto waba = co_await crypto::open_instance_field(vault, src.blocking, row, crypto::f_waba);
  std::optional<credentials> c;
  if (secret && verify && phone && waba) {
    c.emplace();
    c->who.instance_id = id;
    c->who.user_id = row.user_id;
    c->who.phone_number_id = phone->reveal();
    c->who.waba_id = waba->reveal();
    c->who.display_phone_number = row.display_phone_number;
    c->app_secret = std::move(*secret);
    c->verify_token = std::move(*verify);
  }
  co_return c;
}

}  // namespace

bool plausible_instance_id(std::string_view id) noexcept { return core::id_like(id, "ins_"); }

credential_cache::credential_cache(std::size_t reactors, std::chrono::milliseconds ttl)
    : shards_(reactors ? reactors : 1), ttl_(ttl) {}

std::optional<credentials> credential_cache::get(std::size_t reactor, const std::string& id, std::int64_t now) {
  auto& m = shards_[reactor % shards_.size()];
  auto it = m.find(id);
  if (it == m.end()) return std::nullopt;
  if (it->second.generation != instances::generation() || now - it->second.fetched >= ttl_.count()) {
    m.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void credential_cache::put(std::size_t reactor, const std::string& id, const credentials& c,
                           std::uint64_t generation, std::int64_t now) {
  if (ttl_.count() == 0) return;
  auto& m = shards_[reactor % shards_.size()];
  if (m.size() >= max_entries) m.clear();
  m[id] = entry{c, now, generation};
}

// One co_return at the end: GCC 12 mishandles early returns around several awaits.
net::awaitable<lookup> look_up(const credential_source& src, credential_cache& cache, std::size_t reactor,
                               std::string_view instance_id) {
  const std::string id(instance_id);
  lookup out;
  out.found = cache.get(reactor, id, core::steady_ms());
  if (!out.found) {
    // The generation is read before the lookup: a change racing it leaves the entry stale.
    const auto generation = instances::generation();
    instances::instance row;
    auto read = [&](store::connection& c) { return instances::get_any(c, id, row); };
    auto ec = co_await src.db.read(read);
    if (ec && ec != store::error::not_found) out.failed = true;
    if (!ec) {
      auto opened = co_await open_credentials(src, row, id);
      if (opened) {
        cache.put(reactor, id, *opened, generation, core::steady_ms());
        out.found = std::move(opened);
      } else {
        out.failed = true;
      }
    }
  }
  co_return out;
}

}  // namespace enfinito::inbound
