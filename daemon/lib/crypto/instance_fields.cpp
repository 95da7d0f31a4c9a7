// crypto::instance_fields: vault sealing/opening of instance credential fields.
#include <enfinito/crypto/instance_fields.hpp>

#include <enfinito/core/log.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/vault_source.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace enfinito::crypto {

field_ref instance_field_ref(const std::string& instance_id, std::size_t field) {
  return {store::instances::table, instance_id, store::instances::credential_fields[field]};
}

void seal_instance_fields(const vault& v, store::instances::instance& row,
                          const core::secret_string (&values)[store::instances::credential_count]) {
  for (std::size_t i = 0; i < store::instances::credential_count; ++i)
    row.blobs[i] = v.encrypt(values[i].reveal(), instance_field_ref(row.id, i));
  row.phone_number_lookup = v.lookup_hash("phone_number_id", values[f_phone].reveal());
  const std::string_view token = values[f_token].reveal();
  row.token_last4 = std::string(token.substr(token.size() >= 4 ? token.size() - 4 : 0));
}

core::error_code reseal_instance_fields(const vault& v, const store::instances::instance& row,
                                        store::instances::instance& fresh, std::string& failed_field) {
  for (std::size_t i = 0; i < store::instances::credential_count; ++i) {
    const auto where = instance_field_ref(row.id, i);
    auto plain = v.decrypt(row.blobs[i], where);
    if (!plain) {
      failed_field = store::instances::credential_fields[i];
      return plain.error();
    }
    fresh.blobs[i] = v.encrypt(plain->reveal(), where);
  }
  return {};
}

net::awaitable<std::shared_ptr<const vault>> fresh_vault(vault_source& src, net::thread_pool& blocking) {
  // Plain statements around every co_await (GCC 12, docs/engineering-notes.md).
  auto* source = &src;
  auto job = [source]() -> net::awaitable<std::shared_ptr<const vault>> {
    std::shared_ptr<const vault> out;
    auto r = source->refresh();
    if (r)
      out = *r;
    else {
      core::log::error("crypto.vault_reload_failed", {{"reason", r.error().message()}});
      out = source->current();
    }
    co_return out;
  };
  std::shared_ptr<const vault> v = co_await net::co_spawn(blocking, std::move(job), net::use_awaitable);
  co_return v;
}

net::awaitable<core::result<core::secret_string>> open_instance_field(vault_source& src, net::thread_pool& blocking,
                                                                      const store::instances::instance& row,
                                                                      std::size_t field) {
  auto v = src.current();
  auto r = v->decrypt(row.blobs[field], instance_field_ref(row.id, field));
  if (!r && r.error() == error::unknown_key_id) {
    v = co_await fresh_vault(src, blocking);
    r = v->decrypt(row.blobs[field], instance_field_ref(row.id, field));
  }
  if (!r)
    core::log::error(
        "crypto.vault_decrypt_failed",
        {{"instance", row.id}, {"field", store::instances::credential_fields[field]}, {"reason", r.error().message()}});
  co_return r;
}

net::awaitable<core::result<graph_credentials>> open_graph_credentials(vault_source& src, net::thread_pool& blocking,
                                                                       const store::instances::instance& row) {
  graph_credentials out;
  auto phone = co_await open_instance_field(src, blocking, row, f_phone);
  if (!phone) co_return phone.error();
  auto waba = co_await open_instance_field(src, blocking, row, f_waba);
  if (!waba) co_return waba.error();
  auto token = co_await open_instance_field(src, blocking, row, f_token);
  if (!token) co_return token.error();
  out.phone_number_id = phone->reveal();
  out.waba_id = waba->reveal();
  out.access_token = std::move(*token);
  co_return out;
}

}  // namespace enfinito::crypto
