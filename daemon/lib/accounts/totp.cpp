// accounts totp: the pure rules of the TOTP second factor (see include/enfinito/accounts/totp.hpp).
#include <enfinito/accounts/totp.hpp>

#include <cctype>

namespace enfinito::accounts::totp {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// RFC 3986 unreserved characters pass; everything else is %XX.
std::string percent(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out.append({'%', hex[c >> 4], hex[c & 15]});
  }
  return out;
}

}  // namespace

std::int64_t step_at(std::int64_t now_ms, std::int64_t step) noexcept { return now_ms < 0 ? 0 : now_ms / 1000 / step; }

std::uint32_t code_at(std::string_view key, std::int64_t now_ms, int n_digits, crypto::otp_hash h, std::int64_t step) {
  return crypto::hotp(key, static_cast<std::uint64_t>(step_at(now_ms, step)), n_digits, h);
}

std::string code_text(std::uint32_t code, int n_digits) {
  std::string s = std::to_string(code);
  if (s.size() < static_cast<std::size_t>(n_digits)) s.insert(0, n_digits - s.size(), '0');
  return s;
}

std::optional<std::int64_t> accept(std::string_view key, std::string_view typed, std::int64_t now_ms,
                                   std::int64_t last_step) {
  std::string code;
  for (char c : typed) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    code += c;
  }
  if (code.size() != static_cast<std::size_t>(digits)) return std::nullopt;
  const std::int64_t now_step = step_at(now_ms);
  for (std::int64_t t = now_step - window_steps; t <= now_step + window_steps; ++t) {
    if (t <= last_step || t < 0) continue;
    // Both sides are six digits of text: a plain compare is constant-time enough for a
    // value that changes every 30 seconds, and the throttle bounds the guesses.
    if (code_text(crypto::hotp(key, static_cast<std::uint64_t>(t), digits)) == code) return t;
  }
  return std::nullopt;
}

std::string base32(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> from_base32(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == ' ' || ch == '=') continue;
    const auto pos = alphabet.find(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(pos);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret_base32) {
  return "otpauth://totp/" + percent(issuer) + ":" + percent(account) + "?secret=" + std::string(secret_base32) +
         "&issuer=" + percent(issuer) + "&algorithm=SHA1&digits=" + std::to_string(digits) +
         "&period=" + std::to_string(step_s);
}

std::string format_recovery_code(std::string_view ten_chars) {
  std::string s;
  for (char c : ten_chars) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s.substr(0, 5) + "-" + s.substr(5);
}

std::optional<std::string> normal_recovery_code(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char up = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (alphabet.find(up) == std::string_view::npos) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.size() != 10) return std::nullopt;
  return out;
}

}  // namespace enfinito::accounts::totp
