#pragma once
// Byte-exact helpers for what the fake sends to webhooks: Meta's `\uXXXX` escaping of
// non-ASCII text and the X-Hub-Signature-256 HMAC over the exact bytes that go on the wire.
// Public so gateway tests can build and check signed payloads the same way.
#include <string>
#include <string_view>

namespace enfinito::fake_graph {

/** Rewrites serialised JSON so every non-ASCII code point becomes a lowercase `\uXXXX`
 *  escape (a surrogate pair above U+FFFF), as Meta serialises webhook payloads.
 *  Input must be valid UTF-8 (what Boost.JSON emits); invalid bytes become U+FFFD. */
std::string escape_non_ascii(std::string_view utf8_json);

/** Lowercase hex HMAC-SHA256 of data keyed with secret. */
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);

/** The X-Hub-Signature-256 header value: "sha256=" + hmac_sha256_hex(app_secret, body). */
std::string hub_signature_256(std::string_view app_secret, std::string_view body);

/** Standard base64 (with padding). */
std::string base64_encode(std::string_view bytes);

}  // namespace enfinito::fake_graph
