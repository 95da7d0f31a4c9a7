// http::decide_framing: the request framing table of RFC 9112 §6 (see framing.hpp), and the
// server's admission of a head Beast parsed, checked against Beast's own framing.
#include <enfinito/http/framing.hpp>
#include <enfinito/core/text.hpp>

#include <boost/beast/http/parser.hpp>

namespace enfinito::http {

namespace {

constexpr std::string_view bad_request_code = "malformed_http";

framing_verdict reject(unsigned status, std::string_view code, std::string_view reason) {
  return {body_framing::reject, 0, status, code, reason, true};
}
framing_verdict bad(std::string_view reason) { return reject(400, bad_request_code, reason); }

using core::is_ows;
constexpr auto iequals = core::iequals_ascii;

// RFC 9110 §5.6.2: tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool has_line_break(std::string_view v) { return v.find_first_of("\r\n") != std::string_view::npos; }

struct coding {
  std::string_view name;
  bool has_params = false;
};

// A scanner over one field value: transfer-coding = token *( OWS ";" OWS transfer-parameter ),
// transfer-parameter = token BWS "=" BWS ( token / quoted-string ), elements separated by ","
// with empty elements allowed (RFC 9110 §5.6.1). Appends the codings; false on a syntax error.
class coding_scanner {
 public:
  explicit coding_scanner(std::string_view v) : v_(v) {}

  bool scan(std::vector<coding>& out) {
    for (;;) {
      skip_ows();
      if (done()) return true;
      if (v_[i_] == ',') {  // an empty element
        ++i_;
        continue;
      }
      coding c;
      c.name = token();
      if (c.name.empty()) return false;
      skip_ows();
      while (!done() && v_[i_] == ';') {
        ++i_;
        skip_ows();
        if (token().empty()) return false;
        skip_ows();
        if (done() || v_[i_] != '=') return false;
        ++i_;
        skip_ows();
        if (!done() && v_[i_] == '"') {
          if (!quoted_string()) return false;
        } else if (token().empty()) {
          return false;
        }
        c.has_params = true;
        skip_ows();
      }
      out.push_back(c);
      if (done()) return true;
      if (v_[i_] != ',') return false;
      ++i_;
    }
  }

 private:
  bool done() const { return i_ >= v_.size(); }
  void skip_ows() {
    while (!done() && is_ows(v_[i_])) ++i_;
  }
  std::string_view token() {
    auto start = i_;
    while (!done() && is_tchar(v_[i_])) ++i_;
    return v_.substr(start, i_ - start);
  }
  // RFC 9110 §5.6.4; the opening quote is at i_.
  bool quoted_string() {
    ++i_;
    auto text = [](unsigned char c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f); };
    while (!done()) {
      const auto c = static_cast<unsigned char>(v_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\') {
        ++i_;
        if (done() || !text(static_cast<unsigned char>(v_[i_]))) return false;
      } else if (!text(c)) {
        return false;
      }
      ++i_;
    }
    return false;  // unterminated
  }

  std::string_view v_;
  std::size_t i_ = 0;
};

framing_verdict transfer_encoding_verdict(const request_head& head, bool has_content_length) {
  // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing, whatever else it says.
  if (head.version < 11) return bad("Transfer-Encoding in an HTTP/1.0 request");
  // §6.3 ¶3: with both, a request is a smuggling attempt until proven otherwise.
  if (has_content_length) return bad("Conflicting message framing headers");
  std::vector<coding> codings;
  bool trailing = false;  // something (OWS, an empty element) after the last coding
  for (const auto& f : head.fields) {
    if (!iequals(f.name, "transfer-encoding")) continue;
    if (has_line_break(f.value)) return bad("Line folding in Transfer-Encoding");
    if (!coding_scanner(f.value).scan(codings)) return bad("Malformed Transfer-Encoding");
    trailing = f.value.empty() || is_ows(f.value.back()) || f.value.back() == ',';
  }
  // Nothing may follow the final coding (see the table): one reading only.
  if (trailing && !codings.empty()) return bad("Malformed Transfer-Encoding");
  // §6.3 ¶4: unless the final coding is chunked, the length cannot be determined.
  if (codings.empty() || !iequals(codings.back().name, "chunked"))
    return bad("Transfer-Encoding does not end with chunked");
  std::size_t chunked = 0;
  for (const auto& c : codings) {
    if (!iequals(c.name, "chunked")) continue;
    if (c.has_params) return bad("chunked takes no parameters");  // §7.1: none defined
    ++chunked;
  }
  if (chunked > 1) return bad("chunked applied more than once");  // §6.1: MUST NOT
  // Anything before chunked is a coding we would have to decode: we decode none (identity
  // is obsolete, RFC 9112 §7 no longer registers it for Transfer-Encoding).
  if (codings.size() > 1) return reject(501, "unsupported_transfer_coding", "Transfer coding not implemented");
  return {body_framing::chunked, 0, 0, {}, {}, false};
}

framing_verdict content_length_verdict(std::string_view value, std::uint64_t body_limit) {
  if (has_line_break(value)) return bad("Line folding in Content-Length");
  while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);  // trailing OWS: refused
  // RFC 9110 §8.6 lets a recipient take `5, 5` as 5; we refuse every list instead.
  if (value.find(',') != std::string_view::npos) return bad("Content-Length is a list");
  if (value.empty()) return bad("Invalid Content-Length");
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return bad("Invalid Content-Length");
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return bad("Invalid Content-Length");
    n = n * 10 + d;
  }
  if (n > body_limit) return reject(413, "body_too_large", "Request body is too large");
  return {body_framing::length, n, 0, {}, {}, false};
}

}  // namespace

