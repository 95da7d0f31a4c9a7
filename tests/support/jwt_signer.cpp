// Test-only: RSA keys, JWKS and signed tokens, straight from OpenSSL (never used by the daemon).
#include "support/jwt_signer.hpp"

#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <vector>

namespace enfinito::test {
namespace {

std::string bn_b64url(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("get_bn_param");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, bytes.data());
  BN_free(bn);
  return crypto::base64url_encode(bytes);
}

std::string b64(const std::string& s) { return crypto::base64url_encode(s); }

}  // namespace

struct rsa_signer::impl {
  EVP_PKEY* key = nullptr;
  ~impl() { EVP_PKEY_free(key); }
};

rsa_signer::rsa_signer(std::string kid) : impl_(std::make_unique<impl>()), kid_(std::move(kid)) {
  impl_->key = EVP_RSA_gen(2048);
  if (!impl_->key) throw std::runtime_error("EVP_RSA_gen");
  n_ = bn_b64url(impl_->key, OSSL_PKEY_PARAM_RSA_N);
  e_ = bn_b64url(impl_->key, OSSL_PKEY_PARAM_RSA_E);
}
rsa_signer::~rsa_signer() = default;
rsa_signer::rsa_signer(rsa_signer&&) noexcept = default;
rsa_signer& rsa_signer::operator=(rsa_signer&&) noexcept = default;

std::string rsa_signer::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, impl_->key);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

boost::json::object rsa_signer::jwk() const {
  return {{"kty", "RSA"}, {"kid", kid_}, {"use", "sig"}, {"alg", "RS256"}, {"n", n_}, {"e", e_}};
}

std::string rsa_signer::sign(const std::string& input) const {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  std::size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit_ex(md, nullptr, "SHA256", nullptr, nullptr, impl_->key, nullptr) != 1 ||
      EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("sign init");
  sig.resize(len);
  if (EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("sign");
  sig.resize(len);
  EVP_MD_CTX_free(md);
  return sig;
}

std::string rsa_signer::token(const boost::json::object& claims, boost::json::object header) const {
  if (!header.contains("alg")) header["alg"] = "RS256";
  if (!header.contains("kid")) header["kid"] = kid_;
  if (!header.contains("typ")) header["typ"] = "JWT";
  std::string input = b64(boost::json::serialize(header)) + "." + b64(boost::json::serialize(claims));
  return input + "." + b64(sign(input));
}

std::string jwks_json(std::initializer_list<const rsa_signer*> keys) {
  boost::json::array arr;
  for (const auto* k : keys) arr.push_back(k->jwk());
  return boost::json::serialize(boost::json::object{{"keys", std::move(arr)}});
}

std::string unsigned_token(const boost::json::object& claims, const std::string& kid) {
  boost::json::object header{{"alg", "none"}, {"kid", kid}};
  return b64(boost::json::serialize(header)) + "." + b64(boost::json::serialize(claims)) + ".";
}

std::string hs256_token(const boost::json::object& claims, const std::string& kid, const std::string& key) {
  boost::json::object header{{"alg", "HS256"}, {"kid", kid}, {"typ", "JWT"}};
  std::string input = b64(boost::json::serialize(header)) + "." + b64(boost::json::serialize(claims));
  auto mac = crypto::hmac_sha256(key, input);
  return input + "." + crypto::base64url_encode(mac);
}

}  // namespace enfinito::test
