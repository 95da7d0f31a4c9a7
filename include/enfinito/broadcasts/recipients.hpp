#pragma once
/**
 * @file broadcasts::recipients: a broadcast's recipient list, read and checked before anything
 * is stored (issue 21). Pure: text or JSON in, rows and rejections out; no I/O, no clock.
 *
 * Two shapes of the same list:
 * - JSON: `recipients: [{"to": "+15551234567", "parameters": ["Ana", "#1001"]}, ...]`, where
 *   `parameters` are the template body's positional parameters, or an object
 *   `{"first_name": "Ana"}` for a template with named parameters. Optional per row:
 *   `header`: `{"type": "text", "text": "…"}` or `{"type": "image"|"document"|"video",
 *   "link": "https://…"}`, and `buttons`: `[{"index": 0, "sub_type": "quick_reply",
 *   "payload": "…"}, {"index": 1, "sub_type": "url", "text": "<the URL's suffix>"}]`.
 *   A row's number is its 1-based position in the array.
 * - CSV (RFC 4180: commas, CRLF or LF, double-quoted fields with "" for a quote): a header
 *   line whose first column is `to` (or `phone`), then columns named `header_text`,
 *   `header_image`, `header_document` or `header_video` (at most one: the header parameter,
 *   a media header's value being its link), `button_<n>_payload` (quick reply button n's
 *   payload) and `button_<n>_url` (URL button n's suffix), n from 0 to 9, in any place;
 *   every other column is a positional body parameter, in order. A row's number is its line
 *   in the file (the header is line 1).
 *
 * Every row is checked (`check_recipient`): the number's shape (E.164 digits with the country
 * code, punctuation allowed as Meta allows it), each parameter's shape (Meta's rules for a
 * text parameter), the parameter count (the same for every row: a template has a fixed set of
 * variables) and duplicates (the same number twice is refused at its later row). The answer
 * lists rejected rows by number; a broadcast is created only when none is rejected, or when
 * the caller asked to skip them (`skip_invalid`).
 */
#include <boost/json/fwd.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::broadcasts {

/** The limits of one broadcast (explicit, documented in docs/api-guide.md). */
constexpr std::size_t max_recipients = 100'000;
constexpr std::size_t max_parameters = 60;            // body variables per template row
constexpr std::size_t max_parameter_bytes = 1024;     // a template body's whole text is ≤ 1024
constexpr std::size_t max_rejections_listed = 1000;   // rows named in the answer (all are counted)
constexpr std::size_t max_name_bytes = 200;           // broadcast name
constexpr std::size_t max_template_name_bytes = 512;  // Meta: template names ≤ 512
constexpr std::size_t max_language_bytes = 15;        // e.g. en_US, pt_BR, zh_HK
constexpr std::size_t max_header_text_bytes = 60;     // Meta: a header text parameter ≤ 60
constexpr std::size_t max_link_bytes = 2048;          // a media header's link
constexpr std::size_t max_button_value_bytes = 1000;  // a quick reply payload or a URL suffix
constexpr std::size_t max_button_index = 9;           // Meta: button index "0" to "9"
constexpr std::size_t max_row_depth = 6;              // a row's JSON nesting (the body's 8, less 2)
constexpr std::size_t max_row_values = 4096;          // a row's JSON values (a row needs ~110 at most)
constexpr std::size_t max_list_values = 1'600'000;    // the whole array's JSON values (~16 a row)

/** The template every row is sent with. */
struct template_ref {
  std::string name;
  std::string language;  // Meta's language code, e.g. en_US
};

/** A row's header parameter: text, or the link of an image, document or video header. */
struct header_param {
  std::string type;   // text | image | document | video
  std::string value;  // the text, or the media's http(s) link
  bool operator==(const header_param&) const = default;
};

/**
 * An optional value kept on the heap: 8 bytes in every row instead of the value's 72, for a
 * part most rows do not have (100,000 rows: 6 MiB less at the create's peak). The subset of
 * std::optional's interface the rows use; copies are deep.
 */
template <class T>
class boxed {
 public:
  boxed() = default;
  boxed(T v) : p_(std::make_unique<T>(std::move(v))) {}
  boxed(const boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  boxed(boxed&&) noexcept = default;
  boxed& operator=(const boxed& o) { return *this = boxed(o); }
  boxed& operator=(boxed&&) noexcept = default;
  bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_.get(); }
  T& emplace() {
    p_ = std::make_unique<T>();
    return *p_;
  }

