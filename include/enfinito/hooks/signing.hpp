#pragma once
/**
 * @file hooks::signing: the sans-I/O half of customer webhooks out: signing secrets, the two
 * signature schemes, the retry schedule and Retry-After parsing. No sockets, no SQL: unit
 * tests drive every function directly.
 *
 * Standard Webhooks (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of
 * random bytes; the signature is `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{timestamp}.{body}"))
 * where key is the base64-decoded part after the prefix. Meta's scheme (format `meta`):
 * `X-Hub-Signature-256: sha256=` + hex(HMAC-SHA256(secret, body)), keyed with the whole secret
 * string as the customer sees it (like an App Secret).
 */
#include <enfinito/core/secret.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::hooks {

inline constexpr std::string_view secret_prefix = "whsec_";

/** A new signing secret: `whsec_` + base64 of 24 random bytes. */
core::secret_string new_secret();

/** `v1,<base64 signature>` for Standard Webhooks; nullopt when the secret is malformed. */
std::optional<std::string> standard_signature(std::string_view secret, std::string_view id, std::int64_t timestamp_s,
                                              std::string_view body);

/** `sha256=<hex>` as Meta's X-Hub-Signature-256. */
std::string meta_signature(std::string_view secret, std::string_view body);

/** Exponential backoff with jitter: attempt 1 waits ~base, each next one twice as long, capped
    at `max`; the wait is drawn uniformly from [3/4, 1] of that (so retries do not stampede). */
std::chrono::milliseconds backoff(unsigned attempt, std::chrono::milliseconds base, std::chrono::milliseconds max);

/** A Retry-After value (delay seconds or an HTTP-date) as a delay from `now_s`; nullopt when
    unreadable. A date in the past gives 0. */
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v, std::int64_t now_s);

}  // namespace enfinito::hooks
