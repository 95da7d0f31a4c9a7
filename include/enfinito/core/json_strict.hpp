#pragma once
/**
 * @file Strict JSON: the one parser for every JSON text a client or Meta sends us.
 *
 * `boost::json::parse` (Boost 1.81) keeps the last of duplicate member names and turns numbers
 * it cannot hold into `Infinity` or an inexact double, so a body could be stored and forwarded
 * with a meaning other than the one its sender wrote (issue 23, findings 2 and 3). This parser
 * accepts I-JSON (RFC 7493) and refuses, naming the member at fault:
 * - an object with two members of the same name (compared after unescaping: `"a"` and
 *   `"\u0061"` are the same name);
 * - a number that overflows a double (`1e999999`);
 * - an integer literal (no `.`, `e` or `E`) beyond int64/uint64 (`2^64`): it would become a
 *   double and no longer round-trip;
 * - a non-zero literal that underflows to zero (`1e-400`). I-JSON leaves precision to the
 *   implementation: fractions and exponents are IEEE doubles (`0.1`, `1.5e3`, and subnormals,
 *   are accepted as the nearest double), but a value that becomes 0 changed its meaning.
 * `-0` is accepted (an integer zero, as boost::json reads it).
 *
 * One pass: a `boost::json::basic_parser` whose handler builds the value with the public
 * `boost::json::value_stack`, as `boost::json::parser` does, and keeps beside it the path of
 * the member being parsed and the names of the open objects' members (inline buffers: no
 * allocation for an ordinary request body). Depth and element limits are enforced while
 * parsing, so a hostile text stops at its first excess.
 *
 * `finite_json_text` is the store's last line: a byte scan that refuses text a serializer
 * wrote from a non-finite double (`Infinity`, `NaN`), which is not JSON.
 */
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::core {

/** Limits applied while parsing. */
struct json_strict_limits {
  std::size_t max_depth = 32;
  std::size_t max_elements = std::numeric_limits<std::size_t>::max();  // values, not keys
};

/** Why a text was refused. */
enum class json_strict_errc {
  syntax,         // not JSON (or not UTF-8, or trailing data)
  too_deep,       // nesting past max_depth
  too_many,       // more values than max_elements
  duplicate_key,  // an object names a member twice
  bad_number,     // a number that overflows, underflows to 0 or is an integer past 64 bits
};

/** A refusal and where it happened (empty paths: the document itself, or unknown). */
struct json_strict_error {
  json_strict_errc code = json_strict_errc::syntax;
  std::string pointer;  // RFC 6901 JSON pointer of the offending member: `/text/body`, `/a/0/b`
  std::string field;    // the same as the dotted path the API's `field` uses: `text.body`, `a[0].b`
  std::string detail;   // one sentence for a problem's `detail`; never quotes a value
};

/** A parsed value, or the error. */
struct json_strict_result {
  std::optional<boost::json::value> value;
  std::optional<json_strict_error> error;
};

/** Parses `text` as I-JSON into `sp` (the default resource when null). Never throws on input. */
json_strict_result parse_json_strict(std::string_view text, boost::json::storage_ptr sp = {},
                                     const json_strict_limits& limits = {});

/**
 * True unless `text`, outside its strings, holds a character no JSON text has there: the
 * `Infinity` / `NaN` a serializer writes for a non-finite double. A cheap scan for the store,
 * not a validator: it assumes `text` came from a JSON serializer.
 */
bool finite_json_text(std::string_view text) noexcept;

}  // namespace enfinito::core
