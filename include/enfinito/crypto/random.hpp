#pragma once
/**
 * @file Cryptographically secure random bytes, tokens and hex strings (OpenSSL's CSPRNG).
 *
 * These functions never fail: if the CSPRNG cannot deliver, the process aborts, because
 * nothing Enfinito does (nonces, session ids, API keys) is safe without randomness and there
 * is no sensible fallback. *Thread safety:* all functions may be called from any thread.
 */
#include <cstddef>
#include <span>
#include <string>

namespace enfinito::crypto {

/** Fills `out` with random bytes (RAND_bytes). Aborts the process if the CSPRNG fails. */
void random_bytes(std::span<unsigned char> out) noexcept;

/** `bytes` random bytes as base64url without padding (e.g. 32 bytes -> 43 characters). */
std::string random_token(std::size_t bytes);

/**
 * A random token that sorts by creation time: the current unix time in milliseconds as 12 hex
 * digits, then `bytes` random bytes as base64url. For ids that are a table's unique key: new
 * ids land at the right edge of the index instead of on a random page, which a random id
 * costs one page write per insert once the table outgrows the cache. Unguessable all the same.
 */
std::string time_ordered_token(std::size_t bytes);

/** `bytes` random bytes as lowercase hex (2 * `bytes` characters). */
std::string random_hex(std::size_t bytes);

}  // namespace enfinito::crypto
