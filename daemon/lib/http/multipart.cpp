// http::multipart: a bounded multipart/form-data parser over an in-memory body (see the header).
#include "http/multipart.hpp"

#include <enfinito/core/text.hpp>

#include <algorithm>
#include <cctype>

namespace enfinito::http::multipart {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr auto trim = core::trim_ows;

// RFC 2046 bcharsnospace plus space (not last).
bool boundary_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// `; key=value; key="quoted value"` parameters after the first `;`. Returns the value of `want`.
// Quoted values may escape with a backslash. Empty when absent.
bool find_param(std::string_view header_value, std::string_view want, std::string& out) {
  auto rest = header_value.substr(std::min(header_value.size(), header_value.find(';')));
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the ';'
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string key = lower(trim(rest.substr(0, eq)));
    rest = trim(rest.substr(eq + 1));
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value.push_back(rest[i]);
      }
      if (i >= rest.size()) return false;  // unterminated quote
      rest = rest.substr(i + 1);
      rest = rest.substr(std::min(rest.size(), rest.find(';')));
    } else {
      const auto semi = rest.find(';');
      value = std::string(trim(rest.substr(0, semi)));
      rest = rest.substr(std::min(rest.size(), semi));
    }
    if (key == want) {
      out = std::move(value);
      return true;
    }
  }
  return false;
}

// Reads one part's header block (ending with an empty line) into `p`.
bool read_headers(std::string_view block, part& p) {
  bool disposition = false;
  while (!block.empty()) {
    const auto eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; }))
      return false;
    if (name == "content-disposition") {
      if (lower(trim(value.substr(0, value.find(';')))) != "form-data") return false;
      if (!find_param(value, "name", p.name) || p.name.empty()) return false;
      find_param(value, "filename", p.filename);
      disposition = true;
    } else if (name == "content-type") {
      p.content_type = std::string(value);
    }
  }
  return disposition;
}

}  // namespace

bool is_form_data(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';')))) == "multipart/form-data";
}

boost::system::result<std::vector<part>, failure> parse(std::string_view content_type, std::string_view body,
                                                        const limits& lim) {
  if (!is_form_data(content_type)) return failure::not_multipart;
  std::string boundary;
  if (!find_param(content_type, "boundary", boundary)) return failure::bad_boundary;
  if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ' ||
      !std::all_of(boundary.begin(), boundary.end(), boundary_char))
    return failure::bad_boundary;

  const std::string delimiter = "--" + boundary;
  const std::string next = "\r\n" + delimiter;
  // The first delimiter starts the body or follows a preamble line.
  std::size_t pos = 0;
  if (!body.starts_with(delimiter)) {
    pos = body.find(next);
    if (pos == std::string_view::npos) return failure::malformed;
    pos += 2;
  }
  std::vector<part> parts;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    // Transport padding, then the line break that ends the delimiter line.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return failure::malformed;
    pos += 2;
    if (parts.size() == lim.max_parts) return failure::too_many_parts;

    // Headers: up to the empty line, within the limit. (A part with no headers starts with it.)
    std::size_t header_end = body.substr(pos, 2) == "\r\n" ? pos : body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos || header_end - pos > lim.max_header_bytes)
      return header_end == std::string_view::npos && body.size() - pos <= lim.max_header_bytes
                 ? failure::malformed
                 : failure::header_too_large;
    part p;
    if (!read_headers(body.substr(pos, header_end - pos), p)) return failure::malformed;
    pos = header_end + (header_end == pos ? 2 : 4);

    // Data: up to the next delimiter, which must start a line.
    const auto end = body.find(next, pos);
    if (end == std::string_view::npos) return failure::malformed;
    p.data = body.substr(pos, end - pos);
    parts.push_back(std::move(p));
    pos = end + 2;
  }
}

std::string_view describe(failure f) noexcept {
  switch (f) {
    case failure::not_multipart:
      return "the body is not multipart/form-data";
    case failure::bad_boundary:
      return "the multipart boundary is missing or invalid (1 to 70 characters)";
    case failure::malformed:
      return "the multipart body is malformed";
    case failure::too_many_parts:
      return "the multipart body has too many parts";
    case failure::header_too_large:
      return "a multipart part has too large headers";
  }
  return "the multipart body is malformed";
}

}  // namespace enfinito::http::multipart
