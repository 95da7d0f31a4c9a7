// The JSON forms of users, API keys and sessions (see accounts/views.hpp).
#include <enfinito/accounts/views.hpp>

#include <boost/json/array.hpp>

#include <ctime>

namespace enfinito::accounts {

std::string iso8601(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

boost::json::object user_json(const store::accounts::user& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"role", u.role},
          {"status", u.status},
          {"created_at", iso8601(u.created_at)},
          {"has_password", !u.password_hash.empty()}};
}

boost::json::object key_json(const store::accounts::api_key& k) {
  boost::json::array ids;
  for (const auto& i : k.instance_ids) ids.emplace_back(i);
  boost::json::object o{{"id", k.id},
                        {"name", k.name},
                        {"prefix", k.prefix},
                        {"read_only", k.read_only},
                        {"instance_ids", std::move(ids)},
                        {"created_at", iso8601(k.created_at)}};
  o["last_used_at"] = k.last_used_at ? boost::json::value(iso8601(*k.last_used_at)) : boost::json::value(nullptr);
  return o;
}

boost::json::object session_json(const store::accounts::session& x, std::string_view current) {
  return {{"id", x.id},
          {"created_at", iso8601(x.created_at)},
          {"last_seen_at", iso8601(x.last_seen_at)},
          {"expires_at", iso8601(x.expires_at)},
          {"client_address", x.client_address},
          {"method", x.method},
          {"current", x.id == current}};
}

boost::json::object session_view(const store::accounts::session& x, std::string_view current) {
  return {
      {"id", x.id},
      {"created_at", x.created_at * 1000},
      {"last_seen_at", x.last_seen_at > 0 ? boost::json::value(x.last_seen_at * 1000) : boost::json::value(nullptr)},
      {"expires_at", x.expires_at * 1000},
      {"method", x.method},
      {"client_address", x.client_address},
      {"current", x.id == current}};
}

}  // namespace enfinito::accounts
