#pragma once
/**
 * @file core::cursor_page: one page of a list as the REST API shows it, `{data, next_cursor}`,
 * the cursor a decimal string (the position to continue from) or null on the last page. The
 * domain modules that make a list's JSON (outbound/message_log, conversations) build it here.
 */
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace enfinito::core {

inline boost::json::object cursor_page(boost::json::array data, std::optional<std::int64_t> next) {
  boost::json::object out;
  out["data"] = std::move(data);
  if (next)
    out["next_cursor"] = std::to_string(*next);
  else
    out["next_cursor"] = nullptr;
  return out;
}

}  // namespace enfinito::core
