#pragma once
/**
 * @file AES-256-GCM authenticated encryption with associated data (OpenSSL EVP).
 *
 * Sealed format: `nonce (12 bytes) || ciphertext (same length as plaintext) || tag (16 bytes)`.
 * The nonce is fresh from the CSPRNG on every seal. With random 96-bit nonces a key must not
 * seal more than about 2^32 messages (NIST SP 800-38D, section 8.3); the vault's versioned
 * keys are how a key is retired long before that.
 *
 * `open` accepts only full 16-byte tags. OpenSSL 3.0 will verify a truncated tag if it is
 * handed one, which would let an attacker forge with far fewer tries; here the tag is always
 * the last 16 bytes, so a shortened input leaves ciphertext bytes in the tag position and fails.
 * Every failure (short input, tampering, wrong key, wrong associated data) is the same
 * `crypto::error::decrypt_failed`, and plaintext that OpenSSL wrote before the tag check is
 * wiped before returning.
 *
 * Binary values travel in `std::string` / `std::string_view` because they are stored as SQLite
 * BLOBs through the same types.
 *
 * *Thread safety:* any thread; each thread reuses its own cipher context.
 * *Errors:* `open` returns `decrypt_failed`; `seal` cannot fail on valid input and throws only
 * `std::bad_alloc`.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/secret.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace enfinito::crypto {

/** A 256-bit key; the fixed extent makes a key of the wrong size a compile-time error. */
using aead_key = std::span<const unsigned char, 32>;

inline constexpr std::size_t aead_nonce_size = 12;
inline constexpr std::size_t aead_tag_size = 16;
/** Bytes `seal` adds to the plaintext. */
inline constexpr std::size_t aead_overhead = aead_nonce_size + aead_tag_size;

/** Encrypts `plaintext` bound to `aad`; returns `nonce || ciphertext || tag`. */
std::string seal(aead_key key, std::string_view aad, std::string_view plaintext);

/** Like `seal`, but appends to `out` (lets a caller put a header in front without a copy). */
void seal_append(aead_key key, std::string_view aad, std::string_view plaintext, std::string& out);

/** Decrypts and verifies `nonce || ciphertext || tag` under `key` and `aad`. */
core::result<core::secret_string> open(aead_key key, std::string_view aad, std::string_view sealed);

}  // namespace enfinito::crypto
