// SHA-256, HMAC-SHA256 (one re-keyed EVP_MAC context per thread) and constant-time compare.
#include <enfinito/crypto/hash.hpp>

#include <enfinito/crypto/encoding.hpp>
#include "crypto/detail/openssl.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

namespace enfinito::crypto {
namespace {

// Algorithms are fetched once per process: an implicit fetch (EVP_sha256(), EVP_Q_mac) looks
// the provider up on every call, which in OpenSSL 3 costs more than hashing 1 KiB.
EVP_MD* sha256_md() {
  static EVP_MD* md = detail::check_ptr(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md;
}

EVP_MAC* hmac_mac() {
  static EVP_MAC* mac = detail::check_ptr(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return mac;
}

// One HMAC context per thread, configured for SHA-256 once. EVP_MAC_init with a new key
// re-keys it; contexts are not thread-safe, hence thread_local. The context keeps the
// key-derived pad state of the last key until the next call or thread exit; the keys it
// sees (app secrets, the lookup key) live in this process's memory anyway.
struct hmac_context {
  detail::mac_ctx_ptr ctx;
  hmac_context() : ctx(detail::check_ptr(EVP_MAC_CTX_new(hmac_mac()))) {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    detail::check(EVP_MAC_CTX_set_params(ctx.get(), params));
  }
};

}  // namespace

digest256 sha256(std::string_view data) {
  digest256 out;
  unsigned int len = 0;
  detail::check(EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr));
  return out;
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

sha256_stream::sha256_stream() {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(detail::check_ptr(EVP_MD_CTX_new()), &EVP_MD_CTX_free);
  detail::check(EVP_DigestInit_ex(ctx.get(), sha256_md(), nullptr));  // throws: ctx is freed
  ctx_ = ctx.release();
}
sha256_stream::~sha256_stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void sha256_stream::update(std::string_view piece) {
  detail::check(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), piece.data(), piece.size()));
}
digest256 sha256_stream::finish() {
  digest256 out;
  unsigned int len = 0;
  detail::check(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len));
  return out;
}

digest256 hmac_sha256(std::span<const unsigned char> key, std::string_view data) {
  thread_local hmac_context h;
  // A null key pointer tells EVP_MAC_init to keep the previous key: an empty key must still
  // be a non-null pointer, or it would silently reuse the last caller's key.
  static const unsigned char empty_key = 0;
  const unsigned char* k = key.empty() ? &empty_key : key.data();
  detail::check(EVP_MAC_init(h.ctx.get(), k, key.size(), nullptr));
  detail::check(EVP_MAC_update(h.ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()));
  digest256 out;
  std::size_t len = 0;
  detail::check(EVP_MAC_final(h.ctx.get(), out.data(), &len, out.size()));
  detail::check(len == out.size());
  return out;
}

digest256 hmac_sha256(std::string_view key, std::string_view data) {
  return hmac_sha256(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(key.data()), key.size()),
                     data);
}

std::string hmac_sha256_hex(std::span<const unsigned char> key, std::string_view data) {
  return hex_encode(hmac_sha256(key, data));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) { return hex_encode(hmac_sha256(key, data)); }

bool constant_time_equal(std::string_view expected, std::string_view given) noexcept {
  if (expected.size() != given.size()) {
    // Same work as a real comparison of `expected`, so the time reveals only its length.
    (void)CRYPTO_memcmp(expected.data(), expected.data(), expected.size());
    return false;
  }
  return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace enfinito::crypto
