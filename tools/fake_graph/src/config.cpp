// config.cpp owns the static tables: the built-in default config (state seeded at start)
// and the error-code table (title + default HTTP status, REFERENCE §2.2/§2.3).
#include "fake_graph/core.hpp"

#include "detail.hpp"

#include <boost/json.hpp>

namespace enfinito::fake_graph {

std::string one_number_config(std::string_view phone_id, std::string_view waba_id, std::string_view token,
                              boost::json::object number, boost::json::object extra) {
  namespace json = boost::json;
  json::object n{{"id", phone_id},
                 {"waba_id", waba_id},
                 {"display_phone_number", "15550783881"},
                 {"verified_name", "Lucky Shrub"},
                 {"quality_rating", "GREEN"}};
  for (auto& [k, v] : number) n[k] = std::move(v);
  const json::value name = n["verified_name"];
  json::object cfg{{"wabas", json::array{json::object{{"id", waba_id}, {"name", name}}}},
                   {"phone_numbers", json::array{std::move(n)}},
                   {"tokens", json::array{json::object{{"token", token}, {"waba_ids", json::array{waba_id}}}}},
                   {"seed_templates", false}};
  for (auto& [k, v] : extra) cfg[k] = std::move(v);
  return json::serialize(cfg);
}

// Ids are Meta's documentation values (REFERENCE §9) so the shared fixtures work as-is.
// Templates listed here are seeded into every WABA when "seed_templates" is true.
std::string_view graph_core::default_config() {
  return R"json({
  "wabas": [ { "id": "102290129340398", "name": "Lucky Shrub" } ],
  "phone_numbers": [ {
    "id": "106540352242922", "waba_id": "102290129340398",
    "display_phone_number": "15550783881", "verified_name": "Lucky Shrub",
    "quality_rating": "GREEN", "throughput_level": "STANDARD", "country_dial_code": "1",
    "mps": 80, "pair_interval_ms": 6000, "pair_burst": 45,
    "callback_url": "", "app_secret": "", "verify_token": ""
  } ],
  "tokens": [ { "token": "fake-token", "phone_number_ids": ["106540352242922"],
                "waba_ids": ["102290129340398"] } ],
  "seed_templates": true,
  "knobs": {
    "latency_ms": 0, "window_mode": "async", "window_seconds": 86400,
    "template_pacing": false,
    "status_delays_ms": { "sent": 20, "delivered": 40, "read": 60 }, "emit_read": true,
    "batch_max": 1, "duplicate_fraction": 0, "out_of_order": false,
    "retry_initial_ms": 100, "retry_factor": 2, "retry_max_ms": 5000, "retry_max_attempts": 8,
    "webhook_timeout_ms": 5000, "media_url_ttl_s": 300, "media_ttl_s": 2592000,
    "max_webhook_bytes": 3000000
  }
})json";
}

namespace detail {

code_info info_for(int code) {
  switch (code) {
    case 0:
      return {"AuthException", 401};
    case 1:
      return {"API Unknown", 400};
    case 2:
      return {"API Service", 503};
    case 3:
      return {"API Method", 500};
    case 4:
      return {"Application request limit reached", 400};
    case 10:
      return {"Application does not have permission for this action", 403};
    case 33:
      return {"Parameter value is not valid", 400};
    case 100:
      return {"Invalid parameter", 400};
    case 104:
      return {"An access token is required to request this resource.", 400};
    case 190:
      return {"Invalid OAuth access token", 401};
    case 200:
      return {"Permissions error", 403};
    case 368:
      return {"Temporarily blocked for policies violations", 403};
    case 80007:
      return {"Rate limit issues", 400};
    case 130429:
      return {"Rate limit hit", 400};
    case 130472:
      return {"User's number is part of an experiment", 400};
    case 130497:
      return {"Business account is restricted from messaging users in this country", 403};
    case 131000:
      return {"Something went wrong", 500};
    case 131005:
      return {"Access denied", 403};
    case 131008:
      return {"Required parameter is missing", 400};
    case 131009:
      return {"Parameter value is not valid", 400};
    case 131016:
      return {"Service unavailable", 500};
    case 131021:
      return {"Recipient cannot be sender", 400};
    case 131026:
      return {"Message undeliverable", 400};
    case 131030:
      return {"Recipient phone number not in allowed list", 400};
    case 131031:
      return {"Account has been locked", 403};
    case 131037:
      return {"WhatsApp provided number needs display name approval before message can be sent.", 400};
    case 131042:
      return {"Business eligibility payment issue", 400};
    case 131045:
      return {"Incorrect certificate", 500};
    case 131047:
      return {"Re-engagement message", 400};
    case 131048:
      return {"Spam rate limit hit", 400};
    case 131049:
      return {"This message was not delivered to maintain healthy ecosystem engagement.", 400};
    case 131050:
      return {
          "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp "
          "from your business.",
          400};
    case 131051:
      return {"Unsupported message type", 400};
    case 131052:
      return {"Media download error", 400};
    case 131053:
      return {"Media upload error", 400};
    case 131056:
      return {"(Business Account, Consumer Account) pair rate limit hit", 400};
    case 131057:
      return {"Account in maintenance mode", 500};
    case 132000:
      return {"Number of parameters does not match the expected number of params", 400};
    case 132001:
      return {"Template name does not exist in the translation", 404};
    case 132005:
      return {"Translated text too long", 400};
    case 132007:
      return {"Template Format Character Policy Violated", 400};
    case 132012:
      return {"Parameter format does not match format in the created template", 400};
    case 132015:
      return {"Template is Paused", 400};
    case 132016:
      return {"Template is Disabled", 400};
    case 133000:
      return {"Incomplete deregistration", 500};
    case 133004:
      return {"Server Temporarily Unavailable", 503};
    case 133005:
      return {"Two step verification PIN Mismatch", 400};
    case 133010:
      return {"Account not registered", 400};
    case 133015:
      return {"Please wait a few minutes before attempting to register this phone number", 400};
    case 133016:
      return {"Account register deregister rate limit exceeded", 400};
    case 135000:
      return {"Generic user error", 400};
    default:
      return {"Unknown error", 400};
  }
}

}  // namespace detail
}  // namespace enfinito::fake_graph
