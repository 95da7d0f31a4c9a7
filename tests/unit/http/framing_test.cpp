// http::decide_framing and http::admit_head: the request framing table of RFC 9112 §6, one
// row per case, and the check that Beast's parser frames every accepted head as the verdict.
#include "http_framing/replay.hpp"

#include <enfinito/http/framing.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace enfinito;
using http::body_framing;

namespace {

using fields_t = std::vector<std::pair<std::string, std::string>>;

struct row {
  const char* name;
  fields_t fields;
  body_framing kind;
  unsigned status = 0;       // for reject
  std::uint64_t length = 0;  // for length
  unsigned version = 11;
  std::string method = "POST";
  std::uint64_t limit = 1024;
};

http::framing_verdict decide(const row& r) {
  std::vector<http::header_field> f;
  for (const auto& [n, v] : r.fields) f.push_back({n, v});
  return http::decide_framing({r.method, r.version, f}, r.limit);
}

constexpr auto none = body_framing::none;
constexpr auto length = body_framing::length;
constexpr auto chunked = body_framing::chunked;
constexpr auto reject = body_framing::reject;

const std::vector<row> table = {
    // No framing header.
    {"no body", {{"Host", "x"}}, none},
    {"HTTP/1.0 no body", {{"Host", "x"}}, none, 0, 0, 10},
    {"unsupported version", {}, reject, 505, 0, 20},
    // Content-Length.
    {"content-length", {{"Content-Length", "5"}}, length, 0, 5},
    {"content-length zero", {{"Content-Length", "0"}}, length, 0, 0},
    {"content-length case-insensitive name", {{"cOnTeNt-LeNgTh", "7"}}, length, 0, 7},
    {"content-length leading zeros", {{"Content-Length", "007"}}, length, 0, 7},
    {"content-length leading OWS (raw field)", {{"Content-Length", " \t5"}}, length, 0, 5},
    {"content-length trailing OWS (raw field)", {{"Content-Length", "5\t "}}, reject, 400},
    {"content-length at the limit", {{"Content-Length", "1024"}}, length, 0, 1024},
    {"content-length over the limit", {{"Content-Length", "1025"}}, reject, 413},
    {"content-length 2^64-1 over the limit", {{"Content-Length", "18446744073709551615"}}, reject, 413},
    {"content-length overflow", {{"Content-Length", "18446744073709551616"}}, reject, 400},
    {"content-length huge overflow", {{"Content-Length", "99999999999999999999999999"}}, reject, 400},
    {"content-length list of equal values", {{"Content-Length", "5, 5"}}, reject, 400},
    {"content-length list of differing values", {{"Content-Length", "5, 6"}}, reject, 400},
    {"content-length trailing comma", {{"Content-Length", "5,"}}, reject, 400},
    {"two content-length fields, equal", {{"Content-Length", "5"}, {"Content-Length", "5"}}, reject, 400},
    {"two content-length fields, differing", {{"Content-Length", "5"}, {"Content-Length", "6"}}, reject, 400},
    {"content-length plus sign", {{"Content-Length", "+5"}}, reject, 400},
    {"content-length minus sign", {{"Content-Length", "-5"}}, reject, 400},
    {"content-length inner space", {{"Content-Length", "5 5"}}, reject, 400},
    {"content-length hex", {{"Content-Length", "0x5"}}, reject, 400},
    {"content-length exponent", {{"Content-Length", "5e0"}}, reject, 400},
    {"content-length empty", {{"Content-Length", ""}}, reject, 400},
    {"content-length obs-fold", {{"Content-Length", "\r\n 5"}}, reject, 400},
    // Transfer-Encoding.
    {"chunked", {{"Transfer-Encoding", "chunked"}}, chunked},
    {"chunked upper case", {{"Transfer-Encoding", "CHUNKED"}}, chunked},
    {"chunked mixed case, mixed-case name", {{"tRaNsFeR-eNcOdInG", "ChUnKeD"}}, chunked},
    {"chunked with leading OWS", {{"Transfer-Encoding", " \tchunked"}}, chunked},
    {"chunked with trailing OWS (raw field)", {{"Transfer-Encoding", "chunked \t"}}, reject, 400},
    {"chunked after empty elements", {{"Transfer-Encoding", ", ,chunked"}}, chunked},
    {"OWS around commas", {{"Transfer-Encoding", " ,\t, chunked"}}, chunked},
    {"chunked before empty elements", {{"Transfer-Encoding", "chunked , ,"}}, reject, 400},
    {"chunked, trailing comma", {{"Transfer-Encoding", "chunked,"}}, reject, 400},
    {"chunked over the body limit (limit applies while reading)",
     {{"Transfer-Encoding", "chunked"}},
     chunked,
     0,
     0,
     11,
     "POST",
     0},
    {"xchunked (issue 23)", {{"Transfer-Encoding", "xchunked"}}, reject, 400},
    {"chunkedx", {{"Transfer-Encoding", "chunkedx"}}, reject, 400},
    {"chunked then gzip", {{"Transfer-Encoding", "chunked, gzip"}}, reject, 400},
    {"gzip then chunked", {{"Transfer-Encoding", "gzip, chunked"}}, reject, 501},
    {"deflate then chunked", {{"Transfer-Encoding", "deflate,chunked"}}, reject, 501},
    {"gzip only", {{"Transfer-Encoding", "gzip"}}, reject, 400},
    {"identity only", {{"Transfer-Encoding", "identity"}}, reject, 400},
    {"identity then chunked", {{"Transfer-Encoding", "identity, chunked"}}, reject, 501},
    {"gzip with a parameter then chunked", {{"Transfer-Encoding", "gzip;level=9, chunked"}}, reject, 501},
    {"quoted parameter with a comma then chunked", {{"Transfer-Encoding", "x;a=\"1,2\", chunked"}}, reject, 501},
    {"unterminated quoted parameter", {{"Transfer-Encoding", "x;a=\"1, chunked"}}, reject, 400},
    {"chunked twice in one field", {{"Transfer-Encoding", "chunked, chunked"}}, reject, 400},
    {"two fields: gzip, chunked (lists concatenate)",
     {{"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}},
     reject,
     501},
    {"two fields: chunked, gzip", {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "gzip"}}, reject, 400},
    {"two fields: chunked, chunked", {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}, reject, 400},
    {"two fields: empty, chunked", {{"Transfer-Encoding", ""}, {"Transfer-Encoding", "chunked"}}, chunked},
    {"two fields: chunked, empty", {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", ""}}, reject, 400},
    {"empty transfer-encoding", {{"Transfer-Encoding", ""}}, reject, 400},
    {"only commas", {{"Transfer-Encoding", " , ,"}}, reject, 400},
    {"chunked with a parameter", {{"Transfer-Encoding", "chunked;foo=bar"}}, reject, 400},
    {"chunked with a spaced parameter", {{"Transfer-Encoding", "chunked ; foo = bar"}}, reject, 400},
    {"chunked with a bare semicolon", {{"Transfer-Encoding", "chunked;"}}, reject, 400},
    {"quoted chunked", {{"Transfer-Encoding", "\"chunked\""}}, reject, 400},
    {"chunked with inner space", {{"Transfer-Encoding", "chun ked"}}, reject, 400},
    {"chunked with a NUL", {{"Transfer-Encoding", std::string("chunked\0", 8)}}, reject, 400},
    {"chunked with a vertical tab", {{"Transfer-Encoding", "\vchunked"}}, reject, 400},
    {"obs-fold in transfer-encoding", {{"Transfer-Encoding", "gzip,\r\n chunked"}}, reject, 400},
    {"obs-fold before chunked", {{"Transfer-Encoding", "\r\n\tchunked"}}, reject, 400},
    {"chunked in HTTP/1.0", {{"Transfer-Encoding", "chunked"}}, reject, 400, 0, 10},
    {"chunked in HTTP/1.0 with content-length",
     {{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}},
     reject,
     400,
     0,
     10},
    {"transfer-encoding and content-length", {{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}, reject, 400},
    {"content-length and transfer-encoding", {{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}, reject, 400},
    {"content-length and xchunked", {{"Content-Length", "3"}, {"Transfer-Encoding", "xchunked"}}, reject, 400},
    {"content-length and empty transfer-encoding", {{"Content-Length", "3"}, {"Transfer-Encoding", ""}}, reject, 400},
    // Names that are not the framing fields frame nothing.
    {"Transfer_Encoding is another field", {{"Transfer_Encoding", "chunked"}}, none},
    {"Content-Lengths is another field", {{"Content-Lengths", "5"}}, none},
    // CONNECT: framed as any request, then the connection closes (checked below).
    {"CONNECT", {{"Host", "x:443"}}, none, 0, 0, 11, "CONNECT"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_framing)

BOOST_AUTO_TEST_CASE(the_rfc_9112_table) {
  for (const auto& r : table) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto v = decide(r);
      BOOST_TEST(static_cast<int>(v.kind) == static_cast<int>(r.kind));
      if (r.kind == reject) {
        BOOST_TEST(v.status == r.status);
        BOOST_TEST(v.close);  // a refusal always closes: the body is never read as a request
        BOOST_TEST(!v.code.empty());
        BOOST_TEST(!v.reason.empty());
      } else {
        BOOST_TEST(v.status == 0u);
        BOOST_TEST(v.close == (r.method == "CONNECT"));
      }
      if (r.kind == length) BOOST_TEST(v.length == r.length);
    }
  }
}

BOOST_AUTO_TEST_CASE(status_codes_name_their_problem) {
  auto code_of = [](fields_t f, unsigned version = 11) {
    return std::string(decide({"", std::move(f), reject, 0, 0, version}).code);
  };
  BOOST_TEST(code_of({{"Transfer-Encoding", "xchunked"}}) == "malformed_http");
  BOOST_TEST(code_of({{"Transfer-Encoding", "gzip, chunked"}}) == "unsupported_transfer_coding");
  BOOST_TEST(code_of({{"Content-Length", "2000"}}) == "body_too_large");
  BOOST_TEST(code_of({}, 20) == "http_version_not_supported");
}

// The admission as the server runs it (Beast parses the head, admit_head decides): Beast's own
// framing never differs from an accepted verdict, and every refusal stops before the body.
BOOST_AUTO_TEST_CASE(admission_and_beast_agree) {
  const std::string next = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  struct case_t {
    const char* name;
    std::string head;
    std::string body;
    unsigned status;  // 0: accepted
    std::size_t body_size = 0;
  };
  const std::vector<case_t> cases = {
      {"issue 23 reproduction", "Transfer-Encoding: xchunked\r\n", "", 400},
      {"gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", 501},
      {"two TE fields gzip + chunked (Beast alone: chunked)",
       "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", 501},
      {"chunked;foo=bar (Beast alone: chunked)", "Transfer-Encoding: chunked;foo=bar\r\n", "5\r\nhello\r\n0\r\n\r\n",
       400},
      {"chunked, chunked", "Transfer-Encoding: chunked, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", 400},
      {"CL list 5, 5 (Beast alone: 5)", "Content-Length: 5, 5\r\n", "hello", 400},
      {"two equal CL fields (Beast alone: 5)", "Content-Length: 5\r\nContent-Length: 5\r\n", "hello", 400},
      {"CL then TE (Beast refuses)", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "hello", 400},
      {"obs-fold", "Transfer-Encoding: gzip,\r\n chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", 400},
      {"CL over the limit", "Content-Length: 2000000\r\n", "hello", 413},
      {"chunked", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", 0, 5},
      {"Chunked after an empty element", "Transfer-Encoding: , Chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", 0, 5},
      {"CL", "Content-Length: 5\r\n", "hello", 0, 5},
      {"CL with trailing OWS (Beast alone: 5)", "Content-Length: 5 \r\n", "hello", 400},
      {"chunked with trailing OWS (Beast alone: chunked)", "Transfer-Encoding: chunked \r\n", "5\r\nhello\r\n0\r\n\r\n",
       400},
      {"none", "", "", 0, 0},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const auto bytes = "POST /x HTTP/1.1\r\nHost: x\r\n" + c.head + "\r\n" + c.body + next;
      const auto r = test::replay_admission(bytes);
      if (c.status != 0) {
        BOOST_TEST(r.requests.empty());  // nothing after the refused head is served
        BOOST_TEST(test::to_string(r.end) == "refused");
        BOOST_TEST(r.status == c.status);
      } else {
        BOOST_REQUIRE(r.requests.size() == 2u);
        BOOST_TEST(r.requests[0].body.size() == c.body_size);
        BOOST_TEST(r.requests[1].target == "/healthz");
        BOOST_TEST(test::to_string(r.end) == "eof");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(raw_fields_keep_what_beast_trims) {
  const auto f = http::raw_fields(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  chunked \r\nX-A: a\r\n b\r\nbroken\r\n\r\nbody: no");
  BOOST_REQUIRE(f.size() == 4u);
  BOOST_TEST(f[0].name == "Host");
  BOOST_TEST(f[1].value == "chunked ");  // leading OWS dropped, trailing kept
  BOOST_TEST(f[2].value == "a\r\n b");   // obs-fold stays in the value
  BOOST_TEST(f[3].name.empty());
  BOOST_TEST(f[3].value == "broken");
}

BOOST_AUTO_TEST_CASE(obs_fold_detection_stops_at_the_head) {
  BOOST_TEST(http::has_obs_fold("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"));
  BOOST_TEST(http::has_obs_fold("GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n"));
  BOOST_TEST(!http::has_obs_fold("GET / HTTP/1.1\r\nA: b\r\n\r\n body\r\n x"));
}

BOOST_AUTO_TEST_SUITE_END()
