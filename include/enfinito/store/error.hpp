#pragma once
/** @file store::error: SQLite outcomes that callers act on (503 for full, 409 for constraint…). */
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace enfinito::store {

enum class error {
  ok = 0,
  busy = 1,        // locked by another connection past the busy timeout
  constraint = 2,  // UNIQUE / FOREIGN KEY / CHECK violated
  full = 3,        // disk or database full: refuse new work (503), lose nothing
  io = 4,          // I/O error
  corrupt = 5,     // database file damaged
  readonly = 6,
  misuse = 7,     // a bug: wrong SQL, wrong bind index
  not_found = 8,  // a query that must find a row found none
  stopped = 9,    // the store is shutting down
  failed = 10,    // any other SQLite error
  locked_by_other_process = 11,
  schema_too_new = 12,
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), category()}; }

/** Maps a SQLite primary result code to a store::error (exposed for tests). */
error from_sqlite(int rc) noexcept;

}  // namespace enfinito::store

template <>
struct boost::system::is_error_code_enum<enfinito::store::error> : std::true_type {};
