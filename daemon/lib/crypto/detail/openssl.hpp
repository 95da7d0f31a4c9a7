#pragma once
// Private to the crypto module: RAII handles for OpenSSL objects and the policy for OpenSSL
// failures that cannot be caused by input (allocation, a broken provider).
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <new>

namespace enfinito::crypto::detail {

struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct mac_ctx_deleter {
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, mac_ctx_deleter>;

/** An OpenSSL call that cannot fail on valid arguments failed: out of memory (or a broken
    library, which we cannot tell apart). Clears OpenSSL's error queue and throws bad_alloc,
    the same outcome as any other allocation failure in the daemon. */
[[noreturn]] inline void internal_failure() {
  ERR_clear_error();
  throw std::bad_alloc();
}

inline void check(int ok) {
  if (ok != 1) internal_failure();
}
inline void check(bool ok) {
  if (!ok) internal_failure();
}
template <class T>
T* check_ptr(T* p) {
  if (!p) internal_failure();
  return p;
}

}  // namespace enfinito::crypto::detail
