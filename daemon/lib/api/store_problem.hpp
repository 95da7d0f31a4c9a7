#pragma once
// The answer every REST route gives when the store refuses a read or write: a full disk is a
// 503 the client should retry (nothing was stored), anything else a 500. And the 404 of an
// instance that is missing, not the caller's, or outside their API key's scope (one answer
// for all three). The 500 of sealed credentials the vault could not open. And a field a domain
// module refused (core::field_refusal) as this API's field problem, and a problem with members
// of its own.
#include <enfinito/core/error.hpp>
#include <enfinito/core/field_refusal.hpp>
#include <enfinito/http/message.hpp>
#include <enfinito/store/error.hpp>

#include <boost/json.hpp>

#include <string>

namespace enfinito::api::detail {

/**
 * How long a client is told to wait when the disk is full. Freeing space is an operator's job,
 * so retrying sooner only adds load; the store itself recovers with the first commit that fits.
 */
inline constexpr int storage_full_retry_after_s = 5;

inline http::response storage_full() {
  auto r = http::problem(http::status::service_unavailable, "storage_full", "The server cannot store more data now",
                         "nothing was stored; retry later");
  r.set(http::bhttp::field::retry_after, std::to_string(storage_full_retry_after_s));
  return r;
}

inline http::response store_problem(core::error_code ec) {
  if (ec == store::error::full) return storage_full();
  return http::problem(http::status::internal_server_error, "store_error", "The database failed");
}

inline http::response instance_not_found() {
  return http::problem(http::status::not_found, "instance_not_found", "No such instance");
}

/** Stored credentials (instances' sealed fields) that the vault could not open. */
inline http::response vault_problem() {
  return http::problem(http::status::internal_server_error, "vault_error", "Stored credentials could not be decrypted",
                       "the operator has been told (see the daemon log)");
}

/** A problem+json as http::problem makes it, with `more`'s members after `code`, in their order. */
inline http::response extended_problem(http::status st, std::string_view code, std::string_view title,
                                       boost::json::object more) {
  boost::json::object o{{"type", "urn:enfinito:problem:" + std::string(code)},
                        {"title", title},
                        {"status", static_cast<int>(st)},
                        {"code", code}};
  for (auto& [k, v] : more) o[k] = std::move(v);
  auto r = http::json_response(st, boost::json::serialize(o));
  r.set(http::bhttp::field::content_type, "application/problem+json");
  return r;
}

inline http::response refused(const core::field_refusal& r) { return http::field_problem(r.field, r.detail, r.code); }

}  // namespace enfinito::api::detail
