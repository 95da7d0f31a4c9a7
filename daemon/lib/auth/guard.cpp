// auth::guard: the pure decisions of authentication (access, session validity, CSRF, the
// enrolment-only session's reach) and the cookies' parsing and shapes (see auth/guard.hpp).
#include <enfinito/auth/guard.hpp>
#include <enfinito/core/text.hpp>

#include <algorithm>
#include <cctype>

namespace enfinito::auth {
namespace {

std::string trim(std::string_view v) { return std::string(core::trim_ows(v)); }

}  // namespace

bool principal::may_use_instance(std::string_view instance_id) const {
  return instance_ids.empty() || std::find(instance_ids.begin(), instance_ids.end(), instance_id) != instance_ids.end();
}

access_refusal check_access(const principal& p, access need) noexcept {
  if (need == access::admin && p.role != "admin") return access_refusal::admin_only;
  if (need != access::read && p.read_only) return access_refusal::read_only_key;
  return access_refusal::none;
}

bool session_usable(std::string_view user_status, std::int64_t expires_at, std::int64_t last_seen_at,
                    std::int64_t idle_timeout_s, std::int64_t now) noexcept {
  return user_status == "active" && expires_at > now && last_seen_at + idle_timeout_s > now;
}

std::optional<std::string> bearer_token(std::string_view v) {
  if (v.size() < 7 || !(v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) return std::nullopt;
  return trim(v.substr(7));
}

csrf_verdict check_csrf(const request_origin& r, std::string_view our_origin) {
  std::string type = r.content_type ? trim(r.content_type->substr(0, r.content_type->find(';'))) : std::string();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto& site = r.fetch_site;
  const bool same_origin_upload = type == "multipart/form-data" && site && *site == "same-origin";
  const bool needs_json = r.is_post || r.has_body;
  if (needs_json && type != "application/json" && !same_origin_upload) return csrf_verdict::not_json;
  if (!r.origin || *r.origin != our_origin) return csrf_verdict::wrong_origin;
  if (site && *site != "same-origin" && *site != "none") return csrf_verdict::cross_site;
  return csrf_verdict::ok;
}

std::string public_origin(std::string_view u) {
  auto start = u.find("://");
  auto slash = u.find('/', start + 3);
  return std::string(slash == std::string_view::npos ? u : u.substr(0, slash));
}

bool enrolment_route(std::string_view target, bool is_get) noexcept {
  target = target.substr(0, target.find('?'));
  if (target == "/v1/me") return is_get;
  return target == "/v1/me/totp" || target.starts_with("/v1/me/totp/") || target == "/v1/auth/signout";
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(part.substr(0, eq)) == name) return trim(part.substr(eq + 1));
  }
  return std::nullopt;
}

std::string session_cookie_name(bool tls) { return tls ? "__Host-enfinito_session" : "enfinito_session"; }

std::string binding_cookie_name(bool tls) { return tls ? "__Host-enfinito_oauth" : "enfinito_oauth"; }

std::string set_cookie(std::string_view name, std::string_view value, std::int64_t max_age, bool tls) {
  std::string c = std::string(name) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age);
  if (tls) c += "; Secure";
  return c;
}

}  // namespace enfinito::auth
