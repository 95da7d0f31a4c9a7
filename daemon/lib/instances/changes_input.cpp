// instances::read_changes: an instance's create or update body checked field by field
// (include/enfinito/instances/changes_input.hpp).
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/instances/changes_input.hpp>
#include <enfinito/templates/checks.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace enfinito::instances {
namespace {

using crypto::f_phone;
using crypto::f_token;
using crypto::f_waba;

// Graph access tokens are long URL-safe strings; we only bound them and refuse whitespace and
// control characters (they would end up in an HTTP header).
bool token_like(std::string_view s, std::size_t lo, std::size_t hi) {
  return s.size() >= lo && s.size() <= hi &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool alnum(std::string_view s, std::size_t lo, std::size_t hi) {
  return s.size() >= lo && s.size() <= hi &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// A display name: 1..100 bytes, no control characters (JSON bodies are already valid UTF-8).
bool good_name(std::string_view s) {
  return !s.empty() && s.size() <= 100 &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

meta::input_problem bad(std::string_view field, std::string_view detail, std::string_view code = "invalid_field") {
  return {std::string(field), std::string(detail), std::string(code)};
}

// The check of credential `i`'s value, or nothing when it passes. The three ids are digits.
std::optional<meta::input_problem> check_credential(std::size_t i, std::string_view k, std::string_view v) {
  static constexpr const char* id_names[] = {"the Phone Number ID", "the WhatsApp Business Account ID", nullptr,
                                             nullptr, "the Meta App ID"};
  if (id_names[i]) {
    if (!digits(v, 5, 20)) return bad(k, std::string(id_names[i]) + ": 5 to 20 digits");
  } else if (i == f_token) {
    if (!token_like(v, 20, 1024)) return bad(k, "an access token: 20 to 1024 printable characters, no spaces");
  } else if (!alnum(v, 16, 128)) {
    return bad(k, "the Meta App Secret: 16 to 128 letters and digits");
  }
  return std::nullopt;
}

}  // namespace

bool digits(std::string_view s, std::size_t lo, std::size_t hi) noexcept {
  return s.size() >= lo && s.size() <= hi &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<meta::input_problem> read_changes(const json::value& body, bool create, changes& in) {
  if (!body.is_object()) return bad("", "the body must be a JSON object", "invalid_body");
  static constexpr const char* names[] = {"phone_number_id", "waba_id", "access_token", "app_secret", "app_id"};
  for (const auto& [key, value] : body.as_object()) {
    const std::string_view k = key;
    const auto* idx = std::find(std::begin(names), std::end(names), k);
    if (k == "name") {
      if (!value.is_string() || !good_name(value.get_string()))
        return bad("name", "1 to 100 characters, no control characters");
      in.name = std::string(value.get_string());
    } else if (k == "status" && !create) {
      if (!value.is_string() || (value.get_string() != "active" && value.get_string() != "disabled"))
        return bad("status", "active or disabled");
      in.status = std::string(value.get_string());
    } else if (k == "media_fetch") {
      if (!value.is_bool()) return bad("media_fetch", "true or false");
      in.media_fetch = value.get_bool();
    } else if (k == "window_policy") {
      if (!value.is_string() || !templates::parse_window_policy(value.get_string()))
        return bad("window_policy", "auto, reject, warn or off", invalid_window_policy);
      in.window_policy = std::string(value.get_string());
    } else if (idx != std::end(names)) {
      const auto i = static_cast<std::size_t>(idx - std::begin(names));
      // Never echo the value back, not even in an error.
      if (!value.is_string()) return bad(k, "must be a string");
      const std::string_view v = value.get_string();
      if (auto no = check_credential(i, k, v)) return no;
      in.values[i] = core::secret_string(std::string(v));
    } else {
      return bad(k, "unknown field", "unknown_field");
    }
  }
  if (create)
    for (std::size_t i = 0; i < 5; ++i)
      if (!in.values[i]) return bad(names[i], "required", "missing_field");
  if (in.values[f_phone] && in.values[f_waba] && in.values[f_phone]->reveal() == in.values[f_waba]->reveal())
    return bad("phone_number_id",
               "the Phone Number ID equals the WhatsApp Business Account ID: give the id of the phone number "
               "(WhatsApp Manager → Phone numbers), not the account's",
               "phone_number_id_is_waba_id");
  return std::nullopt;
}

}  // namespace enfinito::instances
