#pragma once
/**
 * @file The vault's server-side keys: versioned data keys plus one lookup key, from a key file.
 *
 * Key file format (text, mode 0600 or 0400, e.g. supplied by systemd `LoadCredential=`):
 *
 *     # comments and blank lines are ignored
 *     lookup <base64 of 32 bytes>
 *     1 <base64 of 32 bytes>
 *     2 <base64 of 32 bytes>
 *
 * - `<id>` is a positive decimal integer (1 .. 2^32-1, no sign, no leading zero). The highest
 *   id is the *active* key: new ciphertexts are sealed under it. Older keys stay in the file so
 *   that existing ciphertexts still decrypt until they are re-encrypted (`vault::needs_rekey`).
 * - `lookup` is the key for keyed lookup hashes (HMAC of e.g. a phone number id, so it can be
 *   found by equality without storing it in the clear). It is never rotated: a lookup hash is
 *   stored in an indexed column and compared against a freshly computed one, so a new lookup
 *   key would silently make every stored hash unfindable. Rotating data keys protects the
 *   ciphertexts; the lookup key only ever produces one-way values.
 * - Keys and the lookup key are each exactly 32 bytes (standard base64 with padding, 44 chars).
 *
 * Loading refuses, each with its own `crypto::error`: a missing file, a file that is not
 * regular, a file with any group/other permission bit (mode & 077), a malformed line, a key
 * that is not 32 bytes, a repeated id, no numbered key, no lookup key. The messages never
 * contain file content.
 *
 * This is the one place the crypto module touches the file system; it runs at startup and in
 * `enfinitoctl`, never on a reactor thread.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/secret.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

namespace enfinito::crypto {

/** Every key is 32 bytes (AES-256, HMAC-SHA256). */
inline constexpr std::size_t key_size = 32;

/**
 * Versioned data keys and the lookup key. Immutable once built; movable and copyable (every
 * copy wipes its key bytes when destroyed, through `core::secret`).
 */
class keyring {
 public:
  /** Builds a keyring, checking the invariants the key file loader checks (non-empty, ids > 0,
      every key and the lookup key exactly 32 bytes). */
  static core::result<keyring> make(std::map<std::uint32_t, core::secret_bytes> keys, core::secret_bytes lookup_key);

  /** The highest key id: the key new ciphertexts are sealed under. */
  std::uint32_t active_id() const noexcept { return keys_.rbegin()->first; }
  /** The key with `id`, or null when the keyring does not hold it. */
  const core::secret_bytes* find(std::uint32_t id) const noexcept;
  /** The active key. */
  const core::secret_bytes& active_key() const noexcept { return keys_.rbegin()->second; }
  /** The never-rotated key for lookup hashes. */
  const core::secret_bytes& lookup_key() const noexcept { return lookup_; }
  /** All key ids, ascending. */
  std::vector<std::uint32_t> ids() const;

 private:
  keyring() = default;
  std::map<std::uint32_t, core::secret_bytes> keys_;
  core::secret_bytes lookup_;
};

/** Parses key file text (no file-system access; the loader and tests use it). */
core::result<keyring> parse_keyring(std::string_view text);

/** Reads, permission-checks and parses the key file at `path`. */
core::result<keyring> load_keyring(const std::filesystem::path& path);

/**
 * Creates a new key file at `path` with mode 0600 holding a fresh key 1 and a fresh lookup key.
 * Fails with `key_file_exists` if anything exists at `path` (O_CREAT|O_EXCL: keys are never
 * overwritten), or with the system error of a failed write (the partial file is removed).
 */
core::result<void> create_keyring_file(const std::filesystem::path& path);

/**
 * Adds a fresh key with id = highest id + 1 and returns that id. The existing file is loaded
 * (and must pass every check of `load_keyring`), then replaced atomically: the new content is
 * written to a 0600 temporary file in the same directory, fsynced, renamed over `path`, and
 * the directory is fsynced. A crash leaves either the old or the new file, never a mix.
 * The new file is mode 0600 and replaces `path` itself (a symlink at `path` is replaced, not
 * followed). Not safe against two concurrent `add_key` calls on the same file (`enfinitoctl`
 * is the only writer).
 */
core::result<std::uint32_t> add_key(const std::filesystem::path& path);

/**
 * Removes key `id` from the key file (same atomic replacement as `add_key`). Refuses the
 * active key (`key_is_active`) and an id the file does not hold (`no_such_key`). The caller
 * (`enfinitoctl retire-key`) must first make sure no ciphertext still uses the key: this
 * function cannot know, and a retired key's ciphertexts are lost.
 */
core::result<void> remove_key(const std::filesystem::path& path, std::uint32_t id);

}  // namespace enfinito::crypto
