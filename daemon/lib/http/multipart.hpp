#pragma once
/**
 * @file http::multipart: a small, bounded multipart/form-data parser (RFC 7578 / RFC 2046) for
 * the media upload route. Sans-I/O: the whole body is already in memory (the server caps it
 * per route); parts are views into it, so a file is never copied here.
 *
 * Limits, each checked: boundary 1..70 characters of RFC 2046's set, at most `max_parts`
 * parts, at most `max_header_bytes` of headers per part. Anything outside the grammar is
 * `malformed`: the caller answers 400 and never guesses.
 */
#include <boost/system/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::http::multipart {

struct part {
  std::string name;          // Content-Disposition name
  std::string filename;      // Content-Disposition filename, if any
  std::string content_type;  // the part's Content-Type, if any
  std::string_view data;     // the part's bytes, a view into the body
};

struct limits {
  std::size_t max_parts = 8;
  std::size_t max_header_bytes = 4096;
};

enum class failure {
  not_multipart,  // Content-Type is not multipart/form-data
  bad_boundary,   // missing, too long or with characters RFC 2046 does not allow
  malformed,      // the body does not follow the grammar
  too_many_parts,
  header_too_large,
};

/** True when the Content-Type names multipart/form-data (parameters ignored). */
bool is_form_data(std::string_view content_type);

/** Splits `body` into its parts. */
boost::system::result<std::vector<part>, failure> parse(std::string_view content_type, std::string_view body,
                                                        const limits& lim = {});

/** A short English description of a failure (our words, for problem details). */
std::string_view describe(failure f) noexcept;

}  // namespace enfinito::http::multipart
