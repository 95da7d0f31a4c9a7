// instances::explain_refusal: each way Meta's credential check can fail, as the field to fix and
// what to do (include/enfinito/instances/refusal.hpp).
#include <enfinito/instances/refusal.hpp>

namespace enfinito::instances {
namespace {

using k = refusal::kind;
using o = meta::verify_outcome;

struct entry {
  o outcome;
  refusal why;
};

// Every outcome but ok and upstream_error (those are the fallback below).
constexpr entry table[] = {
    {o::token_invalid,
     {k::fix_input, "access_token", "meta_token_invalid", "Meta refused the access token",
      "the token is wrong, expired or revoked: create a new system-user token in Meta Business Settings"}},
    {o::no_permission,
     {k::fix_input, "access_token", "meta_no_permission", "The token cannot use this phone number",
      "give the token's system user access to the WhatsApp Business Account that owns the number"}},
    {o::unknown_phone_number,
     {k::fix_input, "phone_number_id", "meta_unknown_phone_number", "Meta does not know this Phone Number ID",
      "copy the Phone Number ID from WhatsApp Manager or the app's API Setup page"}},
    {o::not_a_phone_number,
     {k::fix_input, "phone_number_id", "meta_not_a_phone_number", "The Phone Number ID names something else",
      "this id is not a business phone number (is it the WhatsApp Business Account ID?)"}},
    {o::unknown_waba,
     {k::fix_input, "waba_id", "meta_unknown_waba", "Meta does not know this WhatsApp Business Account",
      "check the WhatsApp Business Account ID and that the token may read it"}},
    {o::waba_not_owner,
     {k::fix_input, "waba_id", "meta_waba_not_owner", "The WhatsApp Business Account does not own this phone number",
      "give the WhatsApp Business Account ID that the phone number belongs to"}},
    {o::upstream_unavailable,
     {k::unavailable, "", "meta_unavailable", "Meta could not be reached",
      "the credentials were not checked and nothing was saved; try again later"}},
};

}  // namespace

refusal explain_refusal(meta::verify_outcome outcome) noexcept {
  for (const auto& e : table)
    if (e.outcome == outcome) return e.why;
  return {k::meta_error, "", "meta_error", "Meta answered with an unexpected error",
          "the credentials were not checked and nothing was saved"};
}

}  // namespace enfinito::instances
