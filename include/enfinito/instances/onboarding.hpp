#pragma once
/**
 * @file instances::onboarding: what connect and verify do beyond checking the credentials, so
 * that a connected number also receives its webhooks (issue 19).
 *
 *   1. `GET /debug_token?input_token=<token>` (with the same token): its type, expiry, scopes
 *      and the WABA in its granular scopes. inspect_token (pure) names each thing missing.
 *      Without whatsapp_business_messaging over the WABA the instance could never send: connect
 *      and a credential update refuse it (422 naming the scope); POST /verify records it.
 *   2. `POST /{waba-id}/subscribed_apps`: the app is subscribed to the WABA's webhooks; then,
 *      when Meta can reach `server.public_url` (decide_override, `onboarding.callback_override`),
 *      the same call with `override_callback_uri` + `verify_token` = the instance's own callback
 *      URL and verify token, so Meta sends this WABA's webhooks to Enfinito whatever the app's
 *      dashboard says. Meta checks the URL with the GET handshake first (error 2200 when it
 *      fails). When the URL is not public, nothing is overridden and the instance view says so.
 *
 * The outcome is kept in `instance_health` (store/instance_health.hpp) and shown in the
 * instance view's `onboarding` object (onboarding_view). Secrets: the token travels only in
 * the request's target and the verify token only in its body; both are wiped after the call.
 */
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/store/instance_health.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace enfinito::meta {
class client;
}

namespace enfinito::instances {

/** The scopes an instance needs: sending, and managing the WABA (templates, subscription). */
inline constexpr std::string_view scope_messaging = "whatsapp_business_messaging";
inline constexpr std::string_view scope_management = "whatsapp_business_management";

/** `GET /debug_token`'s `data`, parsed. */
struct token_info {
  bool valid = false;
  std::string type;                        // SYSTEM_USER | USER | APP | PAGE | ...
  std::optional<std::int64_t> expires_at;  // unix s; 0: never
  std::vector<std::string> scopes;
  std::vector<std::pair<std::string, std::vector<std::string>>> granular;  // scope → target ids ([] = any)
  std::int64_t error_code = 0, error_subcode = 0;                          // when not valid
};

/** Parses a 200 answer of debug_token; nullopt when it has no `data` object. */
std::optional<token_info> parse_debug_token(std::string_view body);

/** One thing wrong with a token, in the owner's words. `scope` names the scope concerned. */
struct token_problem {
  std::string
      code;  // token_invalid | token_type | scope_missing | waba_not_granted | token_expires | token_expires_soon
  std::string scope;  // for scope_missing / waba_not_granted
  std::string detail;
  bool blocks_sending = false;  // the instance cannot send with this token
};

/**
 * Everything missing or at risk, pure: invalid; not a user or system-user token; each of the
 * two scopes absent; a scope whose granular targets leave out `waba_id`; an expiry (soon when
 * within `warn_before_s` of `now_s`).
 */
std::vector<token_problem> inspect_token(const token_info& t, std::string_view waba_id, std::int64_t now_s,
                                         std::int64_t warn_before_s);

/** Whether Meta can reach `public_url` (https, a host name or public address; not loopback,
    private ranges, `localhost` or `.local`/`.internal` names). */
bool reachable_by_meta(std::string_view public_url);

/** Whether to override the callback: `mode` auto | always | never; `why_not` for the view. */
struct override_decision {
  bool use = false;
  std::string why_not;
};
override_decision decide_override(std::string_view mode, std::string_view public_url);

/** `GET /{version}/debug_token?input_token=<token>` (wipe `target` after the call). */
meta::request debug_token_request(std::string_view version, const core::secret_string& token);
/** `POST /{version}/{waba}/subscribed_apps`, with the override when `callback_url` is given
    (wipe `body` after the call: it holds the verify token). */
meta::request subscribe_request(std::string_view version, std::string_view waba_id, std::string_view callback_url = {},
                                const core::secret_string* verify_token = nullptr);

/** What the flows need besides the Meta client (from config: onboarding.*, server.public_url). */
struct onboarding_options {
  bool enabled = false;  // off: connect and verify do only what they did before
  std::string callback_override = "auto";
  std::string public_url;
  std::int64_t warn_before_s = 7 * 86400;
};

/** The token inspection: problems, and the parsed info when Meta answered. */
struct token_check {
  bool inspected = false;
  token_info info;
  std::vector<token_problem> problems;
  std::string failure;  // why it could not be inspected (not a problem of the token)
};
net::awaitable<token_check> check_token(const meta::client& meta, const core::secret_string& token, std::string waba_id,
                                        std::int64_t now_s, std::int64_t warn_before_s);

/** Subscribes the app (and overrides the callback when `o` says so); fills `row`'s subscription. */
net::awaitable<void> subscribe(const meta::client& meta, const core::secret_string& token, std::string waba_id,
                               std::string instance_id, const core::secret_string& verify_token,
                               const onboarding_options& o, store::instance_health::row& row);

/** The token check's columns of `row`. */
void record_token_check(const token_check& t, store::instance_health::row& row);

/** The instance view's `onboarding` object. */
boost::json::object onboarding_view(const store::instance_health::row& row);

/** The instance's callback URL: `public_url` + /webhooks/meta/{id}. */
std::string callback_url(std::string_view public_url, std::string_view instance_id);

}  // namespace enfinito::instances
