#pragma once
/**
 * @file Hex, base64 (RFC 4648 section 4) and base64url (section 5) encoders and strict decoders.
 *
 * The decoders are strict on purpose, because their inputs are tokens, keys and signatures
 * from outside: any character outside the alphabet (including whitespace and line breaks) is
 * rejected, standard base64 must carry exactly the right padding, base64url must carry none,
 * and unused trailing bits must be zero, so every byte string has exactly one accepted
 * encoding. Hex decoding accepts both cases. Errors are `crypto::error::invalid_encoding`.
 *
 * Binary data is passed as `std::span<const unsigned char>`; text that happens to hold bytes
 * (a `std::string` blob) can use the `std::string_view` overloads.
 */
#include <enfinito/core/error.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::crypto {

/** Lowercase hex of `data`. */
std::string hex_encode(std::span<const unsigned char> data);
/** Lowercase hex of the bytes of `data`. */
std::string hex_encode(std::string_view data);
/** Decodes hex (either case); odd length or a non-hex character is `invalid_encoding`. */
core::result<std::vector<unsigned char>> hex_decode(std::string_view text);

/** Standard base64 with `=` padding. */
std::string base64_encode(std::span<const unsigned char> data);
std::string base64_encode(std::string_view data);
/** Decodes padded standard base64; anything non-canonical is `invalid_encoding`. */
core::result<std::vector<unsigned char>> base64_decode(std::string_view text);

/** base64url (`-` and `_`) without padding. */
std::string base64url_encode(std::span<const unsigned char> data);
std::string base64url_encode(std::string_view data);
/** Decodes unpadded base64url; `=`, `+`, `/` or any other stray character is `invalid_encoding`. */
core::result<std::vector<unsigned char>> base64url_decode(std::string_view text);

}  // namespace enfinito::crypto
