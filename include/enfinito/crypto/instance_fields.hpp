#pragma once
/**
 * @file crypto::instance_fields: sealing and opening the credential fields of an instance
 * row (store/instances.hpp) with the vault. The one place that knows how a field's AAD is
 * formed (`instances`, row id, field name), what sealing a row sets besides its blobs (the
 * phone number's lookup hash, the token's last four characters) and how an unknown key id is
 * handled (re-read the key file once, off the reactor, then retry).
 *
 * Used by the instances API (create, update, view), the re-key job (app/rekey.cpp) and by
 * everything that calls Meta for an instance (the send queue, media and template routes). Plaintext comes back as
 * core::secret_string and lives only as long as the caller keeps it.
 *
 * *Thread safety:* the coroutines run on the caller's executor; key-file I/O goes to
 * `blocking`.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/instances.hpp>

#include <boost/asio/thread_pool.hpp>

#include <memory>

namespace enfinito::crypto {

class vault_source;

/** Indexes into store::instances::credential_fields. */
enum instance_field : std::size_t { f_phone = 0, f_waba = 1, f_token = 2, f_secret = 3, f_app = 4, f_verify = 5 };

/** The AAD binding of one credential field of one instance. */
field_ref instance_field_ref(const std::string& instance_id, std::size_t field);

/**
 * Seals every credential of `row` (values indexed like credential_fields) with `v`, bound to
 * `row.id`; also sets the phone number's lookup hash and the token's last four characters.
 */
void seal_instance_fields(const vault& v, store::instances::instance& row,
                          const core::secret_string (&values)[store::instances::credential_count]);

/**
 * Re-seals the blobs of `row` into `fresh` under `v`'s active key (the re-key job). On a blob
 * that does not open, its error, and `failed_field` names the field.
 */
core::error_code reseal_instance_fields(const vault& v, const store::instances::instance& row,
                                        store::instances::instance& fresh, std::string& failed_field);

/** The vault after re-reading the key file if `rotate-key` changed it (file I/O on `blocking`). */
net::awaitable<std::shared_ptr<const vault>> fresh_vault(vault_source& src, net::thread_pool& blocking);

/** Decrypts one field; on an unknown key id reloads the keyring once and retries. Logs failures (never values). */
net::awaitable<core::result<core::secret_string>> open_instance_field(vault_source& src, net::thread_pool& blocking,
                                                                      const store::instances::instance& row,
                                                                      std::size_t field);

/** What a Graph API call on behalf of an instance needs. */
struct graph_credentials {
  std::string phone_number_id;
  std::string waba_id;
  core::secret_string access_token;
};

/** Opens phone number id, WABA id and access token of `row`. */
net::awaitable<core::result<graph_credentials>> open_graph_credentials(vault_source& src, net::thread_pool& blocking,
                                                                       const store::instances::instance& row);

}  // namespace enfinito::crypto
