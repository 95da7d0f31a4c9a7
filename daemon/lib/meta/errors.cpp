// meta::errors: the Graph error codes Enfinito explains (REFERENCE.md §2.3), one row each:
// title, what happened, what to do. Kept sorted by code (find_error bisects; a unit test
// checks the order and that every code the send queue treats specially is here).
#include <enfinito/meta/errors.hpp>

#include <algorithm>
#include <array>

namespace enfinito::meta {
namespace {

constexpr std::array table{
    error_info{0, "Authentication failed",
               "Meta could not authenticate the instance's access token: it expired or was invalidated.",
               "Re-enter the access token on the instance page (a System User token does not expire)."},
    error_info{1, "Unknown API error", "Meta reported an unknown error; the request may be invalid or Meta had a fault.",
               "Enfinito retries a few times; if it persists, check the message against Meta's reference."},
    error_info{2, "Service temporarily unavailable", "Meta's API was down or overloaded for a moment.",
               "Nothing: Enfinito retries with backoff."},
    error_info{3, "Capability or permission issue", "The app lacks the capability or permission this call needs.",
               "Check the app's WhatsApp permissions in Meta's App Dashboard."},
    error_info{4, "Application request limit reached", "The Meta app made too many Graph API calls.",
               "Nothing for sends: Enfinito slows down and retries; spread other API calls out."},
    error_info{10, "Permission denied", "The access token lacks a permission this call needs, or it was removed.",
               "Give the System User whatsapp_business_messaging and whatsapp_business_management, then re-enter the token."},
    error_info{17, "User request limit reached", "The access token's user made too many calls.",
               "Nothing: Enfinito slows down and retries."},
    error_info{33, "Phone number deleted", "The business phone number behind this instance was deleted at Meta.",
               "Register the number again in WhatsApp Manager, or delete this instance."},
    error_info{100, "Invalid parameter", "Meta rejected a parameter: unknown, misspelled, or out of range.",
               "Fix the request; the field named in the message log's error is the one Meta refused."},
    error_info{104, "Access token missing", "The call reached Meta without an access token.",
               "Re-enter the access token on the instance page."},
    error_info{190, "Access token expired or invalid", "Meta refused the instance's access token: it expired, was revoked or is malformed.",
               "Re-enter the access token on the instance page; until then the instance does not send."},
    error_info{200, "API permission missing", "The app or token does not have the API permission this call needs.",
               "Grant the WhatsApp permissions to the System User in Business Settings, then re-enter the token."},
    error_info{341, "Application limit reached", "The Meta app hit a limit on its calls.",
               "Nothing: Enfinito slows down and retries."},
    error_info{368, "Temporarily blocked for policy violations", "Meta blocked the account for a while because of policy violations.",
               "Review the account's notices in WhatsApp Manager; sending resumes when Meta lifts the block."},
    error_info{80007, "WhatsApp Business Account rate limit reached", "The WhatsApp Business Account made too many API calls.",
               "Nothing for sends: Enfinito retries later; reduce other calls on this account."},
    error_info{130403, "The business has blocked this user", "This customer is on the business's block list.",
               "Unblock the customer in WhatsApp Manager if the message should go out."},
    error_info{130429, "Message throughput reached", "The number sent more messages per second than Meta allows it.",
               "Nothing: Enfinito paces and retries; ask Meta for higher throughput if it happens often."},
    error_info{130472, "Recipient is part of an experiment", "Meta held back a marketing message because the customer is in a Meta experiment.",
               "Nothing to fix; send a utility template or try another day."},
    error_info{130497, "Messaging to this country is restricted", "The account may not message customers in this country.",
               "Check the account's country restrictions with Meta."},
    error_info{131000, "Something went wrong", "Meta failed for an unknown reason.",
               "Nothing: Enfinito retries; if the message ends up dead, retry it later."},
    error_info{131005, "Access denied", "A permission the call needs was not granted or was removed.",
               "Check the System User's permissions, then re-enter the token."},
    error_info{131008, "Required parameter is missing", "The message lacks a field Meta requires.",
               "Add the missing field (the message log names it) and send again."},
    error_info{131009, "Parameter value is not valid", "A field of the message has a value Meta does not accept.",
               "Correct the value and send again."},
    error_info{131016, "Service unavailable", "A Meta service was unavailable for a moment.",
               "Nothing: Enfinito retries with backoff."},
    error_info{131021, "Recipient cannot be sender", "The message was addressed to the instance's own number.",
               "Send to the customer's number instead."},
    error_info{131026, "Message undeliverable", "WhatsApp could not deliver it: the number may not use WhatsApp, run an old app, or not have accepted the terms.",
               "Check the number with the customer; do not resend the same message to it."},
    error_info{131030, "Recipient not in allowed list", "A test number may only message the (up to five) numbers listed as allowed.",
               "Add the customer to the allowed list in Meta's App Dashboard, or use a production number."},
    error_info{131031, "Business account locked", "Meta locked the account (a policy decision, or a wrong two-step PIN).",
               "Follow the notice in WhatsApp Manager to request a review."},
    error_info{131037, "Display name not approved", "The number has no approved display name yet.",
               "Wait for Meta to approve the display name, or fix it in WhatsApp Manager."},
    error_info{131042, "Business eligibility (payment) issue", "Meta cannot charge the account: no valid payment method or an unpaid balance.",
               "Fix the payment method in WhatsApp Manager, then retry."},
    error_info{131045, "Phone number registration error", "The number is not correctly registered with the Cloud API.",
               "Register the number (POST /{phone-number-id}/register) and retry."},
    error_info{131047, "Re-engagement message (24 hour window closed)", "More than 24 hours passed since the customer last wrote, so only templates may be sent.",
               "Send an approved template; free-form messages are allowed again once the customer replies."},
    error_info{131048, "Spam rate limit hit", "Meta restricted the number because too many customers blocked or reported it.",
               "Send less and only to customers who expect it; check the number's quality in WhatsApp Manager."},
    error_info{131049, "Not delivered to maintain ecosystem engagement", "Meta limits how many marketing messages one customer gets, and held this one back.",
               "Do not retry for at least 24 hours; send marketing less often to this customer."},
    error_info{131050, "User stopped marketing messages", "The customer opted out of this business's marketing messages.",
               "Do not send marketing to this customer; utility and service messages still go out."},
    error_info{131051, "Unsupported message type", "Meta does not support this message type here.",
               "Send a supported type (text, media, template, interactive, ...)."},
    error_info{131052, "Media download error", "WhatsApp could not download the customer's media (too large or gone).",
               "Ask the customer to send the file again."},
    error_info{131053, "Media upload error", "Meta could not use the media: wrong or mismatched type, or the link was unreachable.",
               "Check the file's type and size against Meta's limits and that the link is public, then send again."},
    error_info{131056, "Pair rate limit hit", "Too many messages went to this one customer in a short time.",
               "Nothing: Enfinito waits and retries this customer only; others are unaffected."},
    error_info{131057, "Account in maintenance mode", "The account is in maintenance (for example a throughput upgrade), usually under a minute.",
               "Nothing: Enfinito retries."},
    error_info{132000, "Template parameter count mismatch", "The number of parameters does not match the template's placeholders.",
               "Send exactly as many parameters as the template's body, header and buttons have placeholders."},
    error_info{132001, "Template does not exist", "No approved template has this name in this language.",
               "Check the template's name and language code in WhatsApp Manager (and that it is approved)."},
    error_info{132005, "Template text too long", "The template's text with its parameters filled in is too long.",
               "Shorten the parameters."},
    error_info{132007, "Template format policy violated", "A parameter breaks Meta's formatting rules (for example newlines, tabs or more than four spaces in a row).",
               "Remove newlines, tabs and runs of spaces from the parameters."},
    error_info{132012, "Template parameter format mismatch", "A parameter's type or format does not match what the template declares.",
               "Send each parameter in the format the template expects (text, currency, date, media)."},
    error_info{132015, "Template paused", "Meta paused the template because of its low quality rating.",
               "Edit the template or use another; Meta may unpause it later."},
    error_info{132016, "Template disabled", "Meta disabled the template for good because of repeated low quality.",
               "Create a new template."},
    error_info{133000, "Incomplete deregistration", "A previous deregistration of the number did not finish.",
               "Deregister the number again, then register it."},
    error_info{133004, "Server temporarily unavailable", "Meta's server was briefly unavailable.",
               "Nothing: Enfinito retries."},
    error_info{133010, "Phone number not registered", "The number is not registered with WhatsApp's Cloud API.",
               "Register the number (POST /{phone-number-id}/register) and retry."},
    error_info{135000, "Generic user error", "Meta failed on this request's parameters for an unknown reason.",
               "Check the message against Meta's reference and send again."},
};

static_assert(std::is_sorted(table.begin(), table.end(),
                             [](const error_info& a, const error_info& b) { return a.code < b.code; }),
              "keep the table sorted by code");

}  // namespace

std::span<const error_info> error_table() noexcept { return table; }

const error_info* find_error(std::int64_t code) noexcept {
  const auto it = std::lower_bound(table.begin(), table.end(), code,
                                   [](const error_info& e, std::int64_t c) { return e.code < c; });
  return it != table.end() && it->code == code ? &*it : nullptr;
}

}  // namespace enfinito::meta