 private:
  std::unique_ptr<T> p_;
};

/** A row's button parameter: a quick reply's payload or a URL button's suffix. */
struct button_param {
  std::size_t index = 0;  // the template's button (0..9)
  std::string sub_type;   // quick_reply | url
  std::string value;      // the payload, or the text that fills the URL's {{1}}
};

struct recipient {
  std::size_t row = 0;  // JSON: position (1-based); CSV: line
  std::string to;       // as given
  std::vector<std::string> parameters;
  std::vector<std::string> names;  // named parameters: names[i] goes with parameters[i]; else empty
  boxed<header_param> header;
  std::vector<button_param> buttons;  // in index order (read_json, read_csv sort them)
};

struct rejection {
  std::size_t row = 0;
  std::string field;   // "to", "parameters", "parameters[2]", "header", "buttons[1]", or "" for the row itself
  std::string detail;  // our words, never the value
};

struct recipient_list {
  std::vector<recipient> rows;       // the valid ones, in order
  std::vector<rejection> rejected;   // in row order
  std::size_t rejected_count = 0;    // rejected.size() may stop at max_rejections_listed
  std::optional<std::string> fatal;  // the list as a whole is unusable (empty, too long, no header)
};

/** Reads a JSON `recipients` array. */
recipient_list read_json(const boost::json::value& recipients);

/**
 * A JSON create body with its `recipients` array taken out, so the array is never parsed
 * into one value (100,000 rows of parsed JSON beside the rows read from it were most of the
 * create's peak): `rest` is the body with the array's text replaced by `[]`, parsed strictly
 * as before (a second `recipients` member stays in it and is refused as a duplicate);
 * `recipients` is the array's text, a view into the body, read by `read_json_text`.
 */
struct json_body_split {
  std::string rest;
  std::string_view recipients;
};

/**
 * Finds the top-level `recipients` array of a JSON object's text by its brackets (strings
 * skipped), without parsing; nothing when the text is not an object of that shape (the
 * caller then parses the whole text strictly, which names the fault).
 */
std::optional<json_body_split> split_recipients(std::string_view body);

/**
 * Reads a `recipients` array's text row by row: each element parsed strictly on its own
 * (core::parse_json_strict: duplicate members, numbers that would not round-trip, depth
 * `max_row_depth`, `max_row_values`, and `max_list_values` for all rows together) into a
 * small arena released after the row, then read as
 * `read_json` reads it. A row that is not I-JSON, or a separator that is not `,` or `]`,
 * makes the list `fatal`, naming the row.
 */
recipient_list read_json_text(std::string_view array);
/** Reads a CSV upload (the whole text; the route maps a spooled file). */
recipient_list read_csv(std::string_view text);

/**
 * The checks of one row that need no other row: number shape, parameter shape, the header's
 * type and value (text as a body parameter and ≤ 60 bytes; a link http(s), ≤ 2048 bytes, no
 * space), each button's sub_type (quick_reply or url), index (0 to 9, once) and value (not
 * empty, ≤ 1000 bytes, no newline or tab).
 *
 * The template's own components (how many parameters, which header format, which buttons)
 * are checked against the instance's template copy in broadcasts/create.cpp
 * (templates::check_template), which needs a store read.
 */
std::optional<rejection> check_recipient(const template_ref& t, const recipient& r);

/**
 * Checks every row (`check_recipient`, then the same parameter count and kind, header type
 * and buttons (index and sub_type) as the first valid row, then duplicates), moving the
 * failures from `l.rows` to `l.rejected`.
 */
void check_all(const template_ref& t, recipient_list& l);

/** The number's digits as Meta keys a recipient (meta::recipient_key), or nothing when malformed. */
std::optional<std::string> number_key(std::string_view to);

/**
 * The Graph API body of one row's template message (checked again by meta::check_message):
 * components header (a text parameter, or `{type: image, image: {link}}` and so on), body,
 * then one `{type: button, sub_type, index: "n"}` per button, its parameter `{type: payload,
 * payload}` for a quick reply or `{type: text, text}` for a URL suffix (REFERENCE.md §1.2).
 */
std::string template_body(const template_ref& t, const recipient& r);

}  // namespace enfinito::broadcasts
