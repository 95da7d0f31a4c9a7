// http::loggable_path: request paths with the customer's identifiers replaced by keyed tags
// (see include/enfinito/http/loggable_path.hpp).
#include <enfinito/crypto/log_tag.hpp>
#include <enfinito/http/loggable_path.hpp>

namespace enfinito::http {
namespace {

constexpr std::size_t min_digits = 5;

bool digit(char c) { return c >= '0' && c <= '9'; }
bool lower(char c) { return c >= 'a' && c <= 'z'; }

// Enfinito's own ids: 2 to 5 lower-case letters and `_` (ins_, msg_, usr_, key_, whk_, …).
bool our_id(std::string_view seg) {
  std::size_t i = 0;
  while (i < seg.size() && i < 6 && lower(seg[i])) ++i;
  return i >= 2 && i <= 5 && i < seg.size() && seg[i] == '_';
}

void append_segment(std::string& out, std::string_view seg, const std::function<std::string(std::string_view)>& tag) {
  if (our_id(seg)) {
    out += seg;
    return;
  }
  std::size_t i = 0;
  while (i < seg.size()) {
    if (!digit(seg[i])) {
      out += seg[i++];
      continue;
    }
    std::size_t j = i;
    while (j < seg.size() && digit(seg[j])) ++j;
    if (j - i < min_digits) {
      out.append(seg.substr(i, j - i));
    } else {
      // A leading `+` (as typed, or percent-encoded) belongs to the number it introduces.
      if (out.ends_with('+'))
        out.pop_back();
      else if (out.size() >= 3 && (out.ends_with("%2B") || out.ends_with("%2b")))
        out.resize(out.size() - 3);
      out += tag(seg.substr(i, j - i));
    }
    i = j;
  }
}

}  // namespace

std::string loggable_path(std::string_view path, const std::function<std::string(std::string_view)>& tag) {
  std::string out;
  out.reserve(path.size() + 8);
  std::size_t start = 0;
  for (;;) {
    const auto slash = path.find('/', start);
    append_segment(out, path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start),
                   tag);
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string loggable_path(std::string_view path) {
  return loggable_path(path, [](std::string_view id) { return crypto::log_tag(id); });
}

}  // namespace enfinito::http
