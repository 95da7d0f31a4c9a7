// The account rules as pure functions (see accounts/policy.hpp): status gates, the
// administrator's transition table, the re-authentication and unlink rules, and the rules of
// an address and a name.
#include <enfinito/accounts/policy.hpp>

#include <cctype>

namespace enfinito::accounts {
namespace {

constexpr transition transitions[] = {{"approve", "pending", "active", "user_approved"},
                                      {"reject", "pending", "rejected", "user_rejected"},
                                      {"suspend", "active", "suspended", "user_suspended"},
                                      {"reinstate", "suspended", "active", "user_reinstated"}};

}  // namespace

sign_in_gate gate_for(std::string_view status) noexcept {
  if (status == "active") return sign_in_gate::allowed;
  if (status == "pending") return sign_in_gate::pending;
  return sign_in_gate::refused;
}

const transition* find_transition(std::string_view action, std::string_view status) noexcept {
  for (const auto& t : transitions)
    if (t.action == action) return t.from == status ? &t : nullptr;
  return nullptr;
}

bool is_user_action(std::string_view action) noexcept {
  for (const auto& t : transitions)
    if (t.action == action) return true;
  return false;
}

bool may_act_on_self(std::string_view action) noexcept { return action == "approve" || action == "reinstate"; }

bool may_request_reset(std::string_view status) noexcept { return status == "active" || status == "pending"; }

bool delete_needs_password(bool via_api_key, std::int64_t session_created_at, std::int64_t now,
                           std::int64_t recent_s) noexcept {
  return via_api_key || now - session_created_at > recent_s;
}

std::string_view actor_label(std::string_view actor_id, std::string_view user_id) noexcept {
  if (actor_id == user_id) return "you";
  return actor_id.empty() ? "system" : "administrator";
}

bool may_unlink_google(bool has_password) noexcept { return has_password; }

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

}  // namespace enfinito::accounts
