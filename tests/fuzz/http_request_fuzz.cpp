// Fuzz harness: the server's HTTP request admission (http/admission.hpp `admit`, over a route
// table with per-route limits and a spooling route, and http/framing.hpp), as the server runs
// it and on raw header fields. Beyond "no crash", it checks properties that could fail:
// - admit's verdict is consistent: a refusal closes, with a status of the table and no body
//   plan; otherwise the body limit is the route's (else the server's), a body is planned
//   exactly when the head did not complete the request, spooled only for a spooling route,
//   100 Continue only with a body, and a request no route takes gets 400, 404 or 405 (Allow);
// - Beast's own framing of a head never differs from an accepted verdict of decide_framing
//   (the smuggling invariant: admit_head's "ambiguous framing" refusal must stay unreachable);
// - every refusal closes the connection, with a status of the table (400, 413, 501, 505);
// - an accepted verdict is what an independent reading of the raw fields gives: `chunked`
//   only for Transfer-Encoding fields that spell exactly "chunked" (case, OWS and empty
//   elements aside), a length only for one Content-Length of digits with that value;
// - the replayed connection (tests/http_framing/replay.hpp) never uses more bytes than it got.
#include "../http_framing/replay.hpp"
#include "../http_framing/routes.hpp"

#include <enfinito/http/admission.hpp>
#include <enfinito/http/framing.hpp>
#include <enfinito/http/router.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <span>
#include <string_view>
#include <vector>

using namespace enfinito;

namespace {

constexpr std::uint64_t limit = 64 * 1024;

// The admission tests' route table (http_framing/routes.hpp).
const http::router& routes() { return test::admission_routes(); }

void require(bool ok) {
  if (!ok) std::abort();
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

void check_verdict(const http::framing_verdict& v, std::span<const http::header_field> fields) {
  if (!v.ok()) {
    require(v.close);
    require(v.status == 400 || v.status == 413 || v.status == 501 || v.status == 505);
    require(!v.code.empty() && !v.reason.empty());
    return;
  }
  std::string te;
  std::vector<std::string_view> cl;
  for (const auto& f : fields) {
    const auto name = lowered(f.name);
    if (name == "transfer-encoding") te += std::string(f.value) + ",";
    if (name == "content-length") cl.push_back(f.value);
  }
  switch (v.kind) {
    case http::body_framing::chunked: {
      std::string bare;
      for (char c : te)
        if (c != ' ' && c != '\t' && c != ',') bare += lower(c);
      require(bare == "chunked" && cl.empty());
      break;
    }
    case http::body_framing::length: {
      require(te.empty() && cl.size() == 1 && v.length <= limit);
      std::string digits;
      for (char c : cl[0])
        if (c != ' ' && c != '\t') digits += c;
      digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
      require(digits == std::to_string(v.length));
      break;
    }
    case http::body_framing::none:
      require(te.empty() && cl.empty());
      break;
    case http::body_framing::reject:
      break;
  }
}

// The raw path: any bytes split into fields as received (http::raw_fields), straight into
// decide_framing, which must hold up to values Beast would never pass on.
void raw_path(std::string_view in) {
  const auto request_line = in.substr(0, in.find("\r\n"));
  const auto method = request_line.substr(0, request_line.find(' '));
  const unsigned version = request_line.ends_with("HTTP/1.0") ? 10 : request_line.ends_with("HTTP/1.1") ? 11 : 20;
  const auto fields = http::raw_fields(in);
  const auto v = http::decide_framing({method, version, fields}, limit);
  check_verdict(v, fields);
  const auto again = http::decide_framing({method, version, fields}, limit);
  require(again.kind == v.kind && again.length == v.length && again.status == v.status && again.close == v.close);
}

// The server's path: Beast parses the head, the table decides on the head's raw fields, and
// Beast's framing must be the verdict's.
void beast_path(std::string_view in) {
  namespace bhttp = boost::beast::http;
  if (http::has_obs_fold(in)) return;  // the server refuses before Beast sees it
  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(8 * 1024);
  p.body_limit(boost::none);
  boost::system::error_code ec;
  const auto used = p.put(boost::asio::buffer(in.data(), in.size()), ec);
  if (ec || !p.is_header_done()) return;
  const auto& msg = p.get();
  const auto fields = http::raw_fields(in.substr(0, used));
  const auto v = http::decide_framing({msg.method_string(), msg.version(), fields}, limit);
  check_verdict(v, fields);
  if (v.ok()) require(http::beast_agrees(v, p));
}

bool same(const http::refusal& a, const http::refusal& b) {
  return a.status == b.status && a.code == b.code && a.title == b.title && a.retry_later == b.retry_later &&
         a.allow == b.allow;
}

// admission.hpp on the server's path: Beast's head, the route match, admit.
void admit_path(std::string_view in) {
  namespace bhttp = boost::beast::http;
  if (http::has_obs_fold(in)) return;
  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(8 * 1024);
  p.body_limit(boost::none);
  boost::system::error_code ec;
  const auto used = p.put(boost::asio::buffer(in.data(), in.size()), ec);
  if (ec || !p.is_header_done()) return;
  const auto& msg = p.get();
  const auto target = msg.target();
  const auto m = routes().match(msg.method(), target.substr(0, target.find('?')));
  const auto raw = in.substr(0, used);
  const auto a = http::admit(raw, msg, p, m, {limit});
  const auto expected_limit = m.found && m.found->options.body_limit ? m.found->options.body_limit : limit;
  require(a.body_limit == expected_limit);
  if (a.refuse) {
    require(a.close && !a.framing.ok() && a.refuse.status == a.framing.status);
    require(a.refuse.status == 400 || a.refuse.status == 413 || a.refuse.status == 501 || a.refuse.status == 505);
    require(a.body == http::body_plan::none && !a.send_continue && !a.miss);
  } else {
    require(a.framing.ok() && http::beast_agrees(a.framing, p));
    require(a.framing.kind != http::body_framing::length || a.framing.length <= a.body_limit);
    require((a.body == http::body_plan::none) == p.is_done());
    if (a.body == http::body_plan::spool) require(m.found && !m.found->options.spool_dir.empty());
    if (a.send_continue) require(a.body != http::body_plan::none);
    require(static_cast<bool>(a.miss) == !m.found);
    if (a.miss) require(a.miss.status == 400 || a.miss.status == 404 || a.miss.status == 405);
    if (a.miss.status == 405) require(!a.miss.allow.empty());
  }
  const auto again = http::admit(raw, msg, p, m, {limit});
  require(same(again.refuse, a.refuse) && same(again.miss, a.miss) && again.body == a.body &&
          again.body_limit == a.body_limit && again.send_continue == a.send_continue && again.close == a.close);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  raw_path(in);
  beast_path(in);
  admit_path(in);
  const auto r = test::replay_admission(in, 8 * 1024, limit, 16, &routes());
  require(r.consumed <= size);
  if (r.end == test::replay_end::refused)
    require(r.status == 400 || r.status == 413 || r.status == 431 || r.status == 501 || r.status == 505);
  return 0;
}
