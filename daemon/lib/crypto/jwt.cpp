// RS256 verification from a JWK (n, e) with OpenSSL 3's provider API (EVP_PKEY_fromdata),
// without the deprecated RSA_* functions.
#include <enfinito/crypto/jwt.hpp>

#include <enfinito/crypto/encoding.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <memory>

namespace enfinito::crypto {
namespace {

struct bn_free {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct bld_free {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct params_free {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct pctx_free {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct pkey_free {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct mdctx_free {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

// A JWK integer: base64url without padding, big-endian, no leading zero octet (RFC 7518
// section 2, "Base64urlUInt"); we tolerate a leading zero in `n` as some encoders emit it.
std::unique_ptr<BIGNUM, bn_free> decode_uint(std::string_view b64) {
  auto bytes = base64url_decode(b64);
  if (!bytes || bytes->empty() || bytes->size() > 2048) return nullptr;
  return std::unique_ptr<BIGNUM, bn_free>(BN_bin2bn(bytes->data(), static_cast<int>(bytes->size()), nullptr));
}

bool verify(std::string_view n_b64url, std::string_view e_b64url, std::string_view input, std::string_view signature) {
  auto n = decode_uint(n_b64url);
  auto e = decode_uint(e_b64url);
  if (!n || !e) return false;
  // Exponent: odd, at least 3, at most 2^32 + 1 (a huge e is a DoS, e = 1 is no signature).
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) > 33 || BN_is_one(e.get())) return false;
  if (BN_num_bits(n.get()) < rs256_min_modulus_bits || BN_num_bits(n.get()) > 8192) return false;
  // PKCS#1 v1.5 signatures are exactly as long as the modulus.
  if (signature.size() != static_cast<std::size_t>(BN_num_bytes(n.get()))) return false;

  std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return false;
  std::unique_ptr<OSSL_PARAM, params_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return false;

  std::unique_ptr<EVP_PKEY_CTX, pctx_free> kctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!kctx || EVP_PKEY_fromdata_init(kctx.get()) != 1) return false;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(kctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return false;
  std::unique_ptr<EVP_PKEY, pkey_free> key(raw);

  std::unique_ptr<EVP_MD_CTX, mdctx_free> md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* vctx = nullptr;  // owned by `md`
  if (!md || EVP_DigestVerifyInit_ex(md.get(), &vctx, "SHA256", nullptr, nullptr, key.get(), nullptr) != 1)
    return false;
  if (EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING) != 1) return false;
  return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

}  // namespace

bool verify_rs256(std::string_view n_b64url, std::string_view e_b64url, std::string_view signing_input,
                  std::string_view signature) noexcept {
  bool ok = false;
  try {
    ok = verify(n_b64url, e_b64url, signing_input, signature);
  } catch (...) {
    ok = false;  // base64url_decode can only throw bad_alloc
  }
  ERR_clear_error();
  return ok;
}

}  // namespace enfinito::crypto
