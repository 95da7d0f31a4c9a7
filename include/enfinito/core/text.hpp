#pragma once
// core/text.hpp: the small string helpers every header-shaped parser needs: optional whitespace
// (OWS, RFC 9110 §5.6.3: space and tab) and ASCII case-insensitive comparison (header names,
// codings, media types), and whether text from outside may be repeated in a header value.
// Locale-free on purpose: protocol text is ASCII.
#include <algorithm>
#include <string_view>

namespace enfinito::core {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/** `s` without leading and trailing spaces and tabs. */
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/** True when `a` and `b` are equal ignoring ASCII case. */
constexpr bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/** Text from outside (Meta's media type or hash) we may repeat in a response header: 1 to 200
    bytes of visible ASCII and spaces, so no line break can end the header early. */
inline bool header_value_safe(std::string_view v) noexcept {
  return !v.empty() && v.size() <= 200 && std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace enfinito::core
