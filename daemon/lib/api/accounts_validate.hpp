#pragma once
// What the account route files (accounts_routes, security_routes) share: reading a JSON body's
// fields, each check naming the field it refuses (the rules of an address or a name are
// accounts/policy.hpp's), and the answers they give alike.
#include <enfinito/http/message.hpp>

#include "api/checked.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace enfinito::api::detail {

// Authenticates a signed-in session (an API key is refused: session_required()).
#define ENF_SESSION(var, need) \
  ENF_AUTH(var, need);         \
  if (var.via_api_key) co_return session_required()

// The account flows' context (api/auth_guard.hpp) and the client's address, for one handler.
#define ENF_FLOW_CONTEXT         \
  auto ctx = account_context(s); \
  const auto addr = client_address(req)

/** The body as a JSON object (or the problem). */
checked<boost::json::object> body_object(const http::request& req, const http::json_limits& limits);

/** A required (or optional: nullopt when absent) string member. */
checked<std::optional<std::string>> string_field(const boost::json::object& o, std::string_view name, bool required);
checked<std::optional<bool>> bool_field(const boost::json::object& o, std::string_view name);

/** Refuses members other than `allowed` (a typo must not be silently ignored). */
std::optional<http::response> only_fields(const boost::json::object& o,
                                          std::initializer_list<std::string_view> allowed);

/** A required address, normalised (accounts::normalize_email). */
checked<std::string> email_field(const boost::json::object& o, std::string_view name = "email");
/** A required new password of an acceptable length (auth::password_length_ok). */
checked<std::string> password_field(const boost::json::object& o, std::string_view name);
/** A required single-use token (a reset or data-rights link's): 1 to 128 bytes. */
checked<std::string> token_field(const boost::json::object& o);
/** The name (accounts::name_ok); empty when absent and not `required`. */
checked<std::string> name_field(const boost::json::object& o, bool required);

/** 503 `store_unavailable`: the database is not available, try again. */
http::response store_unavailable();
/** 403 `session_required`: account management needs a signed-in session, not an API key. */
http::response session_required();
/** 429 `too_many_attempts` with Retry-After `wait`. */
http::response too_many(std::chrono::seconds wait, std::string_view detail,
                        std::string_view title = "Too many attempts");

}  // namespace enfinito::api::detail
