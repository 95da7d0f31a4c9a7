// What the account route files share: JSON field reading and common answers (see
// accounts_validate.hpp).
#include "api/accounts_validate.hpp"

#include <enfinito/accounts/policy.hpp>
#include <enfinito/auth/password.hpp>

namespace enfinito::api::detail {

checked<boost::json::object> body_object(const http::request& req, const http::json_limits& limits) {
  auto body = http::parse_json(req, limits);
  if (body.error) return std::move(*body.error);
  if (!body.value->is_object()) return http::field_problem("body", "must be a JSON object", "invalid_body");
  return std::move(body.value->as_object());
}

checked<std::optional<std::string>> string_field(const boost::json::object& o, std::string_view name, bool required) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) {
    if (required) return http::field_problem(name, "is required", "missing_field");
    return std::optional<std::string>{};
  }
  if (!v->is_string()) return http::field_problem(name, "must be a string", "invalid_type");
  return std::optional<std::string>{std::string(v->as_string())};
}

checked<std::optional<bool>> bool_field(const boost::json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return http::field_problem(name, "must be true or false", "invalid_type");
  return std::optional<bool>{v->as_bool()};
}

std::optional<http::response> only_fields(const boost::json::object& o,
                                          std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : o) {
    bool ok = false;
    for (auto a : allowed) ok = ok || k == a;
    if (!ok) return http::field_problem(k, "unknown field", "unknown_field");
  }
  return std::nullopt;
}

checked<std::string> email_field(const boost::json::object& o, std::string_view name) {
  auto f = string_field(o, name, true);
  if (auto* e = std::get_if<http::response>(&f)) return std::move(*e);
  auto norm = accounts::normalize_email(*std::get<0>(f));
  if (!norm) return http::field_problem(name, "is not a valid email address", "invalid_email");
  return *norm;
}

checked<std::string> password_field(const boost::json::object& o, std::string_view name) {
  auto f = string_field(o, name, true);
  if (auto* e = std::get_if<http::response>(&f)) return std::move(*e);
  auto& pw = *std::get<0>(f);
  if (!auth::password_length_ok(pw))
    return http::field_problem(name, "must be 8 to 1024 characters long", "invalid_password");
  return pw;
}

checked<std::string> token_field(const boost::json::object& o) {
  auto f = string_field(o, "token", true);
  if (auto* e = std::get_if<http::response>(&f)) return std::move(*e);
  auto& token = *std::get<0>(f);
  if (token.empty() || token.size() > 128) return http::field_problem("token", "is not a valid token", "invalid_token");
  return token;
}

checked<std::string> name_field(const boost::json::object& o, bool required) {
  auto f = string_field(o, "name", required);
  if (auto* e = std::get_if<http::response>(&f)) return std::move(*e);
  auto& v = std::get<0>(f);
  if (!v) return std::string();
  if (!accounts::name_ok(*v))
    return http::field_problem("name", "must be 1 to 100 characters, no control characters", "invalid_name");
  return *v;
}

http::response store_unavailable() {
  return http::problem(http::status::service_unavailable, "store_unavailable", "Service unavailable",
                       "the database is not available; try again");
}

http::response session_required() {
  return http::problem(http::status::forbidden, "session_required", "Forbidden",
                       "account management needs a signed-in session, not an API key");
}

http::response too_many(std::chrono::seconds wait, std::string_view detail, std::string_view title) {
  auto r = http::problem(http::status::too_many_requests, "too_many_attempts", title, detail);
  r.set(http::bhttp::field::retry_after, std::to_string(wait.count()));
  return r;
}

}  // namespace enfinito::api::detail
