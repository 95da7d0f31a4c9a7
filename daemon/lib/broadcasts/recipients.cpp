// broadcasts::recipients: reading a recipient list (JSON array or CSV) and checking each row;
// the rules are in include/enfinito/broadcasts/recipients.hpp.
#include <enfinito/broadcasts/recipients.hpp>

#include <enfinito/core/json_strict.hpp>

#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <unordered_map>

namespace enfinito::broadcasts {
namespace {

namespace json = boost::json;

void reject(recipient_list& l, std::size_t row, std::string field, std::string detail) {
  ++l.rejected_count;
  if (l.rejected.size() < max_rejections_listed) l.rejected.push_back({row, std::move(field), std::move(detail)});
}

// Meta's rule for a text parameter of a template: no newline or tab, at most 4 spaces in a row.
std::optional<std::string> parameter_problem(std::string_view p) {
  if (p.empty()) return "empty: every parameter needs a value";
  if (p.size() > max_parameter_bytes) return "longer than 1024 bytes";
  int spaces = 0;
  for (char ch : p) {
    if (ch == '\n' || ch == '\r' || ch == '\t') return "contains a newline or tab (Meta refuses them)";
    spaces = ch == ' ' ? spaces + 1 : 0;
    if (spaces > 4) return "more than 4 spaces in a row (Meta refuses them)";
  }
  return std::nullopt;
}

// A button's value goes to Meta as a payload or inside a URL: one line.
std::optional<std::string> button_value_problem(std::string_view v) {
  if (v.empty()) return "empty: a button parameter needs a value";
  if (v.size() > max_button_value_bytes) return "longer than 1000 bytes";
  if (v.find_first_of("\r\n\t") != std::string_view::npos) return "contains a newline or tab";
  return std::nullopt;
}

bool is_media_type(std::string_view t) { return t == "image" || t == "document" || t == "video"; }

std::optional<rejection> header_problem(std::size_t row, const header_param& h) {
  if (h.type == "text") {
    if (auto p = parameter_problem(h.value)) return rejection{row, "header.text", *p};
    if (h.value.size() > max_header_text_bytes)
      return rejection{row, "header.text", "longer than 60 bytes (Meta's limit)"};
    return std::nullopt;
  }
  if (!is_media_type(h.type)) return rejection{row, "header.type", "text, image, document or video"};
  const std::string_view link = h.value;
  const bool http = link.starts_with("https://") || link.starts_with("http://");
  if (!http || link.size() > max_link_bytes || link.find_first_of(" \r\n\t") != std::string_view::npos)
    return rejection{row, "header.link", "an http or https URL of at most 2048 bytes, without spaces"};
  return std::nullopt;
}

std::optional<rejection> buttons_problem(std::size_t row, const std::vector<button_param>& buttons) {
  for (std::size_t i = 0; i < buttons.size(); ++i) {
    const auto& b = buttons[i];
    const std::string field = "buttons[" + std::to_string(i) + "]";
    if (b.index > max_button_index) return rejection{row, field + ".index", "0 to 9"};
    if (i > 0 && buttons[i - 1].index == b.index) return rejection{row, field + ".index", "the same button twice"};
    if (b.sub_type != "quick_reply" && b.sub_type != "url")
      return rejection{row, field + ".sub_type", "quick_reply or url"};
    if (auto p = button_value_problem(b.value))
      return rejection{row, field + (b.sub_type == "url" ? ".text" : ".payload"), *p};
  }
  return std::nullopt;
}

void sort_buttons(std::vector<button_param>& b) {
  std::stable_sort(b.begin(), b.end(), [](const button_param& x, const button_param& y) { return x.index < y.index; });
}

// The same header type and the same buttons (index, sub_type) as another row.
bool same_shape(const recipient& a, const recipient& b) {
  if (a.header.has_value() != b.header.has_value()) return false;
  if (a.header && a.header->type != b.header->type) return false;
  if (a.buttons.size() != b.buttons.size()) return false;
  for (std::size_t i = 0; i < a.buttons.size(); ++i)
    if (a.buttons[i].index != b.buttons[i].index || a.buttons[i].sub_type != b.buttons[i].sub_type) return false;
  return true;
}

bool is_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

// One CSV record from `text` at `pos` (RFC 4180); false at the end. `lines` counts the line
// breaks consumed (a quoted field may span lines), `bad` is set on an unterminated quote.
bool next_record(std::string_view text, std::size_t& pos, std::vector<std::string>& fields, std::size_t& lines,
                 bool& bad) {
  fields.clear();
  if (pos >= text.size()) return false;
  std::string field;
  bool quoted = false, was_quoted = false;
  while (pos < text.size()) {
    const char ch = text[pos++];
    if (quoted) {
      if (ch == '"') {
        if (pos < text.size() && text[pos] == '"') {
          field += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++lines;
        field += ch;
      }
      continue;
    }
    if (ch == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (ch == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
      ++lines;
      fields.push_back(std::move(field));
      return true;
    } else {
      field += ch;
    }
  }
  if (quoted) bad = true;
  fields.push_back(std::move(field));
  return true;
}

bool blank(const std::vector<std::string>& f) { return f.size() == 1 && f[0].empty(); }

const json::string* string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? &v->get_string() : nullptr;
}

// `header`: {"type": "text", "text": "…"} or {"type": "image"|"document"|"video", "link": "…"}.
// Returns the field and what it should be when the shape is wrong.
std::optional<std::pair<std::string, std::string>> read_header(const json::value& v, header_param& out) {
  const auto* o = v.if_object();
  if (!o) return std::pair{std::string("header"), std::string("an object {type, text} or {type, link}")};
  const auto* type = string_at(*o, "type");
  if (!type) return std::pair{std::string("header.type"), std::string("text, image, document or video")};
  out.type = std::string(*type);
  const std::string_view value_key = out.type == "text" ? "text" : "link";
  for (const auto& [k, val] : *o)
    if (k != "type" && k != value_key)
      return std::pair{"header." + std::string(k),
                       std::string("unknown field (a ") + out.type + " header takes " + std::string(value_key) + ")"};
  const auto* value = string_at(*o, value_key);
  if (!value) return std::pair{"header." + std::string(value_key), std::string("a string")};
  out.value = std::string(*value);
  return std::nullopt;
}

// `buttons`: [{"index": 0, "sub_type": "quick_reply", "payload": "…"} | {…, "sub_type": "url", "text": "…"}].
std::optional<std::pair<std::string, std::string>> read_buttons(const json::value& v, std::vector<button_param>& out) {
  const auto* a = v.if_array();
  if (!a || a->size() > max_button_index + 1)
    return std::pair{std::string("buttons"), std::string("an array of at most 10 {index, sub_type, payload | text}")};
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string field = "buttons[" + std::to_string(i) + "]";
    const auto* o = (*a)[i].if_object();
    if (!o) return std::pair{field, std::string("an object {index, sub_type, payload | text}")};
    button_param b;
    const auto* index = o->if_contains("index");
    if (!index || !index->is_int64() || index->get_int64() < 0 ||
        index->get_int64() > static_cast<std::int64_t>(max_button_index))
      return std::pair{field + ".index", std::string("an integer from 0 to 9")};
    b.index = static_cast<std::size_t>(index->get_int64());
    const auto* sub_type = string_at(*o, "sub_type");
    if (!sub_type || (*sub_type != "quick_reply" && *sub_type != "url"))
      return std::pair{field + ".sub_type", std::string("quick_reply or url")};
    b.sub_type = std::string(*sub_type);
    const std::string_view value_key = b.sub_type == "url" ? "text" : "payload";
    for (const auto& [k, val] : *o)
      if (k != "index" && k != "sub_type" && k != value_key)
        return std::pair{field + "." + std::string(k),
                         "unknown field (a " + b.sub_type + " button takes " + std::string(value_key) + ")"};
    const auto* value = string_at(*o, value_key);
    if (!value) return std::pair{field + "." + std::string(value_key), std::string("a string")};
    b.value = std::string(*value);
    out.push_back(std::move(b));
  }
  sort_buttons(out);
  return std::nullopt;
}

// A CSV column's role, from its header name.
struct column {
  enum class kind { body, header, button } what = kind::body;
  std::string type;       // header: text | image | document | video; button: quick_reply | url
  std::size_t index = 0;  // button
};

// `header_text`, `header_image`, …, `button_<n>_payload`, `button_<n>_url`; anything else is
// a body parameter.
column column_of(std::string_view name) {
  column c;
  for (std::string_view t : {"text", "image", "document", "video"})
    if (name.size() == 7 + t.size() && name.starts_with("header_") && name.substr(7) == t) {
      c.what = column::kind::header;
      c.type = std::string(t);
      return c;
    }
  if (name.size() >= 10 && name.starts_with("button_") && name[7] >= '0' && name[7] <= '9' && name[8] == '_') {
    const auto rest = name.substr(9);
    if (rest == "payload" || rest == "url") {
      c.what = column::kind::button;
      c.type = rest == "payload" ? "quick_reply" : "url";
      c.index = static_cast<std::size_t>(name[7] - '0');
    }
  }
  return c;
}

}  // namespace

std::optional<std::string> number_key(std::string_view to) {
  std::string digits;
  for (std::size_t i = 0; i < to.size(); ++i) {
    const char ch = to[i];
    if (ch >= '0' && ch <= '9')
      digits += ch;
    else if (ch == '+' && i == 0)
      continue;
    else if (ch == ' ' || ch == '-' || ch == '(' || ch == ')' || ch == '.')
      continue;
    else
      return std::nullopt;
  }
  // E.164: a country code (never starting with 0) and at most 15 digits in all.
  if (digits.size() < 7 || digits.size() > 15 || digits[0] == '0') return std::nullopt;
  return digits;
}

std::optional<rejection> check_recipient(const template_ref& t, const recipient& r) {
  if (r.to.empty()) return rejection{r.row, "to", "missing"};
  if (!number_key(r.to))
    return rejection{r.row, "to", "not a phone number: 7 to 15 digits with the country code, e.g. +15551234567"};
  if (r.parameters.size() > max_parameters) return rejection{r.row, "parameters", "more than 60 parameters"};
  for (std::size_t i = 0; i < r.parameters.size(); ++i) {
    const std::string field = r.names.empty() ? "parameters[" + std::to_string(i) + "]" : "parameters." + r.names[i];
    if (!r.names.empty() && !is_name(r.names[i]))
      return rejection{r.row, field, "a parameter name is 1 to 64 of a-z, 0-9 and _"};
    if (auto p = parameter_problem(r.parameters[i])) return rejection{r.row, field, *p};
  }
  if (r.header)
    if (auto bad = header_problem(r.row, *r.header)) return bad;
  if (auto bad = buttons_problem(r.row, r.buttons)) return bad;
  // The template's own parameters are checked against the instance's template copy in
  // broadcasts/create.cpp (templates::check_template), which needs a store read.
  (void)t;
  return std::nullopt;
}

void check_all(const template_ref& t, recipient_list& l) {
  // The valid rows move down in place: a second vector of 100,000 rows would double the peak.
  std::size_t kept = 0;
  // Number key → row. A key is at most 15 digits, never starting with 0: as an integer it
  // is the same key in 8 bytes (a string key's node took 80 bytes; 100,000 rows: ~5 MiB).
  std::unordered_map<std::uint64_t, std::size_t> seen;
  seen.reserve(l.rows.size());
  const recipient* first = nullptr;
  for (std::size_t i = 0; i < l.rows.size(); ++i) {
    auto& r = l.rows[i];
    if (auto bad = check_recipient(t, r)) {
      reject(l, bad->row, std::move(bad->field), std::move(bad->detail));
      continue;
    }
    if (first && (r.parameters.size() != first->parameters.size() || r.names != first->names)) {
      reject(l, r.row, "parameters",
             "not the same parameters as row " + std::to_string(first->row) + " (one template, one set of variables)");
      continue;
    }
    if (first && !same_shape(r, *first)) {
      const bool header_differs =
          r.header.has_value() != first->header.has_value() || (r.header && r.header->type != first->header->type);
      reject(l, r.row, header_differs ? "header" : "buttons",
             "not the same header and buttons as row " + std::to_string(first->row) +
                 " (one template, one set of variables)");
      continue;
    }
    auto [it, fresh] = seen.emplace(std::stoull(*number_key(r.to)), r.row);
    if (!fresh) {
      reject(l, r.row, "to", "the same number as row " + std::to_string(it->second));
      continue;
    }
    if (kept != i) l.rows[kept] = std::move(r);
    if (!first) first = &l.rows[kept];
    ++kept;
  }
  l.rows.resize(kept);
  std::sort(l.rejected.begin(), l.rejected.end(), [](const rejection& a, const rejection& b) { return a.row < b.row; });
}

namespace {

// One element of the `recipients` array into `l`: a row, or its rejection.
void read_row(const json::value& item, std::size_t row, recipient_list& l) {
  const auto* o = item.if_object();
  if (!o) {
    reject(l, row, "", "an object {to, parameters}");
    return;
  }
  recipient r;
  r.row = row;
  bool ok = true;
  for (const auto& [k, val] : *o) {
    if (k == "to" && val.is_string()) {
      r.to = std::string(val.as_string());
    } else if (k == "parameters" && val.is_array()) {
      for (const auto& p : val.as_array()) {
        if (!p.is_string())
          ok = false;
        else
          r.parameters.emplace_back(p.as_string());
      }
      if (!ok) reject(l, row, "parameters", "an array of strings");
    } else if (k == "header" || k == "buttons") {
      auto bad = k == "header" ? read_header(val, r.header.emplace()) : read_buttons(val, r.buttons);
      if (bad) {
        ok = false;
        reject(l, row, std::move(bad->first), std::move(bad->second));
      }
    } else if (k == "parameters" && val.is_object()) {
      for (const auto& [name, p] : val.as_object()) {
        if (!p.is_string())
          ok = false;
        else {
          r.names.emplace_back(name);
          r.parameters.emplace_back(p.as_string());
        }
      }
      if (!ok) reject(l, row, "parameters", "an object of strings");
    } else {
      ok = false;
      reject(l, row, std::string(k),
             k == "to"           ? "a string"
             : k == "parameters" ? "an array or object"
                                 : "unknown field");
    }
    if (!ok) break;
  }
  if (ok) l.rows.push_back(std::move(r));
}

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view t, std::size_t pos) {
  while (pos < t.size() && json_space(t[pos])) ++pos;
  return pos;
}

// The end of the string starting at `pos` (its opening quote), past the closing quote; npos
// when unterminated. Escapes are skipped, not decoded.
std::size_t skip_string(std::string_view t, std::size_t pos) {
  for (++pos; pos < t.size(); ++pos) {
    if (t[pos] == '\\')
      ++pos;
    else if (t[pos] == '"')
      return pos + 1;
  }
  return std::string_view::npos;
}

// The end of the JSON value starting at `pos`: a container to its matching bracket (strings
// skipped), a scalar to the next delimiter. Only finds the bounds: the caller parses what it
// found strictly, so a malformed value is refused there.
std::size_t skip_value(std::string_view t, std::size_t pos) {
  if (pos >= t.size()) return std::string_view::npos;
  if (t[pos] == '"') return skip_string(t, pos);
  if (t[pos] != '{' && t[pos] != '[') {
    while (pos < t.size() && !json_space(t[pos]) && t[pos] != ',' && t[pos] != ']' && t[pos] != '}') ++pos;
    return pos;
  }
  std::size_t depth = 0;
  while (pos < t.size()) {
    const char c = t[pos];
    if (c == '"') {
      pos = skip_string(t, pos);
      if (pos == std::string_view::npos) return pos;
      continue;
    }
    ++pos;
    if (c == '{' || c == '[')
      ++depth;
    else if ((c == '}' || c == ']') && --depth == 0)
      return pos;
  }
  return std::string_view::npos;
}

// How many values the array's text holds from `pos` (at most max_recipients): the rows are
// reserved once, as read_json reserves them, instead of growing by doubling (a 100,000-row
// vector grown past its size, and its copy while it grows, at the create's peak).
std::size_t count_values(std::string_view t, std::size_t pos) {
  std::size_t n = 0;
  while (n < max_recipients) {
    const std::size_t end = skip_value(t, pos);
    if (end == std::string_view::npos || end == pos) break;
    ++n;
    pos = skip_space(t, end);
    if (pos >= t.size() || t[pos] != ',') break;
    pos = skip_space(t, pos + 1);
  }
  return n;
}

// The values in `v`, itself included (as the strict parser counts them).
std::size_t count_tree(const json::value& v) {
  std::size_t n = 1;
  if (const auto* a = v.if_array())
    for (const auto& x : *a) n += count_tree(x);
  else if (const auto* o = v.if_object())
    for (const auto& kv : *o) n += count_tree(kv.value());
  return n;
}

}  // namespace

