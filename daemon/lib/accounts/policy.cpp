// The account rules as pure functions (see accounts/policy.hpp): status gates, the
// administrator's transition table, and the re-authentication and unlink rules.
#include <enfinito/accounts/policy.hpp>

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

}  // namespace enfinito::accounts
