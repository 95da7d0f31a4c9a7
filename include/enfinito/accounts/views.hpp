#pragma once
/**
 * @file accounts views: the JSON forms of a user, an API key and a session, shared by the
 * account routes and the personal-data export so both show the same fields (never a hash).
 */
#include <enfinito/store/accounts.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace enfinito::accounts {

/** Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`. */
std::string iso8601(std::int64_t t);

boost::json::object user_json(const store::accounts::user& u);
boost::json::object key_json(const store::accounts::api_key& k);
/** A session as the export shows it (ISO times); `current` marks the caller's own. */
boost::json::object session_json(const store::accounts::session& x, std::string_view current);
/** A session as the settings page shows it (unix milliseconds, like the rest of the web API). */
boost::json::object session_view(const store::accounts::session& x, std::string_view current);

}  // namespace enfinito::accounts
