#pragma once
/**
 * @file Error codes of the crypto module (vault, keyring, AEAD, encodings, TLS contexts).
 *
 * Every message is a fixed string: no key material, plaintext, file content or other
 * caller-supplied text can reach an error message. Callers that want to say *which* file was
 * refused add the path themselves (a path is not a secret).
 */
#include <enfinito/core/error.hpp>

#include <boost/system/error_category.hpp>

#include <type_traits>

namespace enfinito::crypto {

/** Failures reported by the crypto module. Zero is reserved for success. */
enum class error {
  /** AEAD open failed: tampered, truncated, wrong key, wrong associated data. One code on
      purpose, so a caller cannot learn which check failed. */
  decrypt_failed = 1,
  /** A vault blob names a key id the keyring does not hold. */
  unknown_key_id,
  /** Text is not valid hex / base64 / base64url. */
  invalid_encoding,
  /** The key file does not exist. */
  key_file_missing,
  /** The key file is group- or world-accessible (mode & 077 != 0). */
  key_file_insecure,
  /** The key file is not a regular file. */
  key_file_not_regular,
  /** The key file already exists (refusing to overwrite keys). */
  key_file_exists,
  /** A key in the key file is not exactly 32 bytes. */
  bad_key_length,
  /** A line of the key file is neither `<id> <base64>`, `lookup <base64>`, a comment nor blank. */
  malformed_key_file,
  /** Two lines of the key file carry the same key id (or two `lookup` lines). */
  duplicate_key_id,
  /** The key file holds no numbered key. */
  no_keys,
  /** The key file holds no `lookup` key. */
  missing_lookup_key,
  /** Key ids are exhausted (the next id would overflow 32 bits). */
  key_id_exhausted,
  /** TLS: the certificate (chain) file could not be loaded. */
  tls_certificate,
  /** TLS: the private key file could not be loaded. */
  tls_private_key,
  /** TLS: the private key does not match the certificate. */
  tls_key_mismatch,
  /** TLS: the CA file or the system trust store could not be loaded. */
  tls_trust_store,
  /** TLS: the host name is empty or SNI could not be set. */
  tls_bad_host,
  /** TLS: OpenSSL could not create or configure a context. */
  tls_context,
  /** The key file holds no key with that id (retire). */
  no_such_key,
  /** The active (highest) key cannot be retired: it seals every new ciphertext. */
  key_is_active,
};

/** The category of `crypto::error`; its name is "enfinito.crypto". */
const boost::system::error_category& error_category() noexcept;

/** Makes an `error_code` from a `crypto::error` (found by argument-dependent lookup). */
inline core::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace enfinito::crypto

template <>
struct boost::system::is_error_code_enum<enfinito::crypto::error> : std::true_type {};