recipient_list read_json(const json::value& v) {
  recipient_list l;
  const auto* a = v.if_array();
  if (!a) {
    l.fatal = "recipients: an array of {to, parameters}";
    return l;
  }
  if (a->empty()) l.fatal = "recipients: at least one";
  if (a->size() > max_recipients) l.fatal = "recipients: at most 100000";
  if (l.fatal) return l;
  l.rows.reserve(a->size());
  std::size_t row = 0;
  for (const auto& item : *a) read_row(item, ++row, l);
  return l;
}

std::optional<json_body_split> split_recipients(std::string_view body) {
  std::size_t pos = skip_space(body, 0);
  if (pos >= body.size() || body[pos] != '{') return std::nullopt;
  pos = skip_space(body, pos + 1);
  std::optional<json_body_split> out;
  std::size_t from = 0, to = 0;  // the array's bounds in `body`
  while (pos < body.size() && body[pos] == '"') {
    const std::size_t key_end = skip_string(body, pos);
    if (key_end == std::string_view::npos) return std::nullopt;
    const bool is_recipients = body.substr(pos, key_end - pos) == "\"recipients\"";
    pos = skip_space(body, key_end);
    if (pos >= body.size() || body[pos] != ':') return std::nullopt;
    pos = skip_space(body, pos + 1);
    const std::size_t end = skip_value(body, pos);
    if (end == std::string_view::npos) return std::nullopt;
    if (is_recipients && !out && body[pos] == '[') {
      out.emplace();
      from = pos;
      to = end;
    }
    pos = skip_space(body, end);
    if (pos < body.size() && body[pos] == ',')
      pos = skip_space(body, pos + 1);
    else
      break;
  }
  if (!out || pos >= body.size() || body[pos] != '}') return std::nullopt;
  out->recipients = body.substr(from, to - from);
  out->rest.reserve(body.size() - (to - from) + 2);
  out->rest.append(body.substr(0, from)).append("[]").append(body.substr(to));
  return out;
}

