// Validation helpers of the accounts routes (see accounts_validate.hpp).
#include "api/accounts_validate.hpp"

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

std::optional<std::string> normalize_email(std::string_view in) {
  if (in.empty() || in.size() > email_max_bytes) return std::nullopt;
  auto at = in.find('@');
  if (at == 0 || at == std::string_view::npos || in.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  if (at > 64) return std::nullopt;
  auto domain = in.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return std::nullopt;
  std::string out;
  for (unsigned char ch : in) {
    // Printable ASCII without space, quotes, angle brackets, commas or semicolons: an address
    // that is safe in a mail header and cannot smuggle a second recipient.
    if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '<' || ch == '>' || ch == ',' || ch == ';' || ch == '\\' ||
        ch == '(' || ch == ')' || ch == '[' || ch == ']' || ch == ':')
      return std::nullopt;
    out += static_cast<char>(std::tolower(ch));
  }
  return out;
}

bool name_ok(std::string_view in) {
  std::size_t chars = 0;
  for (unsigned char ch : in) {
    if (ch < 0x20 || ch == 0x7f) return false;
    if ((ch & 0xC0) != 0x80) ++chars;
  }
  // Only spaces is no name.
  return chars >= 1 && chars <= name_max_chars && in.find_first_not_of(' ') != std::string_view::npos;
}

}  // namespace enfinito::api::detail
