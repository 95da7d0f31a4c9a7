// crypto::log_tag: short keyed hashes of customers' identifiers for log lines (see
// include/enfinito/crypto/log_tag.hpp).
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/log_tag.hpp>
#include <enfinito/crypto/random.hpp>

#include <array>

namespace enfinito::crypto {

std::string log_tag(std::span<const unsigned char> key, std::string_view id) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto mac = hmac_sha256(key, id);
  std::string out = "#";
  for (std::size_t i = 0; i < 6; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0xf];
  }
  return out;
}

std::string log_tag(std::string_view id) {
  static const std::array<unsigned char, 32> key = [] {
    std::array<unsigned char, 32> k{};
    random_bytes(k);
    return k;
  }();
  return log_tag(key, id);
}

}  // namespace enfinito::crypto
