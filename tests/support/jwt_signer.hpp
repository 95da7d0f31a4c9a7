#pragma once
// Test-only token forger: an RSA key pair made at test time, JWKS output, and ID tokens signed
// with RS256 (or deliberately wrong: alg=none, HS256 with the public key, a bad signature).
#include <boost/json/object.hpp>

#include <memory>
#include <string>

namespace enfinito::test {

class rsa_signer {
 public:
  /** Generates a fresh 2048-bit RSA key (about 50-200 ms). */
  explicit rsa_signer(std::string kid);
  ~rsa_signer();
  rsa_signer(rsa_signer&&) noexcept;
  rsa_signer& operator=(rsa_signer&&) noexcept;

  const std::string& kid() const { return kid_; }
  /** base64url modulus and exponent. */
  const std::string& n() const { return n_; }
  const std::string& e() const { return e_; }
  /** The public key as PEM (SubjectPublicKeyInfo). */
  std::string public_pem() const;
  /** This key as one JWK object ({kty, kid, use, alg, n, e}). */
  boost::json::object jwk() const;

  /** Raw RS256 signature of `input`. */
  std::string sign(const std::string& input) const;
  /** header.payload.signature with the given header (kid/alg added when absent). */
  std::string token(const boost::json::object& claims, boost::json::object header = {}) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string kid_, n_, e_;
};

/** A JWKS document holding these keys. */
std::string jwks_json(std::initializer_list<const rsa_signer*> keys);

/** `{"alg":"none"}` token with an empty signature. */
std::string unsigned_token(const boost::json::object& claims, const std::string& kid);
/** HS256 token whose HMAC key is `key` (the classic public-key-as-secret confusion). */
std::string hs256_token(const boost::json::object& claims, const std::string& kid, const std::string& key);

}  // namespace enfinito::test
