#pragma once
/**
 * @file inbound::verification: who may talk to `/webhooks/meta/{instance}`, as pure decisions.
 *
 * Both steps are asked twice: first without credentials (is the request worth a lookup?),
 * then with what the lookup found. A `look_up` answer asks for the second call.
 *
 *  - The GET handshake: Meta sends `hub.mode=subscribe`, `hub.verify_token` and a numeric
 *    `hub.challenge`; the challenge is echoed when the token is the instance's (constant-time
 *    comparison). Anything that cannot be Meta's is malformed (400) and nothing is looked up;
 *    an unknown instance and a wrong token get the same answer, so ids are not revealed.
 *  - A POST: `X-Hub-Signature-256` over the exact body bytes, under the instance's App Secret,
 *    before any parsing. Missing, malformed or wrong: refused (401), nothing stored; an unknown
 *    instance is refused alike.
 * A lookup that failed (store or vault error) is `unavailable` (503): Meta retries.
 */
#include <enfinito/inbound/credentials.hpp>

#include <optional>
#include <string_view>

namespace enfinito::inbound {

/** The handshake's query parameters, as received. */
struct handshake_query {
  std::optional<std::string_view> mode;
  std::optional<std::string_view> verify_token;
  std::optional<std::string_view> challenge;
};

enum class handshake_verdict { look_up, malformed, forbidden, unavailable, accepted };

/** Meta's challenge is a number: anything long or outside printable ASCII is not echoed. */
bool plausible_challenge(std::string_view c) noexcept;

/** `found`: null before the lookup, else its result. Never `look_up` once `found` is given. */
handshake_verdict decide_handshake(const handshake_query& q, std::string_view instance_id, const lookup* found);

enum class admission_verdict { look_up, refused, unavailable, admitted };

struct admission {
  admission_verdict verdict = admission_verdict::refused;
  std::string_view reason;  // refused: "no signature", "unknown instance" or "bad signature" (for the log)
};

/** `signature`: the X-Hub-Signature-256 header, if any; `body`: the exact bytes received. */
admission decide_admission(std::optional<std::string_view> signature, std::string_view instance_id,
                           std::string_view body, const lookup* found);

}  // namespace enfinito::inbound