recipient_list read_json_text(std::string_view array) {
  recipient_list l;
  const auto syntax = [&l](std::size_t row, std::string detail) {
    l.rows.clear();
    l.rejected.clear();
    l.rejected_count = 0;
    l.fatal =
        row == 0 ? "recipients: " + detail : "recipients: row " + std::to_string(row) + " is not I-JSON: " + detail;
    return std::move(l);
  };
  if (array.size() < 2 || array.front() != '[' || array.back() != ']') return syntax(0, "not a JSON array");
  // One row's value at a time, each in its own arena (a 4 KiB block on the stack, more from
  // the heap for a large row) dropped after the row: memory holds the rows read so far, never
  // the whole list's parsed JSON. A fresh arena per row, not release(): Boost 1.81's
  // monotonic_resource threw bad_alloc growing again after release() over a stack buffer.
  unsigned char first_block[4096];
  std::size_t pos = skip_space(array, 1), row = 0, values = 1;  // the array itself is one
  if (pos == array.size() - 1) {
    l.fatal = "recipients: at least one";
    return l;
  }
  l.rows.reserve(count_values(array, pos));
  while (true) {
    ++row;
    if (row > max_recipients) {
      l = {};
      l.fatal = "recipients: at most 100000";
      return l;
    }
    const std::size_t end = skip_value(array, pos);
    if (end == std::string_view::npos || end > array.size() - 1) return syntax(row, "not valid JSON");
    {
      json::monotonic_resource arena(first_block, sizeof first_block);
      // A row's values count against the list's, the limit the whole array had when it was
      // parsed at once.
      const std::size_t budget = std::min(max_row_values, max_list_values - values);
      auto parsed = core::parse_json_strict(array.substr(pos, end - pos), json::storage_ptr(&arena),
                                            {.max_depth = max_row_depth, .max_elements = budget});
      if (parsed.error)
        return syntax(row, (parsed.error->field.empty() ? "" : parsed.error->field + ": ") + parsed.error->detail);
      values += count_tree(*parsed.value);
      read_row(*parsed.value, row, l);
    }
    pos = skip_space(array, end);
    if (pos == array.size() - 1) break;
    if (array[pos] != ',') return syntax(row, "a comma or ] after it");
    pos = skip_space(array, pos + 1);
  }
  return l;
}

