// broadcasts::recipients: reading a recipient list (JSON array or CSV) and checking each row;
// the rules are in include/enfinito/broadcasts/recipients.hpp.
#include <enfinito/broadcasts/recipients.hpp>

#include <boost/json.hpp>

#include <algorithm>
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

bool is_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 &&
         std::all_of(n.begin(), n.end(), [](char ch) {
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

}  // namespace

std::optional<std::string> number_key(std::string_view to) {
  std::string digits;
  for (std::size_t i = 0; i < to.size(); ++i) {
    const char ch = to[i];
    if (ch >= '0' && ch <= '9') digits += ch;
    else if (ch == '+' && i == 0) continue;
    else if (ch == ' ' || ch == '-' || ch == '(' || ch == ')' || ch == '.') continue;
    else return std::nullopt;
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
  // The template's own parameters are checked against the instance's template copy in
  // broadcasts/create.cpp (templates::check_template), which needs a store read.
  (void)t;
  return std::nullopt;
}

void check_all(const template_ref& t, recipient_list& l) {
  std::vector<recipient> kept;
  kept.reserve(l.rows.size());
  std::unordered_map<std::string, std::size_t> seen;  // number key → row
  seen.reserve(l.rows.size());
  const recipient* first = nullptr;
  for (auto& r : l.rows) {
    if (auto bad = check_recipient(t, r)) {
      reject(l, bad->row, std::move(bad->field), std::move(bad->detail));
      continue;
    }
    if (first && (r.parameters.size() != first->parameters.size() || r.names != first->names)) {
      reject(l, r.row, "parameters",
             "not the same parameters as row " + std::to_string(first->row) + " (one template, one set of variables)");
      continue;
    }
    auto [it, fresh] = seen.emplace(*number_key(r.to), r.row);
    if (!fresh) {
      reject(l, r.row, "to", "the same number as row " + std::to_string(it->second));
      continue;
    }
    kept.push_back(std::move(r));
    if (!first) first = &kept.front();
  }
  l.rows = std::move(kept);
  std::sort(l.rejected.begin(), l.rejected.end(), [](const rejection& a, const rejection& b) { return a.row < b.row; });
}

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
  for (const auto& item : *a) {
    ++row;
    const auto* o = item.if_object();
    if (!o) {
      reject(l, row, "", "an object {to, parameters}");
      continue;
    }
    recipient r;
    r.row = row;
    bool ok = true;
    for (const auto& [k, val] : *o) {
      if (k == "to" && val.is_string()) {
        r.to = std::string(val.as_string());
      } else if (k == "parameters" && val.is_array()) {
        for (const auto& p : val.as_array()) {
          if (!p.is_string()) ok = false;
          else r.parameters.emplace_back(p.as_string());
        }
        if (!ok) reject(l, row, "parameters", "an array of strings");
      } else if (k == "parameters" && val.is_object()) {
        for (const auto& [name, p] : val.as_object()) {
          if (!p.is_string()) ok = false;
          else {
            r.names.emplace_back(name);
            r.parameters.emplace_back(p.as_string());
          }
        }
        if (!ok) reject(l, row, "parameters", "an object of strings");
      } else {
        ok = false;
        reject(l, row, std::string(k), k == "to" ? "a string" : k == "parameters" ? "an array or object" : "unknown field");
      }
      if (!ok) break;
    }
    if (ok) l.rows.push_back(std::move(r));
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
    for (std::size_t i = 1; i < fields.size(); ++i) r.parameters.push_back(std::move(fields[i]));
    l.rows.push_back(std::move(r));
  }
  if (count == 0) l.fatal = "recipients: at least one row after the header";
  return l;
}

std::string template_body(const template_ref& t, const recipient& r) {
  json::object tpl{{"name", t.name}, {"language", {{"code", t.language}}}};
  if (!r.parameters.empty()) {
    json::array params;
    params.reserve(r.parameters.size());
    for (std::size_t i = 0; i < r.parameters.size(); ++i) {
      json::object p{{"type", "text"}, {"text", r.parameters[i]}};
      if (!r.names.empty()) p["parameter_name"] = r.names[i];
      params.push_back(std::move(p));
    }
    tpl["components"] = json::array{json::object{{"type", "body"}, {"parameters", std::move(params)}}};
  }
  const json::object body{{"messaging_product", "whatsapp"}, {"recipient_type", "individual"},
                          {"to", r.to}, {"type", "template"}, {"template", std::move(tpl)}};
  return json::serialize(body);
}

}  // namespace enfinito::broadcasts
