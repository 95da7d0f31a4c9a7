#pragma once
/**
 * @file meta::errors: the one table of Graph API error codes Enfinito explains (REFERENCE.md
 * §2.3, daemon/lib/meta/errors.cpp). Each code has a short title (what the message log stores
 * in `error_title` and meta::error_title returns), a plain sentence saying what happened, and
 * the action that fixes it. `GET /v1/meta/errors` serves the whole table and the web app shows
 * it next to every failed message. The wording is ours: Meta's `message` and `details` are
 * upstream text and never shown.
 */
#include <cstdint>
#include <span>
#include <string_view>

namespace enfinito::meta {

struct error_info {
  std::int64_t code = 0;
  std::string_view title;        // a few words
  std::string_view explanation;  // one plain sentence: what happened
  std::string_view action;       // one plain sentence: what to do
};

/** Every code the table knows, ascending by code. */
std::span<const error_info> error_table() noexcept;

/** The entry of `code`, or nullptr when the table does not know it. */
const error_info* find_error(std::int64_t code) noexcept;

}  // namespace enfinito::meta