recipient_list read_csv(std::string_view text) {
  recipient_list l;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a BOM (spreadsheets)
  std::size_t pos = 0, line = 1, lines = 0;
  bool bad = false;
  std::vector<std::string> fields;
  if (!next_record(text, pos, fields, lines, bad) || fields.empty() || (fields[0] != "to" && fields[0] != "phone")) {
    l.fatal = "the CSV's first line is a header whose first column is `to`";
    return l;
  }
  const std::size_t columns = fields.size();
  std::vector<column> roles;
  roles.reserve(columns);
  bool has_header = false;
  std::vector<bool> button_seen(max_button_index + 1, false);
  for (std::size_t i = 1; i < columns; ++i) {
    roles.push_back(column_of(fields[i]));
    const auto& c = roles.back();
    bool twice = false;
    if (c.what == column::kind::header) {
      twice = has_header;
      has_header = true;
    } else if (c.what == column::kind::button) {
      twice = button_seen[c.index];
      button_seen[c.index] = true;
    }
    if (twice) {
      l.fatal = "the CSV's header line has the column " + fields[i] +
                (c.what == column::kind::header ? " and another header_ column" : " for a button named before");
      return l;
    }
  }
  line += lines;
  std::size_t count = 0;
  while (true) {
    lines = 0;
    const std::size_t at = line;
    if (!next_record(text, pos, fields, lines, bad)) break;
    line += lines;
    if (blank(fields)) continue;
    if (++count > max_recipients) {
      l.fatal = "recipients: at most 100000";
      l.rows.clear();
      return l;
    }
    if (bad) {
      reject(l, at, "", "an unterminated quoted field");
      break;
    }
    if (fields.size() != columns) {
      reject(l, at, "", "has " + std::to_string(fields.size()) + " columns, the header " + std::to_string(columns));
      continue;
    }
    recipient r;
    r.row = at;
    r.to = std::move(fields[0]);
    for (std::size_t i = 1; i < fields.size(); ++i) {
      const auto& c = roles[i - 1];
      if (c.what == column::kind::body)
        r.parameters.push_back(std::move(fields[i]));
      else if (c.what == column::kind::header)
        r.header = header_param{c.type, std::move(fields[i])};
      else
        r.buttons.push_back({c.index, c.type, std::move(fields[i])});
    }
    sort_buttons(r.buttons);
    l.rows.push_back(std::move(r));
  }
  if (count == 0) l.fatal = "recipients: at least one row after the header";
  return l;
}

