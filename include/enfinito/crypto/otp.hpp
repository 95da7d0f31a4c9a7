#pragma once
/**
 * @file crypto::hotp: the HMAC-based one-time password of RFC 4226 (section 5.3, dynamic
 * truncation), with the hash functions RFC 6238 allows. TOTP (the time part, the replay rule)
 * is accounts/totp.hpp, built on this. Pure, no I/O; any thread.
 */
#include <cstdint>
#include <string_view>

namespace enfinito::crypto {

enum class otp_hash { sha1, sha256, sha512 };

/** The `digits`-digit code (6..9) for `key` at `counter`. */
std::uint32_t hotp(std::string_view key, std::uint64_t counter, int digits = 6, otp_hash h = otp_hash::sha1);

}  // namespace enfinito::crypto
