#pragma once
/**
 * @file meta::graph: the Graph API as data, free of I/O ("sans-I/O").
 *
 * Request builders turn an operation into a method + target (+ body); parsers turn Meta's
 * answers into typed values or a `graph_error`. The client (client.hpp) only moves bytes, so
 * everything Meta-specific here is unit-tested without sockets.
 *
 * ## Errors (REFERENCE.md §2)
 * Meta's envelope `{"error":{message,type,code,error_subcode,error_data{details},fbtrace_id,
 * is_transient}}` becomes `graph_error`. Meta says to act on `code` (and `details`), never on
 * the HTTP status or the text, so `classify` looks at `code` only, with the HTTP status as a
 * fallback for answers that are not an envelope (a proxy's 502 page, an empty 503).
 *
 * Upstream text (message, details) is kept for diagnostics but never shown to our clients
 * and never logged verbatim at info level: it can quote request content. The access token is
 * never part of a `request` value: the client adds the header at send time.
 */
#include <enfinito/core/error.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::meta {

/** One Graph API call, without the bearer token. `target` is origin-form (`/v23.0/123?x=y`). */
struct request {
  std::string method = "GET";
  std::string target;
  std::string body;          // empty for GET/DELETE
  std::string content_type;  // set when body is set
};

/** What the gateway should do about a failed call. */
enum class disposition {
  retryable,     // transient: retry with backoff (2, 4, 80007, 130429, 131000, 5xx, transport)
  permanent,     // the request or the account must change: do not retry
  needs_reauth,  // the access token is expired or revoked (0, 190): pause, ask the user
};

/** Meta's error envelope, parsed. `code` 0 with `envelope == false`: not a Graph error body. */
struct graph_error {
  unsigned http_status = 0;
  bool envelope = false;
  std::int64_t code = 0;
  std::int64_t subcode = 0;
  std::string type;
  std::string message;     // upstream text: diagnostics only
  std::string details;     // error_data.details: diagnostics only
  std::string fbtrace_id;  // safe to log; Meta support asks for it
  bool is_transient = false;
};

/** Parses a non-2xx answer. Always returns an error (a synthetic one for non-envelopes). */
graph_error parse_error(unsigned http_status, std::string_view body);

/** Retry policy by code (REFERENCE.md §2.3), HTTP status as a fallback. */
disposition classify(const graph_error& e) noexcept;

/** Stable lowercase name of a disposition (logs, API). */
std::string_view to_string(disposition d) noexcept;

/** True for a Graph API version string like `v23.0`. */
bool valid_version(std::string_view v) noexcept;

/** `GET /{version}/{phone_number_id}?fields=id,display_phone_number,verified_name,quality_rating` */
request get_phone_number(std::string_view version, std::string_view phone_number_id);
/** `GET /{version}/{waba_id}/phone_numbers?limit=100[&after=cursor]` */
request list_waba_phone_numbers(std::string_view version, std::string_view waba_id,
                                std::string_view after = {});

/** What Meta says about one business phone number. */
struct phone_number_info {
  std::string id;
  std::string display_phone_number;
  std::string verified_name;
  std::string quality_rating;  // GREEN | YELLOW | RED | UNKNOWN ...
};

/** Why a 2xx body could not be used. */
enum class parse_failure { not_json, wrong_shape };

/**
 * Parses the phone-number GET. `wrong_shape` when the object has no `display_phone_number`
 * (e.g. the id was a WABA's: Graph answers 200 with the WABA object).
 */
boost::system::result<phone_number_info, parse_failure> parse_phone_number(std::string_view body);

struct phone_number_page {
  std::vector<phone_number_info> numbers;
  std::string after;  // next cursor, empty on the last page
};
boost::system::result<phone_number_page, parse_failure> parse_phone_number_page(std::string_view body);

/**
 * `POST /{version}/{phone_number_id}/messages` with `body` (a JSON message object as
 * meta::check_message produced it) as `application/json`.
 */
request send_message(std::string_view version, std::string_view phone_number_id, std::string body);

/** Meta's answer to a send (REFERENCE.md §1.3). */
struct send_result {
  std::string wamid;           // messages[0].id
  std::string wa_id;           // contacts[0].wa_id (may differ from what was sent in `to`)
  std::string input;           // contacts[0].input
  std::string message_status;  // messages[0].message_status: empty, or accepted |
                               // held_for_quality_assessment | paused (template pacing)
};
/** Parses a 2xx send answer; `wrong_shape` without a `messages[0].id` string. */
boost::system::result<send_result, parse_failure> parse_send_response(std::string_view body);

/**
 * A short title for a Graph error code, in our own words (REFERENCE.md §2.3), for the API
 * and the message log: Meta's `message` and `details` are upstream text and never shown.
 * Unknown codes get a generic title.
 */
std::string_view error_title(std::int64_t code) noexcept;

}  // namespace enfinito::meta
