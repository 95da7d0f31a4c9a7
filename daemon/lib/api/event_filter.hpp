#pragma once
// The event filters shared by GET /v1/events and GET /v1/stream: "a,b,c" lists of event types
// and instance ids, and decimal ids and counts. Internal to daemon/lib/api.
#include <enfinito/core/ids.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::api::detail {

inline constexpr std::size_t max_filter_items = 20;

// "a,b,c" → items; false when an item is empty or fails `ok`, or there are too many.
template <class Ok>
bool split_list(std::string_view s, std::vector<std::string>& out, Ok ok) {
  while (true) {
    auto comma = s.find(',');
    auto item = s.substr(0, comma);
    if (item.empty() || !ok(item) || out.size() == max_filter_items) return false;
    if (std::find(out.begin(), out.end(), item) == out.end()) out.emplace_back(item);
    if (comma == std::string_view::npos) return true;
    s = s.substr(comma + 1);
  }
}

inline bool event_type_like(std::string_view t) {
  return t.size() <= 64 && std::all_of(t.begin(), t.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
         });
}

inline bool instance_id_like(std::string_view t) { return t.size() <= 64 && core::url_safe_chars(t); }

// A decimal integer in [lo, hi], nothing else.
inline std::optional<std::int64_t> parse_count(std::string_view s, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

}  // namespace enfinito::api::detail
