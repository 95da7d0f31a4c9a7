#pragma once
/**
 * @file The shapes ids may have, checked before an id reaches SQL, a file path or JSON.
 *
 * Enfinito's ids are a prefix and URL-safe random (`ins_…`, `msg_…`): letters, digits, `_` and
 * `-`, nothing a URL, a path component or a JSON string would need to escape. Meta's Graph ids
 * (media ids) are decimal. Each caller adds its own length and prefix rules.
 */
#include <algorithm>
#include <cstddef>
#include <string_view>

namespace enfinito::core {

/** A letter, digit, `_` or `-` (ASCII; no locale). */
constexpr bool url_safe_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/** Every character of `s` is url_safe_char (true for an empty `s`: callers bound the length). */
constexpr bool url_safe_chars(std::string_view s) noexcept { return std::all_of(s.begin(), s.end(), url_safe_char); }

/** One of our ids: starts with `prefix`, at most `max` characters, all url_safe_char. */
constexpr bool id_like(std::string_view s, std::string_view prefix, std::size_t max = 64) noexcept {
  return s.size() > prefix.size() && s.size() <= max && s.starts_with(prefix) && url_safe_chars(s);
}

/** A Graph id (a media id): 1 to `max` decimal digits. */
constexpr bool graph_id_like(std::string_view s, std::size_t max = 32) noexcept {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace enfinito::core
