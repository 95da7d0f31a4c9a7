// CSPRNG access: RAND_bytes, and tokens built from it. Aborts when randomness is unavailable.
#include <enfinito/crypto/random.hpp>

#include <enfinito/crypto/encoding.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <unistd.h>

namespace enfinito::crypto {
namespace {

[[noreturn]] void die_without_randomness() noexcept {
  // No core::log here: logging allocates, and this must work in any state. One write(2).
  static constexpr char msg[] = "level=error event=crypto.random_failed msg=\"CSPRNG failed; aborting\"\n";
  [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
  std::abort();
}

// Random bytes in a temporary buffer that is wiped once the encoding is made.
template <class Encode>
std::string random_encoded(std::size_t bytes, Encode encode) {
  std::vector<unsigned char> buf(bytes);
  random_bytes(buf);
  std::string out = encode(std::span<const unsigned char>(buf));
  if (!buf.empty()) OPENSSL_cleanse(buf.data(), buf.size());
  return out;
}

}  // namespace

void random_bytes(std::span<unsigned char> out) noexcept {
  // RAND_bytes takes an int length: fill in chunks so huge spans are not truncated.
  std::size_t off = 0;
  while (off < out.size()) {
    const std::size_t n = std::min<std::size_t>(out.size() - off, INT_MAX);
    if (RAND_bytes(out.data() + off, static_cast<int>(n)) != 1) die_without_randomness();
    off += n;
  }
}

std::string random_token(std::size_t bytes) {
  return random_encoded(bytes, [](std::span<const unsigned char> b) { return base64url_encode(b); });
}

std::string time_ordered_token(std::size_t bytes) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  char time_hex[13];
  std::snprintf(time_hex, sizeof time_hex, "%012llx",
                static_cast<unsigned long long>(ms) & 0xffffffffffffULL);  // 48 bits: until year 10889
  return std::string(time_hex) + random_token(bytes);
}

std::string random_hex(std::size_t bytes) {
  return random_encoded(bytes, [](std::span<const unsigned char> b) { return hex_encode(b); });
}

}  // namespace enfinito::crypto
