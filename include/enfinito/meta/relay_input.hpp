#pragma once
/**
 * @file meta::relay_input: the checks of what a client asks us to relay to Meta (templates,
 * business profile, mark as read, media upload types), for api/meta_routes.cpp. Sans-I/O:
 * values in, the first offending field out; the route turns it into a problem+json.
 *
 * The checks are minimal on purpose (Meta reviews the rest): they refuse what Meta certainly
 * refuses, in our own words, and never echo the value.
 */
#include <enfinito/meta/graph.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace enfinito::meta {

/** The first offending field: `field` (dotted path, may be empty for the whole body), our
    `detail`, and the problem code (`invalid_field`, `missing_field`, `unknown_field`,
    `invalid_body`). */
struct input_problem {
  std::string field;
  std::string detail;
  std::string code = "invalid_field";
};

/** Characters as Meta counts them (code points of valid UTF-8). */
std::size_t chars(std::string_view s) noexcept;

/** A wamid as a path segment: base64-ish (`+/=._-:` and alphanumerics), 1 to 256 bytes. */
bool wamid_like(std::string_view w) noexcept;

/** The optional mark-as-read body: an object with at most `typing_indicator` (a bool). */
std::variant<bool, input_problem> read_mark_read_body(const boost::json::value& v);

/** The template list query as given (absent parameters stay empty). */
struct template_query_params {
  std::optional<std::string> limit, after, before, name, status, language;
};

/** Checks the list query and fills `q` (status upper-cased), or names the bad parameter. */
std::optional<input_problem> read_template_query(const template_query_params& p, template_query& q);

/** A template definition: name, language, category, optional parameter_format, and 1 to 10
    components of known types with exactly one BODY. Other keys pass through. */
std::optional<input_problem> check_template(const boost::json::value& v);

/** A business profile change: the documented fields within Meta's limits, at least one. */
std::optional<input_problem> check_business_profile(const boost::json::value& v);

/** A media type without parameters, lower-cased (`Image/PNG; x=y` → `image/png`). */
std::string media_essence(std::string_view mime);

/** The upload's media type from the form's `type` part and the file part's Content-Type:
    they must agree when both say something; one of them must (octet-stream says nothing). */
std::variant<std::string, input_problem> upload_media_type(std::string_view type_part,
                                                           std::string_view file_content_type);

/** An upload as relayed: its media type (an essence), file name and bytes (a view into the
    request body). */
struct upload_input {
  std::string mime;
  std::string filename;
  std::string_view bytes;
};

/** A part of a multipart/form-data upload, as parsed (views into the parser's parts). */
struct form_part {
  std::string_view name, filename, content_type, data;
};

/** The upload in a form: exactly one `file` part (its type agreeing with an optional `type`
    part: upload_media_type), `messaging_product` whatsapp if given, no other part. */
std::variant<upload_input, input_problem> read_upload_form(const std::vector<form_part>& parts);

/** A raw upload's `filename` query parameter: 1 to 200 characters. */
bool upload_filename_ok(std::string_view f) noexcept;

/** A size limit for a message: `16 MB`, `500 KB` (whole units). */
std::string size_text(std::size_t max_bytes);

/** Why WhatsApp would not take a file (REFERENCE.md §4). */
struct upload_refusal {
  enum class kind { unsupported_type, empty, too_large };
  kind what = kind::unsupported_type;
  std::string detail;  // too_large: "<kind> files of this type are limited to <size>"
};

/** Meta's per-type rules for an upload of `bytes` as `mime` (a media essence): a type Meta
    takes (told apart by the file's first bytes where it matters), not empty, within its size. */
std::optional<upload_refusal> check_upload_file(std::string_view mime, std::string_view bytes);

/** `fields=` as Graph takes it: field names, commas and nested braces only, 512 bytes at most. */
bool fields_like(std::string_view f) noexcept;

/** The list parameters a Graph-compatible list passes on to Meta, as given. */
struct graph_list_params {
  std::optional<std::string> limit, after, before, fields;
};

/** The query passed on to Meta (`limit` 1 to 100, opaque `after` / `before` cursors, `fields`;
    percent-encoded where a query would misread them) into `query`, or the name of the first
    parameter that is not valid. */
std::optional<std::string> graph_list_query(const graph_list_params& p, std::string& query);

/** Meta's phone number list (`{data:[{id,…}],…}`) cut to the numbers in `ids`: another
    business's numbers on the same WABA are not the caller's to see. False (untouched) when the
    answer is not that shape. */
bool keep_phone_numbers(boost::json::value& answer, const std::vector<std::string>& ids);

}  // namespace enfinito::meta
