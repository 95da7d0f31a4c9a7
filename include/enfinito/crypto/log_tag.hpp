#pragma once
/**
 * @file crypto::log_tag: how a customer's identifier appears in a log line (docs/security.md,
 * "Identifiers in logs"). Meta's Phone Number ID, WABA ID and App ID, Meta's media ids and the
 * phone numbers of the customers' contacts are not secrets, but they are the customer's: logs
 * never carry them, only a short keyed hash that tells lines about the same identifier apart.
 *
 * The key is 32 random bytes made when the process first needs it and never stored: within
 * one run, equal identifiers have equal tags; nobody reading a log (not even the operator)
 * can compute the tag of a guessed number or recognise a number across restarts. To find the
 * lines about an instance, use its own id (`ins_…`), which every instance log line carries.
 *
 * *Thread safety:* every function may be called concurrently from any thread.
 */
#include <span>
#include <string>
#include <string_view>

namespace enfinito::crypto {

/** `#` + 12 hex digits of HMAC-SHA256(`key`, `id`). */
std::string log_tag(std::span<const unsigned char> key, std::string_view id);

/** The tag of `id` under this process's key. */
std::string log_tag(std::string_view id);

}  // namespace enfinito::crypto
