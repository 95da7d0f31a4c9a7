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
  // A media upload's file, sent after `body` and before `tail` without being copied into
  // either: it points into the caller's memory, which must outlive the call.
  std::string_view borrowed;
  std::string tail;
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

/** `GET /{version}/{phone_number_id}?fields=id,display_phone_number,verified_name,quality_rating,throughput,
    whatsapp_business_manager_messaging_limit` */
request get_phone_number(std::string_view version, std::string_view phone_number_id);
/** `GET /{version}/{waba_id}/phone_numbers?limit=100[&after=cursor]` */
request list_waba_phone_numbers(std::string_view version, std::string_view waba_id, std::string_view after = {});

/** What Meta says about one business phone number. */
struct phone_number_info {
  std::string id;
  std::string display_phone_number;
  std::string verified_name;
  std::string quality_rating;    // GREEN | YELLOW | RED | UNKNOWN ...
  std::string throughput_level;  // `throughput.level`: STANDARD (80 mps) | HIGH (1,000 mps); "" if absent
  // `whatsapp_business_manager_messaging_limit` [D-ML]: TIER_250 .. TIER_UNLIMITED; "" if absent
  std::string messaging_limit_tier;
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

/**
 * Status routing by biz_opaque_callback_data. Meta echoes a message's
 * `biz_opaque_callback_data` in every status webhook of that message [D-ST]. When the customer
 * did not set one, Enfinito sends `callback_tag_prefix` + its own message id there, so a status
 * finds its row through the message-id index, which grows in time order, instead of through a
 * wamid index: wamids are random, and indexing every outbound wamid made each message dirty a
 * page of its own (~9 KB written and ~12 µs of the store writer per message, docs in README
 * "Send path"). The webhook parser takes the tag out of each status before it is stored
 * (meta::parse_notification), and the hooks engine out of Meta's bytes before a delivery of
 * format `meta` is sent (meta::strip_callback_tags): customers never see it.
 */
inline constexpr std::string_view callback_tag_prefix = "enfinito:";
/** Does this message body (check_message's JSON) set biz_opaque_callback_data itself? */
bool sets_callback_data(std::string_view body);
/** `body` with biz_opaque_callback_data = callback_tag_prefix + message_id added. */
std::string with_callback_tag(std::string body, std::string_view message_id);
/** The message id a status's biz_opaque_callback_data names, or empty when it is not our tag. */
std::string_view tagged_message_id(std::string_view callback_data);

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

// ---- media, templates, business profile, mark as read (the /v1 passthrough routes) ---------

/** The WhatsApp media kinds Meta accepts uploads of (REFERENCE.md §4). */
enum class media_kind { image, video, audio, document, sticker };

/** Stable lowercase name (`image`, `video`, ...). */
std::string_view to_string(media_kind k) noexcept;

/** What Meta allows for one MIME type: its kind and the largest file (bytes). */
struct media_limit {
  media_kind kind;
  std::size_t max_bytes;
};

/**
 * Meta's size limit for a MIME type (parameters after `;` ignored, case-insensitive), or
 * nothing for a type Meta does not take. `image/webp` is a sticker: 100 KB static, 500 KB
 * animated, told apart by the WebP VP8X animation flag in `head` (the file's first bytes).
 */
std::optional<media_limit> media_limit_for(std::string_view mime, std::string_view head = {});

/** `POST /{version}/{phone}/messages` with the mark-as-read body (+ typing indicator). */
request mark_read(std::string_view version, std::string_view phone_number_id, std::string_view message_id,
                  bool typing_indicator);

/**
 * `POST /{version}/{phone}/media`, multipart/form-data: messaging_product, type, file.
 * `boundary` must not occur in `bytes` (pass a long random token). `filename` is reduced to
 * characters safe in a header (quotes, control characters and path separators dropped).
 */
request upload_media(std::string_view version, std::string_view phone_number_id, std::string_view mime,
                     std::string_view filename, std::string_view bytes, std::string_view boundary);

/** `GET /{version}/{media_id}?phone_number_id=…` (restricted to media of that number). */
request get_media(std::string_view version, std::string_view media_id, std::string_view phone_number_id);
/** `DELETE /{version}/{media_id}?phone_number_id=…` */
request delete_media(std::string_view version, std::string_view media_id, std::string_view phone_number_id);

/** `GET /{version}/{waba}/message_templates` with optional filters and one cursor. */
struct template_query {
  std::size_t limit = 25;
  std::string after, before, name, status, language;
};
request list_templates(std::string_view version, std::string_view waba_id, const template_query& q);
/** `POST /{version}/{waba}/message_templates` with a JSON template definition. */
request create_template(std::string_view version, std::string_view waba_id, std::string body_json);

/** `POST /{version}/{template-id}` (edit: components and/or category) with a JSON body. */
request edit_template(std::string_view version, std::string_view template_id, std::string body_json);
/** `DELETE /{version}/{waba}/message_templates?name=…[&hsm_id=…]` (every language, or one id). */
request delete_template(std::string_view version, std::string_view waba_id, std::string_view name,
                        std::string_view template_id);
/** `GET /{version}/{phone}[?fields=…]` (`fields` already checked: letters, digits, `_,{}`). */
request get_phone_number(std::string_view version, std::string_view phone_number_id, std::string_view fields);
/** `GET /{version}/{waba}/phone_numbers[?query]` (`query` already checked and encoded). */
request list_phone_numbers(std::string_view version, std::string_view waba_id, std::string_view query);

/** `GET /{version}/{phone}/whatsapp_business_profile?fields=…`: the given `fields` (already
    checked: letters, digits, `_,{}`), or every documented field when empty. */
request get_business_profile(std::string_view version, std::string_view phone_number_id, std::string_view fields = {});
/** `POST /{version}/{phone}/whatsapp_business_profile`; `messaging_product` is added. */
request update_business_profile(std::string_view version, std::string_view phone_number_id, boost::json::object fields);

/** The answer to `GET /{media_id}`. `file_size` comes as a string or a number. */
struct media_info {
  std::string id;
  std::string url;  // short-lived (5 min), needs the bearer token
  std::string mime_type;
  std::string sha256;
  std::uint64_t file_size = 0;
};
boost::system::result<media_info, parse_failure> parse_media_info(std::string_view body);

/** `{"id": "..."}` (media upload, template create). */
boost::system::result<std::string, parse_failure> parse_id(std::string_view body);
/** `{"success": true}`. */
bool parse_success(std::string_view body);

/** A page of templates, Meta's objects as they are, with the cursors to go on. */
struct template_page {
  boost::json::array data;
  std::string after;   // set only when Meta says a next page exists
  std::string before;  // set only when Meta says a previous page exists
};
boost::system::result<template_page, parse_failure> parse_template_page(std::string_view body);

/** The first (only) object of the business-profile GET's `data`, without `messaging_product`. */
boost::system::result<boost::json::object, parse_failure> parse_business_profile(std::string_view body);

/**
 * Whether the gateway may send the instance's token to a media download URL from Meta: https
 * on a Meta host (`*.fbsbx.com`, `*.facebook.com`, `*.whatsapp.net`, `*.fbcdn.net`), or the
 * configured Graph base URL's own scheme and host (the fake Graph API in tests). Anything
 * else would hand the token to a stranger.
 */
bool media_url_allowed(std::string_view url, std::string_view base_url);

}  // namespace enfinito::meta
