#pragma once
/**
 * @file RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature verification against an RSA public
 * key given as a JWK's `n` and `e` (RFC 7518 section 6.3.1: unpadded base64url big-endian
 * integers). Used by auth::oidc to verify ID tokens; the JOSE header checks (`alg`, `kid`,
 * header-supplied keys) are the caller's job, this function only does the mathematics.
 *
 * *Thread safety:* may be called concurrently from any thread.
 * *Errors:* none reported: any malformed key, a key shorter than 2048 bits, an even or tiny
 * exponent, or a wrong signature gives `false`. OpenSSL's error queue is cleared.
 */
#include <string_view>

namespace enfinito::crypto {

/** Smallest RSA modulus accepted, in bits (NIST SP 800-131A; Google's keys are 2048). */
inline constexpr int rs256_min_modulus_bits = 2048;

/**
 * True when `signature` (raw bytes, not base64) is a valid RS256 signature of
 * `signing_input` under the RSA public key (`n_b64url`, `e_b64url`).
 */
bool verify_rs256(std::string_view n_b64url, std::string_view e_b64url, std::string_view signing_input,
                  std::string_view signature) noexcept;

}  // namespace enfinito::crypto
