#pragma once
// The `?limit=&cursor=` of the lists read newest first by a numeric position (broadcasts,
// conversations), read the same way for both. Internal to daemon/lib/api.
#include <enfinito/http/message.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace enfinito::api::detail {

struct page_query {
  std::size_t limit;        // 1 to 100
  std::int64_t before = 0;  // the cursor a previous page gave (0: the newest page)
};

/** `limit`: 1 to 100 (at most 3 digits), default `default_limit`; `cursor`: up to 18 digits. */
inline std::variant<page_query, http::response> read_page_query(const http::request& req, std::size_t default_limit) {
  const auto digits = [](std::string_view v, std::size_t most) {
    return !v.empty() && v.size() <= most &&
           std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  page_query q{default_limit};
  if (auto l = req.query_param("limit")) {
    if (!digits(*l, 3) || std::stoul(*l) < 1 || std::stoul(*l) > 100) return http::field_problem("limit", "1 to 100");
    q.limit = std::stoul(*l);
  }
  if (auto c = req.query_param("cursor")) {
    if (!digits(*c, 18)) return http::field_problem("cursor", "not a cursor from this API");
    q.before = std::stoll(*c);
  }
  return q;
}

}  // namespace enfinito::api::detail
