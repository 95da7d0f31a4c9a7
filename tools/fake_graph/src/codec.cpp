// codec.cpp owns byte-level helpers: Meta-style \u escaping, HMAC-SHA256, base64, random
// ids and multipart/form-data parsing. OpenSSL is used directly (no enfinito_core).
#include "fake_graph/codec.hpp"

#include "detail.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

namespace enfinito::fake_graph {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned unit) {
  out += "\\u";
  out += hex_digits[(unit >> 12) & 0xF];
  out += hex_digits[(unit >> 8) & 0xF];
  out += hex_digits[(unit >> 4) & 0xF];
  out += hex_digits[unit & 0xF];
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i. Invalid or
// overlong sequences decode as U+FFFD and consume one byte, so the loop always progresses.
unsigned decode_utf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = 0;
  unsigned cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += len;
  return cp;
}

}  // namespace

std::string escape_non_ascii(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Non-ASCII bytes only occur inside JSON strings, so an escape is always legal here.
    const unsigned cp = decode_utf8(in, i);
    if (cp >= 0x10000) {
      const unsigned v = cp - 0x10000;
      append_u_escape(out, 0xD800 + (v >> 10));
      append_u_escape(out, 0xDC00 + (v & 0x3FF));
    } else {
      append_u_escape(out, cp);
    }
  }
  return out;
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  std::string out;
  out.reserve(len * 2);
  for (unsigned k = 0; k < len; ++k) {
    out += hex_digits[mac[k] >> 4];
    out += hex_digits[mac[k] & 0xF];
  }
  return out;
}

std::string hub_signature_256(std::string_view app_secret, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(app_secret, body);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? tbl[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace detail {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::string random_token(std::size_t n) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  const std::string raw = random_bytes(n);
  std::string out(n, 'A');
  for (std::size_t k = 0; k < n; ++k) out[k] = alphabet[static_cast<unsigned char>(raw[k]) & 63];
  return out;
}

std::string sha256_base64(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data());
  return base64_encode(std::string_view(reinterpret_cast<const char*>(md.data()), md.size()));
}

std::string generated_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::uint64_t x = 0x9E3779B97F4A7C15ull ^ n;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 8 == 0) {
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
    }
    out[i] = static_cast<char>((x * 0x2545F4914F6CDD1Dull) >> (8 * (i % 8)));
  }
  return out;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Value of `key=` in a header parameter list such as `form-data; name="file"`.
std::string header_param(std::string_view header, std::string_view key) {
  const std::string low = lower(header);
  std::size_t pos = 0;
  while ((pos = low.find(key, pos)) != std::string::npos) {
    const bool at_boundary = pos == 0 || low[pos - 1] == ';' || low[pos - 1] == ' ';
    const std::size_t eq = pos + key.size();
    if (at_boundary && eq < low.size() && low[eq] == '=') {
      std::string_view rest = header.substr(eq + 1);
      if (!rest.empty() && rest.front() == '"') {
        rest.remove_prefix(1);
        return std::string(rest.substr(0, rest.find('"')));
      }
      return std::string(trim(rest.substr(0, rest.find(';'))));
    }
    pos = eq;
  }
  return {};
}

}  // namespace

std::optional<std::vector<multipart_part>> parse_multipart(std::string_view content_type, std::string_view body) {
  if (lower(content_type).rfind("multipart/form-data", 0) != 0) return std::nullopt;
  const std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) return std::nullopt;
  const std::string delim = "--" + boundary;
  std::vector<multipart_part> parts;
  std::size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return std::nullopt;
  for (int guard = 0; guard < 32; ++guard) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
    const std::size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) return std::nullopt;
    multipart_part part;
    std::string_view head = body.substr(pos, head_end - pos);
    while (!head.empty()) {
      const std::size_t eol = head.find("\r\n");
      const std::string_view line = head.substr(0, eol);
      head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string name = lower(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        part.name = header_param(value, "name");
        part.filename = header_param(value, "filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    const std::size_t data_begin = head_end + 4;
    const std::size_t next = body.find("\r\n" + delim, data_begin);
    if (next == std::string_view::npos) return std::nullopt;
    part.data = std::string(body.substr(data_begin, next - data_begin));
    parts.push_back(std::move(part));
    pos = next + 2;
  }
  return std::nullopt;
}

}  // namespace detail
}  // namespace enfinito::fake_graph
