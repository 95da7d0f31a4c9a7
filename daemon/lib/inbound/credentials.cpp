// inbound::credentials: the per-reactor cache of opened webhook credentials and the lookup
// that fills it from the store and the vault.
#include <enfinito/inbound/credentials.hpp>

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
                                                            const instances::instance& row, const std::string& id) {
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

credential_cache::credential_cache(std::size_t reactors, const store::change_stream& changes,
                                   std::chrono::milliseconds ttl, std::function<std::int64_t()> now)
    : entries_(reactors, changes, static_cast<store::change_mask>(store::change::instances),
               {10'000, ttl, std::move(now)}),
      enabled_(ttl.count() > 0) {}

std::optional<credentials> credential_cache::get(std::size_t reactor, const std::string& id) {
  auto* hit = entries_.get(reactor, id);
  return hit ? std::optional<credentials>(*hit) : std::nullopt;
}

void credential_cache::put(std::size_t reactor, const std::string& id, const credentials& c, std::uint64_t generation) {
  if (enabled_) entries_.put(reactor, id, c, generation);
}

// One co_return at the end: GCC 12 mishandles early returns around several awaits.
net::awaitable<lookup> look_up(const credential_source& src, credential_cache& cache, std::size_t reactor,
                               std::string_view instance_id) {
  const std::string id(instance_id);
  lookup out;
  out.found = cache.get(reactor, id);
  if (!out.found) {
    // The generation is read before the lookup: a change racing it leaves the entry stale.
    const auto generation = cache.generation();
    instances::instance row;
    auto read = [&](store::connection& c) { return instances::get_any(c, id, row); };
    auto ec = co_await src.db.read(read);
    if (ec && ec != store::error::not_found) out.failed = true;
    if (!ec) {
      auto opened = co_await open_credentials(src, row, id);
      if (opened) {
        cache.put(reactor, id, *opened, generation);
        out.found = std::move(opened);
      } else {
        out.failed = true;
      }
    }
  }
  co_return out;
}

}  // namespace enfinito::inbound
