#pragma once
/**
 * @file meta::webhook: Meta's webhook notifications, sans-I/O.
 *
 * Two steps, in this order, on the exact bytes Meta sent:
 *  1. `verify_signature`: `X-Hub-Signature-256: sha256=<64 lowercase hex>` must equal
 *     HMAC-SHA256(raw body, App Secret), compared in constant time. Nothing is parsed before.
 *     Meta signs its own serialisation (non-ASCII as `\uXXXX`), so the body is never
 *     re-serialised: any change of bytes, even an equivalent JSON, fails.
 *  2. `parse_notification`: the envelope `{object, entry[{id, changes[{field, value}]}]}` into a
 *     flat list of updates. Every `messages[]`, `statuses[]` and value-level `errors[]` item of
 *     every change of every entry becomes one update, keeping its raw JSON so that unknown
 *     types and fields are stored, not dropped. Non-`messages` fields (template status,
 *     account updates, …) become one update each with the raw `value`.
 *
 * Status ordering (`status_rank`, `status_advances`): sent < delivered < read < played;
 * `failed` is recorded unless the message was already delivered or read. A status never
 * moves a message backwards, so duplicates and out-of-order deliveries are harmless.
 */
#include <enfinito/core/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::meta {

/** Checks `X-Hub-Signature-256` over the raw body. Malformed headers are simply false. */
bool verify_signature(std::string_view raw_body, std::string_view signature_header,
                      std::string_view app_secret) noexcept;

enum class update_kind { message, status, error, other_field };

struct update {
  update_kind kind = update_kind::other_field;
  std::string waba_id;          // entry[].id
  std::int64_t entry_time = 0;  // entry[].time (non-`messages` fields), 0 when absent
  std::string field;            // changes[].field ("messages", "message_template_status_update", …)
  std::string phone_number_id;  // value.metadata.phone_number_id (messages field only)
  std::string display_phone_number;
  // message: the inbound wamid, sender, type; status: the outbound wamid, status, recipient
  std::string id;
  std::string from;                        // message sender (wa_id) or status recipient_id
  std::string type;                        // message type, or status value (sent/delivered/read/failed/…)
  std::int64_t timestamp = 0;              // unix seconds (Meta sends a string)
  std::string contact_name;                // value.contacts[] profile name matching `from`, if any
  std::string user_id;                     // business-scoped user id, when present
  std::string contact;                     // message: the matching value.contacts[] object as JSON (name,
                                           // user_id, username, … whatever Meta sends), or empty
  std::optional<std::int64_t> error_code;  // first errors[] code (failed statuses, error updates)
  std::string error_title;
  std::string raw;             // the item's own JSON (message, status, error, or the field's value)
  std::string tagged_message;  // status: the message id of Enfinito's biz_opaque_callback_data tag
                               // (meta::callback_tag_prefix), taken out of `raw`; else empty
};

struct notification {
  std::string object;  // "whatsapp_business_account"
  std::vector<update> updates;
};

struct parse_limits {
  std::size_t max_bytes = 3 * 1024 * 1024;  // Meta's documented maximum payload
  std::size_t max_updates = 5000;           // Meta batches at most 1000 updates per POST
  std::size_t max_depth = 64;
};

/** Parses a verified notification. Errors: not JSON, too large/deep, wrong shape. */
core::result<notification> parse_notification(std::string_view raw, const parse_limits& limits = {});

/**
 * `raw` (a notification) without Enfinito's biz_opaque_callback_data tags in its statuses, for
 * customer webhooks of format `meta`; `raw` itself when it carries none.
 */
std::string strip_callback_tags(std::string_view raw);

/** 0 unknown, 1 sent, 2 delivered, 3 read, 4 played; failed is handled by status_advances. */
int status_rank(std::string_view status) noexcept;
/** Does `incoming` move a message whose status is `current` forward? */
bool status_advances(std::string_view current, std::string_view incoming) noexcept;

}  // namespace enfinito::meta
