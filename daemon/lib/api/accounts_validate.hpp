#pragma once
// Input validation shared by the accounts handlers: each check names the field it refuses.
#include <enfinito/http/message.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace enfinito::api::detail {

inline constexpr std::size_t name_max_chars = 100;
inline constexpr std::size_t email_max_bytes = 254;

/** A field's value or the problem to answer with. */
template <class T>
using checked = std::variant<T, http::response>;

/** The body as a JSON object (or the problem). */
checked<boost::json::object> body_object(const http::request& req, const http::json_limits& limits);

/** A required (or optional: nullopt when absent) string member. */
checked<std::optional<std::string>> string_field(const boost::json::object& o, std::string_view name, bool required);
checked<std::optional<bool>> bool_field(const boost::json::object& o, std::string_view name);

/** Lower-cased address or nullopt: one '@', no spaces or controls, a dotted domain, ASCII. */
std::optional<std::string> normalize_email(std::string_view in);
/** 1..100 characters, no control characters. */
bool name_ok(std::string_view in);

}  // namespace enfinito::api::detail
