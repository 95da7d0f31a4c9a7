// crypto::hotp: RFC 4226 one-time passwords over OpenSSL's one-shot HMAC (see
// include/enfinito/crypto/otp.hpp).
#include <enfinito/crypto/otp.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace enfinito::crypto {

std::uint32_t hotp(std::string_view key, std::uint64_t counter, int digits, otp_hash h) {
  const EVP_MD* md = h == otp_hash::sha1 ? EVP_sha1() : h == otp_hash::sha256 ? EVP_sha256() : EVP_sha512();
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i, counter >>= 8) msg[i] = static_cast<unsigned char>(counter & 0xff);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &len) || len < 20) return 0;
  // Dynamic truncation: the low nibble of the last byte picks 4 bytes, top bit cleared.
  const unsigned off = mac[len - 1] & 0x0f;
  const std::uint32_t bin = (static_cast<std::uint32_t>(mac[off] & 0x7f) << 24) |
                            (static_cast<std::uint32_t>(mac[off + 1]) << 16) |
                            (static_cast<std::uint32_t>(mac[off + 2]) << 8) | mac[off + 3];
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  return bin % mod;
}

}  // namespace enfinito::crypto
