// inbound::verification: the handshake and signature decisions (see the header).
#include <enfinito/inbound/verification.hpp>

#include <enfinito/crypto/hash.hpp>
#include <enfinito/meta/webhook.hpp>

namespace enfinito::inbound {

bool plausible_challenge(std::string_view c) noexcept {
  if (c.empty() || c.size() > 128) return false;
  for (char ch : c)
    if (static_cast<unsigned char>(ch) <= 0x20 || static_cast<unsigned char>(ch) >= 0x7f) return false;
  return true;
}

handshake_verdict decide_handshake(const handshake_query& q, std::string_view instance_id, const lookup* found) {
  if (!q.mode || *q.mode != "subscribe" || !q.verify_token || !q.challenge || !plausible_challenge(*q.challenge))
    return handshake_verdict::malformed;
  if (!plausible_instance_id(instance_id)) return handshake_verdict::forbidden;
  if (!found) return handshake_verdict::look_up;
  if (found->failed) return handshake_verdict::unavailable;
  if (!found->found || !crypto::constant_time_equal(found->found->verify_token.reveal(), *q.verify_token))
    return handshake_verdict::forbidden;
  return handshake_verdict::accepted;
}

admission decide_admission(std::optional<std::string_view> signature, std::string_view instance_id,
                           std::string_view body, const lookup* found) {
  if (!signature) return {admission_verdict::refused, "no signature"};
  if (!plausible_instance_id(instance_id)) return {admission_verdict::refused, "unknown instance"};
  if (!found) return {admission_verdict::look_up, {}};
  if (found->failed) return {admission_verdict::unavailable, {}};
  if (!found->found) return {admission_verdict::refused, "unknown instance"};
  if (!meta::verify_signature(body, *signature, found->found->app_secret.reveal()))
    return {admission_verdict::refused, "bad signature"};
  return {admission_verdict::admitted, {}};
}

}  // namespace enfinito::inbound
