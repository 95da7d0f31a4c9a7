#pragma once
/**
 * @file store::pg::error: PostgreSQL outcomes that callers act on. A failed statement's
 * SQLSTATE decides: a constraint is a 409, an unreachable or restarting server a 503 (nothing
 * was acknowledged), a statement past `statement_timeout` a 503 too, a serialization failure
 * may be retried.
 */
#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace enfinito::store::pg {

enum class error {
  ok = 0,
  unavailable = 1,     // no connection, or it broke mid-statement: the outcome is unknown, never a 2xx
  timeout = 2,         // statement_timeout or lock_timeout (SQLSTATE 57014, 55P03)
  constraint = 3,      // integrity constraint violated (SQLSTATE class 23)
  conflict = 4,        // serialization failure or deadlock (40001, 40P01): retry the transaction
  full = 5,            // disk full, out of memory or connections (class 53)
  overloaded = 6,      // the pool's wait queue is at its bound
  stopped = 7,         // the pool is shutting down
  failed = 8,          // any other error (wrong SQL is a bug: logged with its SQLSTATE)
  schema_too_new = 9,  // the database's schema is newer than this program
  not_found = 10,      // a query that must find a row found none
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), category()}; }

/** Maps a five-character SQLSTATE (empty: no server answer) to an error (exposed for tests). */
error from_sqlstate(std::string_view sqlstate) noexcept;

}  // namespace enfinito::store::pg

template <>
struct boost::system::is_error_code_enum<enfinito::store::pg::error> : std::true_type {};
