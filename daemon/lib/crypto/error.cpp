// The crypto error category: fixed, secret-free messages for crypto::error.
#include <enfinito/crypto/error.hpp>

#include <string>

namespace enfinito::crypto {
namespace {

class category final : public boost::system::error_category {
 public:
  // A fixed id makes codes from this category compare equal across shared objects.
  category() noexcept : error_category(0x656e66696e63727ull) {}
  const char* name() const noexcept override { return "enfinito.crypto"; }

  std::string message(int ev) const override { return message(ev, nullptr, 0); }

  const char* message(int ev, char*, std::size_t) const noexcept override {
    switch (static_cast<error>(ev)) {
      case error::decrypt_failed:
        return "decryption failed (corrupt, tampered, truncated, or bound to another field)";
      case error::unknown_key_id:
        return "ciphertext was sealed under a key id the keyring does not hold";
      case error::invalid_encoding:
        return "invalid hex or base64 encoding";
      case error::key_file_missing:
        return "key file does not exist";
      case error::key_file_insecure:
        return "key file is group- or world-accessible; it must be mode 0600 or 0400";
      case error::key_file_not_regular:
        return "key file is not a regular file";
      case error::key_file_exists:
        return "key file already exists; refusing to overwrite keys";
      case error::bad_key_length:
        return "key file holds a key that is not exactly 32 bytes";
      case error::malformed_key_file:
        return "key file has a malformed line (expected '<id> <base64>' or 'lookup <base64>')";
      case error::duplicate_key_id:
        return "key file repeats a key id or the lookup key";
      case error::no_keys:
        return "key file holds no numbered key";
      case error::missing_lookup_key:
        return "key file holds no 'lookup' key";
      case error::key_id_exhausted:
        return "key ids exhausted";
      case error::tls_certificate:
        return "TLS certificate file could not be loaded";
      case error::tls_private_key:
        return "TLS private key file could not be loaded";
      case error::tls_key_mismatch:
        return "TLS private key does not match the certificate";
      case error::tls_trust_store:
        return "TLS trust store (CA file or system default) could not be loaded";
      case error::tls_bad_host:
        return "TLS host name is empty or could not be set";
      case error::tls_context:
        return "TLS context could not be created or configured";
      case error::no_such_key:
        return "the key file holds no key with that id";
      case error::key_is_active:
        return "the active (highest) key cannot be retired";
    }
    return "unknown crypto error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace enfinito::crypto
