// store::pg::error category and the SQLSTATE mapping.
#include <enfinito/store/pg/error.hpp>

#include <string>

namespace enfinito::store::pg {
namespace {
struct category_impl : boost::system::error_category {
  const char* name() const noexcept override { return "enfinito.store.pg"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::ok:
        return "ok";
      case error::unavailable:
        return "database unavailable";
      case error::timeout:
        return "database statement timed out";
      case error::constraint:
        return "constraint violated";
      case error::conflict:
        return "transaction conflict (retry)";
      case error::full:
        return "database out of resources";
      case error::overloaded:
        return "database pool overloaded";
      case error::stopped:
        return "database pool stopped";
      case error::failed:
        return "database error";
      case error::schema_too_new:
        return "database schema newer than this program";
      case error::not_found:
        return "not found";
    }
    return "unknown database error";
  }
};
}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

error from_sqlstate(std::string_view s) noexcept {
  if (s.size() != 5) return error::unavailable;  // no SQLSTATE: the connection failed
  const auto cls = s.substr(0, 2);
  if (cls == "23") return error::constraint;
  if (s == "57014" || s == "55P03") return error::timeout;
  if (s == "40001" || s == "40P01") return error::conflict;
  if (cls == "53") return error::full;
  // Connection exceptions, the server shutting down or crashing (57P01..57P03).
  if (cls == "08" || s == "57P01" || s == "57P02" || s == "57P03") return error::unavailable;
  return error::failed;
}

}  // namespace enfinito::store::pg
