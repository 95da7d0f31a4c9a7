#pragma once
/**
 * @file Vault key rotation over the stored credentials, webhook signing secrets and pending mail
 * bodies (`enfinitoctl rotate-key`, `rekey`,
 * `retire-key`). Synchronous: for a tool, on a connection of its own; safe while the daemon
 * runs (the daemon re-reads the key file when it meets the new key id, see
 * crypto/vault_source.hpp).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <string>

namespace enfinito::app {

struct rekey_report {
  std::size_t scanned = 0;  // rows looked at (all passes)
  std::size_t rekeyed = 0;  // rows re-encrypted
  int passes = 0;
};

/** Re-encrypts every instance row with a blob not under `v`'s active key; batches of `batch`
    rows per transaction; repeats until a pass finds none (at most `max_passes`). */
core::result<rekey_report> rekey_instances(store::connection& c, const crypto::vault& v, std::size_t batch = 100,
                                           int max_passes = 5, std::string* why = nullptr);

/** The same for customer webhook endpoints' signing secrets (store/hooks.hpp). */
core::result<rekey_report> rekey_webhook_secrets(store::connection& c, const crypto::vault& v, std::size_t batch = 100,
                                                 int max_passes = 5, std::string* why = nullptr);

/** The same for the mail outbox's sealed bodies (a pending reset or approval mail). */
core::result<rekey_report> rekey_mail_bodies(store::connection& c, const crypto::vault& v, std::size_t batch = 100,
                                             int max_passes = 5, std::string* why = nullptr);

/** The same for the TOTP second factors' secrets (store/second_factor.hpp). */
core::result<rekey_report> rekey_totp_secrets(store::connection& c, const crypto::vault& v, std::size_t batch = 100,
                                              int max_passes = 5, std::string* why = nullptr);

/** How many stored blobs (instance credentials, webhook signing secrets, mail bodies, TOTP secrets) are
    sealed under `key_id` (retire-key refuses unless 0). */
core::result<std::size_t> count_blobs_with_key(store::connection& c, std::uint32_t key_id);

}  // namespace enfinito::app
