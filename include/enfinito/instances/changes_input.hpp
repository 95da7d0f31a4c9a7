#pragma once
/**
 * @file instances::read_changes: the checks of an instance's create or update body (the Meta
 * credentials, name, status, media_fetch, window_policy), for api/instances_routes.cpp.
 * Sans-I/O: the body in, instances::changes (lifecycle.hpp) or the first offending field out;
 * the route turns it into a problem+json. A credential's value is never echoed, not even in a
 * problem.
 */
#include <enfinito/instances/lifecycle.hpp>
#include <enfinito/meta/relay_input.hpp>

#include <boost/json/value.hpp>

#include <optional>

namespace enfinito::instances {

/** The code of a window_policy that is not one of the four (the route answers it with 422). */
inline constexpr std::string_view invalid_window_policy = "invalid_window_policy";

/**
 * Reads `body` into `in`. `create`: every credential is required and `status` is unknown.
 * Refuses unknown fields, ids that are not 5 to 20 digits, a token that is not 20 to 1024
 * printable characters, an app secret that is not 16 to 128 letters and digits, a name that
 * is not 1 to 100 characters without control characters, and a Phone Number ID equal to the
 * WABA id. Pure.
 */
std::optional<meta::input_problem> read_changes(const boost::json::value& body, bool create, changes& in);

/** `s` is `lo` to `hi` ASCII digits. Pure. */
bool digits(std::string_view s, std::size_t lo, std::size_t hi) noexcept;

}  // namespace enfinito::instances
