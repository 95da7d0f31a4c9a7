// core::json_strict: the I-JSON parser (a basic_parser handler over value_stack) and the
// store's finite-text scan. The header says what is refused and why.
//
// The handler mirrors boost::json's own (detail/handler.hpp): every event pushes onto a
// value_stack, which builds the value in the caller's resource. Beside it, two small stacks:
// - `frames_`: one per open object or array; for an array, how many elements are complete
//   (the index of the one being parsed), for either, where its member names start in `keys_`;
// - `keys_` / `refs_`: the member names of every open object, so the object's end can check
//   them for duplicates and an error can name the path. An object's names are dropped at its end.
// The path is only spelled out when there is an error to report.
#include <enfinito/core/json_strict.hpp>

#include <boost/container/small_vector.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace enfinito::core {
namespace {

namespace json = boost::json;
using json::string_view;

// A member name in keys_: offset and length.
struct key_ref {
  std::size_t offset;
  std::size_t size;
};

struct frame {
  std::size_t first_ref;  // refs_ index of this container's first member name
  std::size_t index;      // arrays: elements completed so far
  bool array;
};

// Error paths are bounded, so a refusal stays small whatever the input (the message fuzz
// harness holds refusals under 2 KiB, and a path may be escaped 6-fold in JSON): a member
// name is cut after 32 bytes, a whole path keeps its last 120 bytes. Cuts fall on UTF-8
// boundaries and are marked with an ellipsis.
constexpr std::size_t max_segment_bytes = 32;
constexpr std::size_t max_path_bytes = 120;
constexpr std::string_view ellipsis = "\xE2\x80\xA6";

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

void cut_tail(std::string& s) {
  if (s.size() <= max_segment_bytes) return;
  std::size_t n = max_segment_bytes;
  while (n > 0 && continuation(s[n])) --n;
  s.resize(n);
  s += ellipsis;
}

void cut_head(std::string& s) {
  if (s.size() <= max_path_bytes) return;
  std::size_t from = s.size() - max_path_bytes;
  while (from < s.size() && continuation(s[from])) ++from;
  s = std::string(ellipsis) + s.substr(from);
}

// The handler: boost::json's, plus the checks and the path.
class strict_handler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  strict_handler(unsigned char* temp, std::size_t temp_size, std::size_t max_elements)
      : st(json::storage_ptr(), temp, temp_size), max_elements_(max_elements) {}

