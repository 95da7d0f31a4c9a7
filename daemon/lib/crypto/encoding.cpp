// Hex and base64/base64url codecs. Hand-written rather than EVP_EncodeBlock/EVP_DecodeBlock,
// because OpenSSL's decoder skips whitespace, tolerates bad padding and pads its output with
// zero bytes: too lax for tokens and keys that arrive from outside.
#include <enfinito/crypto/encoding.hpp>

#include <enfinito/crypto/error.hpp>

#include <array>
#include <cstdint>

namespace enfinito::crypto {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";
constexpr char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Reverse table: 0..63 for alphabet characters, 0xff for everything else.
constexpr std::array<std::uint8_t, 256> reverse_table(const char* alphabet) {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}
constexpr auto rev_std = reverse_table(b64_std);
constexpr auto rev_url = reverse_table(b64_url);

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::span<const unsigned char> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

std::string b64_encode(std::span<const unsigned char> in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{in[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

// Decodes unpadded data (the caller strips and checks padding). Rejects a length of 1 mod 4,
// characters outside the alphabet and non-zero unused bits (non-canonical encodings).
core::result<std::vector<unsigned char>> b64_decode(std::string_view in, const std::array<std::uint8_t, 256>& rev) {
  if (in.size() % 4 == 1) return error::invalid_encoding;
  std::vector<unsigned char> out;
  out.reserve(in.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const std::uint8_t v = rev[static_cast<unsigned char>(c)];
    if (v == 0xff) return error::invalid_encoding;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits (2 or 4) must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return error::invalid_encoding;
  return out;
}

}  // namespace

std::string hex_encode(std::span<const unsigned char> data) {
  std::string out;
  out.resize(data.size() * 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = hex_digits[data[i] >> 4];
    out[2 * i + 1] = hex_digits[data[i] & 0x0f];
  }
  return out;
}

std::string hex_encode(std::string_view data) { return hex_encode(as_bytes(data)); }

core::result<std::vector<unsigned char>> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return error::invalid_encoding;
  std::vector<unsigned char> out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return error::invalid_encoding;
    out[i] = static_cast<unsigned char>((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(std::span<const unsigned char> data) { return b64_encode(data, b64_std, true); }
std::string base64_encode(std::string_view data) { return base64_encode(as_bytes(data)); }

core::result<std::vector<unsigned char>> base64_decode(std::string_view text) {
  // Padded base64 is always a multiple of 4 long, with at most two '=' at the very end.
  if (text.size() % 4 != 0) return error::invalid_encoding;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return b64_decode(text.substr(0, text.size() - pad), rev_std);
}

std::string base64url_encode(std::span<const unsigned char> data) { return b64_encode(data, b64_url, false); }
std::string base64url_encode(std::string_view data) { return base64url_encode(as_bytes(data)); }

core::result<std::vector<unsigned char>> base64url_decode(std::string_view text) { return b64_decode(text, rev_url); }

}  // namespace enfinito::crypto