framing_verdict decide_framing(const request_head& head, std::uint64_t body_limit) {
  if (head.version != 10 && head.version != 11)
    return reject(505, "http_version_not_supported", "HTTP version not supported");
  std::size_t te = 0, cl = 0;
  std::string_view cl_value;
  for (const auto& f : head.fields) {
    if (iequals(f.name, "transfer-encoding")) ++te;
    if (iequals(f.name, "content-length")) {
      ++cl;
      cl_value = f.value;
    }
  }
  framing_verdict v;
  if (te > 0)
    v = transfer_encoding_verdict(head, cl > 0);
  else if (cl > 1)
    v = bad("Conflicting message framing headers");
  else if (cl == 1)
    v = content_length_verdict(cl_value, body_limit);
  if (v.ok() && head.method == "CONNECT") v.close = true;  // no tunnels: answer, then close
  return v;
}

bool has_obs_fold(std::string_view bytes) {
  auto head = bytes.substr(0, bytes.find("\r\n\r\n"));
  return head.find("\r\n ") != std::string_view::npos || head.find("\r\n\t") != std::string_view::npos;
}

std::vector<header_field> raw_fields(std::string_view head) {
  std::vector<header_field> fields;
  auto line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return fields;
  for (auto pos = line_end + 2; pos < head.size();) {
    line_end = head.find("\r\n", pos);
    if (line_end == std::string_view::npos) line_end = head.size();
    const auto line = head.substr(pos, line_end - pos);
    pos = line_end + 2;
    if (line.empty()) break;  // the end of the head
    if (is_ows(line.front()) && !fields.empty()) {
      // obs-fold: the continuation joins the previous value, line break included.
      auto& v = fields.back().value;
      v = std::string_view(v.data(), static_cast<std::size_t>(line.data() + line.size() - v.data()));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      fields.push_back({{}, line});
      continue;
    }
    auto value = line.substr(colon + 1);
    while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
    fields.push_back({line.substr(0, colon), value});
  }
  return fields;
}

bool beast_agrees(const framing_verdict& v, const beast::http::basic_parser<true>& p) {
  const auto length = p.content_length();
  switch (v.kind) {
    case body_framing::none:
      return !p.chunked() && !length;
    case body_framing::length:
      return !p.chunked() && length && *length == v.length;
    case body_framing::chunked:
      return p.chunked() && !length;
    case body_framing::reject:
      return false;
  }
  return false;
}

framing_verdict admit_head(std::string_view raw, const beast::http::request_header<>& head,
                           const beast::http::basic_parser<true>& p, std::uint64_t body_limit) {
  if (head.count(beast::http::field::host) > 1) return bad("Conflicting Host headers");
  const auto fields = raw_fields(raw);
  auto v = decide_framing({head.method_string(), head.version(), fields}, body_limit);
  if (!v.ok()) return v;
  // Beast frames the body by its own reading of the same fields; it must be ours.
  if (!beast_agrees(v, p)) return bad("Ambiguous message framing");
  return v;
}

}  // namespace enfinito::http
