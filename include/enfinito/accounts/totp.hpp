#pragma once
/**
 * @file accounts totp: the pure rules of the TOTP second factor (RFC 6238 over crypto::hotp):
 * the code for a time, the check of a code a person typed (a window of one 30-second step
 * either side for clock drift, and never a step at or before the last one accepted, so a code
 * works once), the secret's base32 text and otpauth:// URI for authenticator apps, and the
 * form of recovery codes. Every function takes `now` (unix milliseconds): tests move a manual
 * clock. The flows that store and use these are accounts/second_factor.hpp.
 */
#include <enfinito/crypto/otp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::accounts::totp {

inline constexpr std::int64_t step_s = 30;       // RFC 6238's default X
inline constexpr int digits = 6;                 // what authenticator apps show
inline constexpr std::size_t secret_bytes = 20;  // 160 bits, RFC 4226's recommendation
inline constexpr std::int64_t window_steps = 1;  // accepted drift, each way

/** The time step of `now_ms` (T = floor(unix s / X), T0 = 0). */
std::int64_t step_at(std::int64_t now_ms, std::int64_t step = step_s) noexcept;

/** The code at `now_ms` for `key`, `n_digits` long (RFC 6238 section 4). */
std::uint32_t code_at(std::string_view key, std::int64_t now_ms, int n_digits = digits,
                      crypto::otp_hash h = crypto::otp_hash::sha1, std::int64_t step = step_s);

/** The code as typed (zero-padded, `n_digits` long). */
std::string code_text(std::uint32_t code, int n_digits = digits);

/**
 * The step `typed` is right for, within the drift window around `now_ms` and after
 * `last_step` (the newest step already used), or nullopt. `typed` may hold spaces; anything
 * else that is not a digit fails.
 */
std::optional<std::int64_t> accept(std::string_view key, std::string_view typed, std::int64_t now_ms,
                                   std::int64_t last_step);

/** RFC 4648 base32 without padding (what authenticator apps take), and back (case and
    spaces forgiven). */
std::string base32(std::string_view bytes);
std::optional<std::string> from_base32(std::string_view text);

/** otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30 */
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret_base32);

/** How many recovery codes an enrolment makes, and their form: 10 base32 characters in two
    groups of five ("abcde-fghij"); `normal_recovery_code` lowercases and drops the dash and
    spaces, or nullopt when the text cannot be one. */
inline constexpr std::size_t recovery_codes = 10;
std::string format_recovery_code(std::string_view ten_chars);
std::optional<std::string> normal_recovery_code(std::string_view typed);

}  // namespace enfinito::accounts::totp
