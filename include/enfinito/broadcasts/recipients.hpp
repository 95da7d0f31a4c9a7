#pragma once
/**
 * @file broadcasts::recipients: a broadcast's recipient list, read and checked before anything
 * is stored (issue 21). Pure: text or JSON in, rows and rejections out; no I/O, no clock.
 *
 * Two shapes of the same list:
 * - JSON: `recipients: [{"to": "+15551234567", "parameters": ["Ana", "#1001"]}, ...]`, where
 *   `parameters` are the template body's positional parameters, or an object
 *   `{"first_name": "Ana"}` for a template with named parameters. A row's number is its
 *   1-based position in the array.
 * - CSV (RFC 4180: commas, CRLF or LF, double-quoted fields with "" for a quote): a header
 *   line whose first column is `to` (or `phone`), then one column per positional body
 *   parameter, in order. A row's number is its line in the file (the header is line 1).
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::broadcasts {

/** The limits of one broadcast (explicit, documented in docs/api-guide.md). */
constexpr std::size_t max_recipients = 100'000;
constexpr std::size_t max_parameters = 60;             // body variables per template row
constexpr std::size_t max_parameter_bytes = 1024;      // a template body's whole text is ≤ 1024
constexpr std::size_t max_rejections_listed = 1000;    // rows named in the answer (all are counted)
constexpr std::size_t max_name_bytes = 200;            // broadcast name
constexpr std::size_t max_template_name_bytes = 512;   // Meta: template names ≤ 512
constexpr std::size_t max_language_bytes = 15;        // e.g. en_US, pt_BR, zh_HK

/** The template every row is sent with. */
struct template_ref {
  std::string name;
  std::string language;  // Meta's language code, e.g. en_US
};

struct recipient {
  std::size_t row = 0;  // JSON: position (1-based); CSV: line
  std::string to;       // as given
  std::vector<std::string> parameters;
  std::vector<std::string> names;  // named parameters: names[i] goes with parameters[i]; else empty
};

struct rejection {
  std::size_t row = 0;
  std::string field;   // "to", "parameters", "parameters[2]", or "" for the row itself
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
/** Reads a CSV upload (the whole text; the route maps a spooled file). */
recipient_list read_csv(std::string_view text);

/**
 * The checks of one row that need no other row: number shape, parameter shape.
 *
 * SEAM(templates): once `templates::check_params` exists (the template's components and
 * variables, read from Meta's template list), the lead calls it here for `t` and the row's
 * parameters, and returns its first violation as this rejection. Until then the template
 * itself is checked only by Meta when the message is sent (132000, 132001: `failed`).
 */
std::optional<rejection> check_recipient(const template_ref& t, const recipient& r);

/**
 * Checks every row (`check_recipient`, then the same parameter count and kind as the first
 * valid row, then duplicates), moving the failures from `l.rows` to `l.rejected`.
 */
void check_all(const template_ref& t, recipient_list& l);

/** The number's digits as Meta keys a recipient (meta::recipient_key), or nothing when malformed. */
std::optional<std::string> number_key(std::string_view to);

/** The Graph API body of one row's template message (checked again by meta::check_message). */
std::string template_body(const template_ref& t, const recipient& r);

}  // namespace enfinito::broadcasts
