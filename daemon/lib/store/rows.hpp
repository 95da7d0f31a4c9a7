#pragma once
// Reading a statement's rows, for the store's SQL files (daemon/lib/store/*.cpp): a row type's
// reader takes its columns by name from its column_list (store/columns.hpp); these run it over
// one row or all of them, and reset the statement.
//
//   ENF_PREPARE(s, std::string("SELECT ") + cols.sql() + " FROM t WHERE id = ?1");
//   s->bind(1, id);
//   return read_one(*s, read_row, out);  // error::not_found without a row
//
// A one-column SELECT (a COUNT, a MAX, an EXISTS, one field) has no list to keep in step with:
// read_value reads its only column, has_row answers an existence probe.
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace enfinito::store {

/** The row `s` yields, read with `read` into `out`; error::not_found when there is none. */
template <class Read, class Out>
core::error_code read_one(statement& s, Read read, Out& out) {
  core::error_code ec;
  const bool found = s.step(ec);
  if (found) out = read(s);
  s.reset();
  if (ec) return ec;
  return found ? core::error_code{} : make_error_code(error::not_found);
}

/** Appends every row `s` yields, read with `read`, to `out`. */
template <class Read, class Out>
core::error_code read_all(statement& s, Read read, std::vector<Out>& out) {
  core::error_code ec;
  while (s.step(ec)) out.push_back(read(s));
  s.reset();
  return ec;
}

/** Whether `s` yields a row (`SELECT 1 FROM ... WHERE ...`). */
inline core::error_code has_row(statement& s, bool& out) {
  core::error_code ec;
  out = s.step(ec);
  s.reset();
  return ec;
}

/** The only column of the first row of a one-column SELECT into `out`; `out` is left as it was
    when there is no row or the value is NULL. */
inline core::error_code read_value(statement& s, std::int64_t& out) {
  core::error_code ec;
  if (s.step(ec) && !s.is_null(0)) out = s.int64(0);
  s.reset();
  return ec;
}

inline core::error_code read_value(statement& s, std::optional<std::int64_t>& out) {
  core::error_code ec;
  if (s.step(ec) && !s.is_null(0)) out = s.int64(0);
  s.reset();
  return ec;
}

inline core::error_code read_value(statement& s, std::optional<std::string>& out) {
  core::error_code ec;
  if (s.step(ec) && !s.is_null(0)) out = s.text(0);
  s.reset();
  return ec;
}

}  // namespace enfinito::store