std::string template_body(const template_ref& t, const recipient& r) {
  json::object tpl{{"name", t.name}, {"language", {{"code", t.language}}}};
  json::array components;
  if (r.header) {
    json::object p{{"type", r.header->type}};
    if (r.header->type == "text")
      p["text"] = r.header->value;
    else
      p[r.header->type] = json::object{{"link", r.header->value}};
    components.push_back(json::object{{"type", "header"}, {"parameters", json::array{std::move(p)}}});
  }
  if (!r.parameters.empty()) {
    json::array params;
    params.reserve(r.parameters.size());
    for (std::size_t i = 0; i < r.parameters.size(); ++i) {
      json::object p{{"type", "text"}, {"text", r.parameters[i]}};
      if (!r.names.empty()) p["parameter_name"] = r.names[i];
      params.push_back(std::move(p));
    }
    components.push_back(json::object{{"type", "body"}, {"parameters", std::move(params)}});
  }
  for (const auto& b : r.buttons) {
    json::object p = b.sub_type == "url" ? json::object{{"type", "text"}, {"text", b.value}}
                                         : json::object{{"type", "payload"}, {"payload", b.value}};
    components.push_back(json::object{{"type", "button"},
                                      {"sub_type", b.sub_type},
                                      {"index", std::to_string(b.index)},
                                      {"parameters", json::array{std::move(p)}}});
  }
  if (!components.empty()) tpl["components"] = std::move(components);
  const json::object body{{"messaging_product", "whatsapp"},
                          {"recipient_type", "individual"},
                          {"to", r.to},
                          {"type", "template"},
                          {"template", std::move(tpl)}};
  return json::serialize(body);
}

}  // namespace enfinito::broadcasts