  json::value_stack st;
  std::optional<json_strict_error> error;  // set when a check (not the syntax) refused

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) {
    frames_.push_back({refs_.size(), 0, false});
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code& ec) {
    const frame f = frames_.back();
    if (const auto dup = duplicate_in(f.first_ref)) {
      const std::string name(*dup);
      return fail(ec, json_strict_errc::duplicate_key, frames_.size() - 1, name,
                  "An object names this member more than once (I-JSON, RFC 7493, forbids it)");
    }
    if (!refs_.empty() && f.first_ref < refs_.size()) keys_.resize(refs_[f.first_ref].offset);
    refs_.resize(f.first_ref);
    frames_.pop_back();
    st.push_object(n);
    return value_done(ec);
  }
  bool on_array_begin(json::error_code&) {
    frames_.push_back({refs_.size(), 0, true});
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code& ec) {
    frames_.pop_back();
    st.push_array(n);
    return value_done(ec);
  }

  bool on_key_part(string_view s, std::size_t, json::error_code&) {
    if (!in_key_) key_begin_ = keys_.size();
    in_key_ = true;
    keys_.insert(keys_.end(), s.begin(), s.end());
    st.push_chars(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, json::error_code&) {
    if (!in_key_) key_begin_ = keys_.size();
    in_key_ = false;
    keys_.insert(keys_.end(), s.begin(), s.end());
    refs_.push_back({key_begin_, keys_.size() - key_begin_});
    st.push_key(s);
    return true;
  }

  bool on_string_part(string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(string_view s, std::size_t, json::error_code& ec) {
    st.push_string(s);
    return value_done(ec);
  }

  bool on_number_part(string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, string_view, json::error_code& ec) {
    number_.clear();
    st.push_int64(i);
    return value_done(ec);
  }
  bool on_uint64(std::uint64_t u, string_view, json::error_code& ec) {
    number_.clear();
    st.push_uint64(u);
    return value_done(ec);
  }
  bool on_double(double d, string_view s, json::error_code& ec) {
    std::string_view literal(s.data(), s.size());
    if (!number_.empty()) {  // the literal came in parts (only when a text is fed in pieces)
      number_.append(s.data(), s.size());
      literal = number_;
    }
    if (const char* why = number_refusal(d, literal))
      return fail(ec, json_strict_errc::bad_number, frames_.size(), {}, why);
    number_.clear();
    st.push_double(d);
    return value_done(ec);
  }

  bool on_bool(bool b, json::error_code& ec) {
    st.push_bool(b);
    return value_done(ec);
  }
  bool on_null(json::error_code& ec) {
    st.push_null();
    return value_done(ec);
  }
  bool on_comment_part(string_view, json::error_code&) { return true; }
  bool on_comment(string_view, json::error_code&) { return true; }

 private:
  // Why a double parsed from `literal` does not carry the literal's meaning, or nullptr.
  static const char* number_refusal(double d, std::string_view literal) {
    if (!std::isfinite(d)) return "This number is too large for a double (I-JSON, RFC 7493)";
    if (literal.find_first_of(".eE") == std::string_view::npos)
      return "This integer is outside the 64-bit range and would lose digits; send it as a string";
    if (d == 0) {
      const auto mantissa = literal.substr(0, literal.find_first_of("eE"));
      if (mantissa.find_first_of("123456789") != std::string_view::npos)
        return "This number is too small for a double: it would become 0";
    }
    return nullptr;
  }

  // A value is complete: count it, and step the enclosing array's index.
  bool value_done(json::error_code& ec) {
    if (++elements_ > max_elements_)
      return fail(ec, json_strict_errc::too_many, frames_.size(), {}, "The JSON text has too many elements");
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }

  std::string_view name(const key_ref& r) const { return {keys_.data() + r.offset, r.size}; }

  // A name given twice among refs_[first..], if any.
  std::optional<std::string_view> duplicate_in(std::size_t first) const {
    const std::size_t n = refs_.size() - first;
    if (n < 2) return std::nullopt;
    if (n <= 16) {  // the usual object: a few names, compared pairwise without allocating
      for (std::size_t i = first; i < refs_.size(); ++i)
        for (std::size_t j = i + 1; j < refs_.size(); ++j)
          if (name(refs_[i]) == name(refs_[j])) return name(refs_[i]);
      return std::nullopt;
    }
    std::vector<std::string_view> sorted;
    sorted.reserve(n);
    for (std::size_t i = first; i < refs_.size(); ++i) sorted.push_back(name(refs_[i]));
    std::sort(sorted.begin(), sorted.end());
    if (auto it = std::adjacent_find(sorted.begin(), sorted.end()); it != sorted.end()) return *it;
    return std::nullopt;
  }

  // Records the error with the path through frames_[0, depth) (then `last`, if given).
  bool fail(json::error_code& ec, json_strict_errc code, std::size_t depth, std::optional<std::string> last,
            const char* detail) {
    json_strict_error e;
    e.code = code;
    e.detail = detail;
    auto add_key = [&e](std::string k) {
      cut_tail(k);
      if (!e.field.empty()) e.field += '.';
      e.field += k;
      e.pointer += '/';
      for (char c : k) {
        if (c == '~')
          e.pointer += "~0";
        else if (c == '/')
          e.pointer += "~1";
        else
          e.pointer += c;
      }
    };
    if (code != json_strict_errc::too_many) {  // an element count is about the whole text
      for (std::size_t i = 0; i < depth; ++i) {
        const frame& f = frames_[i];
        if (f.array) {
          e.field += "[" + std::to_string(f.index) + "]";
          e.pointer += "/" + std::to_string(f.index);
          continue;
        }
        const std::size_t end = i + 1 < frames_.size() ? frames_[i + 1].first_ref : refs_.size();
        if (end > f.first_ref) add_key(std::string(name(refs_[end - 1])));
      }
      if (last) add_key(std::move(*last));
      cut_head(e.field);
      cut_head(e.pointer);
    }
    error = std::move(e);
    ec = std::make_error_code(std::errc::invalid_argument);
    return false;
  }

  boost::container::small_vector<frame, 16> frames_;
  boost::container::small_vector<key_ref, 32> refs_;
  boost::container::small_vector<char, 512> keys_;
  std::string number_;
  std::size_t key_begin_ = 0;
  bool in_key_ = false;
  std::size_t elements_ = 0;
  std::size_t max_elements_;
};

}  // namespace

json_strict_result parse_json_strict(std::string_view text, json::storage_ptr sp, const json_strict_limits& limits) {
  json_strict_result out;
  // The value_stack's scratch, on the stack as boost::json::parse keeps it.
  unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
  json::parse_options opts;
  opts.max_depth = limits.max_depth;
  json::basic_parser<strict_handler> p(opts, temp, sizeof temp, limits.max_elements);
  p.handler().st.reset(std::move(sp));
  json::error_code ec;
  const std::size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) {
    if (p.handler().error) {
      out.error = std::move(p.handler().error);
    } else if (ec == json::error::too_deep) {
      out.error = json_strict_error{json_strict_errc::too_deep, {}, {}, "The JSON text is nested too deeply"};
    } else {
      out.error =
          json_strict_error{json_strict_errc::syntax, {}, {}, "The text is not valid JSON (or not valid UTF-8)"};
    }
    return out;
  }
  out.value = p.handler().st.release();
  return out;
}

namespace {
// What a JSON text may hold outside its strings: white space, punctuation, number characters
// and the letters of true, false and null.
constexpr std::array<bool, 256> outside_strings = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : std::string_view(" \t\r\n{}[],:-+.0123456789eEtrufalsn")) t[c] = true;
  return t;
}();
}  // namespace

bool finite_json_text(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      continue;
    }
    if (!outside_strings[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace enfinito::core
