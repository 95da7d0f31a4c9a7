// AES-256-GCM seal/open over EVP, with one cipher context per thread.
#include <enfinito/crypto/aead.hpp>

#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/random.hpp>

#include "crypto/detail/openssl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>

namespace enfinito::crypto {
namespace {

EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* c = detail::check_ptr(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  return c;
}

// One context per thread. The first init names the cipher; later inits pass a null cipher,
// which in OpenSSL 3 keeps the provider context and only re-keys it (passing the cipher again
// would free and re-create it on every call). The default GCM IV length is 12 bytes.
EVP_CIPHER_CTX* thread_ctx() {
  struct holder {
    detail::cipher_ctx_ptr ctx{detail::check_ptr(EVP_CIPHER_CTX_new())};
    holder() { detail::check(EVP_CipherInit_ex2(ctx.get(), aes_256_gcm(), nullptr, nullptr, 1, nullptr)); }
  };
  thread_local holder h;
  return h.ctx.get();
}

const unsigned char* bytes(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

// EVP lengths are ints; credentials are tiny, but a caller must not be able to wrap them.
bool fits_int(std::size_t n) noexcept { return n <= static_cast<std::size_t>(INT_MAX) - 64; }

}  // namespace

void seal_append(aead_key key, std::string_view aad, std::string_view plaintext, std::string& out) {
  detail::check(fits_int(plaintext.size()) && fits_int(aad.size()));
  const std::size_t start = out.size();
  out.resize(start + aead_nonce_size + plaintext.size() + aead_tag_size);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + start);
  auto* ct = nonce + aead_nonce_size;
  auto* tag = ct + plaintext.size();
  random_bytes({nonce, aead_nonce_size});

  EVP_CIPHER_CTX* ctx = thread_ctx();
  int len = 0;
  detail::check(EVP_EncryptInit_ex2(ctx, nullptr, key.data(), nonce, nullptr));
  if (!aad.empty()) detail::check(EVP_EncryptUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())));
  if (!plaintext.empty())
    detail::check(EVP_EncryptUpdate(ctx, ct, &len, bytes(plaintext), static_cast<int>(plaintext.size())));
  detail::check(EVP_EncryptFinal_ex(ctx, ct + plaintext.size(), &len));
  detail::check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, aead_tag_size, tag));
}

std::string seal(aead_key key, std::string_view aad, std::string_view plaintext) {
  std::string out;
  seal_append(key, aad, plaintext, out);
  return out;
}

core::result<core::secret_string> open(aead_key key, std::string_view aad, std::string_view sealed) {
  // The tag is always the last 16 bytes: never hand OpenSSL a shorter one (see aead.hpp).
  if (sealed.size() < aead_overhead || !fits_int(sealed.size()) || !fits_int(aad.size())) return error::decrypt_failed;
  const auto* nonce = bytes(sealed);
  const std::size_t ct_len = sealed.size() - aead_overhead;
  const auto* ct = nonce + aead_nonce_size;
  // The ctrl takes a non-const pointer; copy the tag rather than cast constness away.
  unsigned char tag[aead_tag_size];
  std::copy_n(ct + ct_len, aead_tag_size, tag);

  // Reserve past the small-string buffer so the plaintext lives on the heap: moving it into
  // the secret then moves the pointer, and no copy is left behind in a moved-from SSO buffer.
  std::string plain;
  plain.reserve(std::max<std::size_t>(ct_len, 32));
  plain.resize(ct_len);
  auto* pt = reinterpret_cast<unsigned char*>(plain.data());

  EVP_CIPHER_CTX* ctx = thread_ctx();
  int len = 0;
  bool ok = EVP_DecryptInit_ex2(ctx, nullptr, key.data(), nonce, nullptr) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1) &&
            (ct_len == 0 || EVP_DecryptUpdate(ctx, pt, &len, ct, static_cast<int>(ct_len)) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, aead_tag_size, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx, pt + ct_len, &len) == 1;
  if (!ok) {
    // GCM decrypts before it authenticates: wipe what was written, drop OpenSSL's error queue
    // so nothing about the failure leaks into a later, unrelated error report.
    OPENSSL_cleanse(plain.data(), plain.size());
    ERR_clear_error();
    return error::decrypt_failed;
  }
  return core::secret_string(std::move(plain));
}

}  // namespace enfinito::crypto
