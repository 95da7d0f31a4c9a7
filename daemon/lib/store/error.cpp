// store::error category and the SQLite result-code mapping.
#include <enfinito/store/error.hpp>

#include <sqlite3.h>

#include <string>

namespace enfinito::store {
namespace {
struct category_impl : boost::system::error_category {
  const char* name() const noexcept override { return "enfinito.store"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::ok:
        return "ok";
      case error::busy:
        return "database busy";
      case error::constraint:
        return "constraint violated";
      case error::full:
        return "database or disk full";
      case error::io:
        return "database I/O error";
      case error::corrupt:
        return "database file corrupt";
      case error::readonly:
        return "database read-only";
      case error::misuse:
        return "database misuse (a bug)";
      case error::not_found:
        return "not found";
      case error::stopped:
        return "store stopped";
      case error::failed:
        return "database error";
      case error::locked_by_other_process:
        return "database in use by another process";
      case error::schema_too_new:
        return "database schema newer than this program";
    }
    return "unknown store error";
  }
};
}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

error from_sqlite(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return error::ok;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return error::busy;
    case SQLITE_CONSTRAINT:
      return error::constraint;
    case SQLITE_FULL:
      return error::full;
    case SQLITE_IOERR:
      return error::io;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return error::corrupt;
    case SQLITE_READONLY:
      return error::readonly;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR:
      return error::misuse;
    default:
      return error::failed;
  }
}

}  // namespace enfinito::store
