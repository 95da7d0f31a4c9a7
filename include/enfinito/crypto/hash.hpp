#pragma once
/**
 * @file SHA-256, HMAC-SHA256 and constant-time comparison.
 *
 * HMAC runs on every inbound Meta webhook (X-Hub-Signature-256), so it keeps one EVP_MAC
 * context per thread and re-keys it on each call instead of fetching the algorithm and
 * allocating a context every time as the one-shot `HMAC()` does in OpenSSL 3
 * (tools/bench/crypto_bench.cpp measures the difference).
 *
 * *Thread safety:* every function may be called concurrently from any thread.
 * *Errors:* none; an OpenSSL failure inside these functions means memory is exhausted or the
 * library is broken, and throws `std::bad_alloc` (see detail/openssl.hpp).
 */
#include <array>
#include <span>
#include <string>
#include <string_view>

namespace enfinito::crypto {

using digest256 = std::array<unsigned char, 32>;

/** SHA-256 of `data`. */
digest256 sha256(std::string_view data);
/** SHA-256 of `data` as lowercase hex (64 characters). */
std::string sha256_hex(std::string_view data);

/**
 * SHA-256 of data that arrives in pieces (a download as it streams to disk).
 *
 * One object per stream, used by one thread at a time; `finish` once, after the last piece.
 */
class sha256_stream {
 public:
  sha256_stream();
  ~sha256_stream();
  sha256_stream(const sha256_stream&) = delete;
  sha256_stream& operator=(const sha256_stream&) = delete;
  void update(std::string_view piece);
  digest256 finish();

 private:
  void* ctx_ = nullptr;  // EVP_MD_CTX, kept out of this header
};

/** HMAC-SHA256 of `data` under `key` (any length, including empty). */
digest256 hmac_sha256(std::span<const unsigned char> key, std::string_view data);
/** HMAC-SHA256 under a key given as text (e.g. a Meta App Secret). */
digest256 hmac_sha256(std::string_view key, std::string_view data);
/** HMAC-SHA256 as lowercase hex, the form of Meta's `sha256=<hex>` signature header. */
std::string hmac_sha256_hex(std::span<const unsigned char> key, std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/**
 * Compares two byte strings in time that does not depend on where they differ.
 *
 * Lengths are not secret (a signature's length is public): when they differ the result is
 * false, but `expected` is still scanned in full, so the time depends only on the length of
 * `expected`, never on the content of either. Pass the value you computed as `expected` and
 * the value the peer sent as `given`.
 */
bool constant_time_equal(std::string_view expected, std::string_view given) noexcept;

}  // namespace enfinito::crypto
