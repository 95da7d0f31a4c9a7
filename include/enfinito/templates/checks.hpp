#pragma once
/**
 * @file templates::checks: Meta's pre-send rules that need more than the body, as pure
 * functions (the body's own shape is meta/message_rules.hpp). Sans-I/O, no clock: the template
 * as the local copy holds it, the parameters as sent, the time of the customer's last message
 * and `now` in; a verdict out.
 *
 *  - a template send names a template the copy knows, APPROVED, in that language: else Meta's
 *    132001 (`template_unknown`, `template_not_approved`);
 *  - its header, body and button parameters match the template's components: one parameter per
 *    distinct `{{n}}` / `{{name}}` placeholder of a TEXT header and of the body, one for a
 *    media or location header, one for a URL button whose URL has a placeholder and for a
 *    COPY_CODE button, at most one for the other buttons; a button component names a button
 *    of its type at its `index`. Else Meta's 132000 (`template_params_mismatch`). A NAMED
 *    template's body parameters carry the template's `parameter_name`s: else Meta's 132012
 *    (`template_param_format`), as Meta and the fake Graph API answer. A header parameter of
 *    another kind than the template's HEADER format (a link for a TEXT header, an image for a
 *    DOCUMENT one) is Meta's 132012 too (`template_param_format`, check_header_kind), for single
 *    sends (REST and Graph) and broadcasts alike;
 *  - a free-form (non-template) message goes to a peer whose customer-service window is open:
 *    the customer wrote within the last 24 hours (REFERENCE.md §6). Else Meta's 131047.
 *
 * What the copy cannot know it does not refuse: a template the copy never synced (no sync
 * yet) and one known only from a webhook (no components yet) pass, and Meta judges them.
 */
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::templates {

/** A template as the checks see it (from store::templates::row). */
struct definition {
  std::string name, language, status, category;
  std::string parameter_format = "POSITIONAL";   // or NAMED
  std::optional<boost::json::array> components;  // Meta's definition; nothing: not known yet
};

/** Why a send would be refused, in both APIs' terms. */
struct problem {
  int meta_code = 0;   // 132001, 132000, 132012, 131047
  std::string code;    // our problem code (template_unknown, ..., window_closed)
  std::string field;   // dotted path of the offending field in the send body
  std::string detail;  // our words; never echoes a value the caller sent
};

/** The distinct placeholders of a template text, in order (`{{1}}`, `{{first_name}}`). */
std::vector<std::string> placeholders(std::string_view text);

/**
 * A header parameter of kind `sent` (its `type`: text, image, video, document, location)
 * against the template's HEADER format, `field` naming it in the caller's body: a media or
 * location header takes only a parameter of that kind; a TEXT header refuses only the media and
 * location kinds (text, currency and date_time are Meta's to judge). Nothing when the template
 * has no header or its components are not known yet.
 */
std::optional<problem> check_header_kind(const definition& t, std::string_view sent, std::string field);

/** The parameters sent (`template` object of the body) against the template's components. */
std::optional<problem> check_params(const definition& t, const boost::json::object& sent);

/**
 * The whole template verdict: `t` the copy's template for the sent name and language (null:
 * none), `copy_synced` whether the copy was ever synced (without, a missing template passes).
 */
std::optional<problem> check_template(const definition* t, bool copy_synced, const boost::json::object& sent);

// ---- the 24-hour customer-service window -------------------------------------------------------

inline constexpr std::int64_t window_ms = 24 * 3600 * 1000;

struct window {
  bool open = false;
  std::optional<std::int64_t> last_inbound_at;  // unix ms the customer last wrote (Meta's time)
  std::optional<std::int64_t> closes_at;        // last_inbound_at + 24 h
};

/** The window at `now_ms` for a customer who last wrote at `last_inbound_ms` (unset: never). */
window window_at(std::optional<std::int64_t> last_inbound_ms, std::int64_t now_ms) noexcept;

/**
 * What to do with a free-form send to a closed window (`templates.window_policy`):
 * reject (422 window_closed / Meta's 131047), warn (accept, with a warning), off (no check), or
 * auto: warn until Enfinito has received the instance's webhooks for 24 hours (before, a
 * customer may have written when Enfinito could not see it), then reject.
 */
enum class window_policy { automatic, reject, warn, off };

std::optional<window_policy> parse_window_policy(std::string_view s) noexcept;
std::string_view to_string(window_policy p) noexcept;

/** `auto` resolved for an instance whose webhooks arrive since `webhooks_since_ms` (unset: never). */
window_policy effective_policy(window_policy configured, std::optional<std::int64_t> webhooks_since_ms,
                               std::int64_t now_ms) noexcept;

/**
 * The policy one instance applies (issue 19): its own `window_policy` (the instance row,
 * PATCH /v1/instances/{id}) unless that is auto, then the setting's (`templates.window_policy`);
 * an auto left over is resolved by effective_policy. Never `automatic`. Pure.
 */
window_policy instance_policy(window_policy own, window_policy setting, std::optional<std::int64_t> webhooks_since_ms,
                              std::int64_t now_ms) noexcept;

/** The refusal (or warning) for a closed window. */
problem window_closed();

}  // namespace enfinito::templates
