#pragma once
/**
 * @file The vault: field-level encryption of stored credentials (privacy promise P1).
 *
 * ## What it protects
 * Meta credentials (phone number id, WABA id, access token, app secret, app id) are stored
 * only as vault blobs, sealed with AES-256-GCM under a server-side key that never enters the
 * database. Plaintext exists only in memory, as `core::secret_string`, at the point of use (P2).
 *
 * ## Blob format (binary, stored as a SQLite BLOB)
 *
 *     offset  size  field
 *     0       1     format version, 0x01
 *     1       4     key id, unsigned 32-bit big-endian (the keyring id that sealed it)
 *     5       12    nonce (random per blob)
 *     17      n     ciphertext (n = plaintext length)
 *     17+n    16    GCM tag (always the full 16 bytes)
 *
 * Overhead is 33 bytes. The header is not secret, but it is authenticated (see AAD below).
 *
 * ## Associated data
 *
 *     version (1) || key id (u32 BE) || len(table) (u32 BE) || table
 *                 || len(row_id) (u32 BE) || row_id || len(field) (u32 BE) || field
 *
 * Invariants this gives:
 * - A blob decrypts only for the (table, row id, field) it was sealed for. Copying a tenant's
 *   access token into another row, or swapping the token and app-secret columns, fails.
 *   Lengths are prefixed so that ("ab","c") and ("a","bc") are different bindings.
 * - Editing the key id byte fails: either the id is unknown (`error::unknown_key_id`) or the
 *   key and the AAD no longer match (`error::decrypt_failed`). Editing the version fails.
 * - Every other failure (short blob, flipped bit, truncated tag) is `error::decrypt_failed`,
 *   with no hint which check failed.
 * - `row_id` must be a stable identifier of the row (its primary key), not something that
 *   changes on update; re-binding a value to a new row means decrypt + encrypt.
 *
 * ## Rotation
 * New blobs are sealed under the keyring's active (highest) key. Old keys stay in the key
 * file; `needs_rekey` tells a background job which blobs to decrypt and re-encrypt; once none
 * remain an old key may be retired.
 *
 * ## Lookup hashes
 * `lookup_hash(purpose, value)` = hex(HMAC-SHA256(lookup key, purpose || 0x00 || value)): a
 * stable, keyed, one-way value for finding a row by a credential (e.g. by phone number id on an
 * inbound webhook) without storing the credential in the clear. `purpose` separates domains so
 * equal values in different columns do not produce equal hashes. The lookup key is never
 * rotated (see keyring.hpp), so hashes stay valid across data-key rotation.
 *
 * *Thread safety:* a `vault` is immutable; all member functions may run concurrently.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/crypto/keyring.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::crypto {

/** Where a ciphertext lives: it is bound to exactly this table, row and field. */
struct field_ref {
  std::string_view table;
  std::string_view row_id;
  std::string_view field;
};

inline constexpr unsigned char vault_format_version = 0x01;
/** Bytes a vault blob adds to its plaintext: version + key id + nonce + tag. */
inline constexpr std::size_t vault_overhead = 1 + 4 + 12 + 16;

class vault {
 public:
  explicit vault(keyring keys);

  /** Seals `plaintext` for `where` under the active key; returns the binary blob. Throws only
      `std::bad_alloc`. */
  std::string encrypt(std::string_view plaintext, const field_ref& where) const;

  /** Opens a blob sealed for `where`. Errors: `unknown_key_id` when the blob's key id is not in
      the keyring; `decrypt_failed` for everything else. */
  core::result<core::secret_string> decrypt(std::string_view blob, const field_ref& where) const;

  /** True unless `blob` is a well-formed version-1 blob under the active key (so a malformed
      blob is reported to the re-key job, whose decrypt then fails loudly). */
  bool needs_rekey(std::string_view blob) const noexcept;

  /** Keyed lookup hash (lowercase hex, 64 characters); see the file comment. */
  std::string lookup_hash(std::string_view purpose, std::string_view value) const;

  /** The id new blobs are sealed under. */
  std::uint32_t active_key_id() const noexcept { return keys_.active_id(); }

  /** The key id in a blob's header, or nullopt if it is not a well-formed version-1 blob. */
  static std::optional<std::uint32_t> blob_key_id(std::string_view blob) noexcept;

 private:
  keyring keys_;
};

}  // namespace enfinito::crypto
