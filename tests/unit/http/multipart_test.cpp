// http::multipart: parts, names, filenames and types out of a form-data body; every limit and
// every malformed shape refused (never guessed).
#include "http/multipart.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace {
using namespace enfinito::http;

const std::string ct = "multipart/form-data; boundary=XyZ";

std::string part(const std::string& headers, const std::string& data, const std::string& b = "XyZ") {
  return "--" + b + "\r\n" + headers + "\r\n\r\n" + data + "\r\n";
}
std::string close(const std::string& b = "XyZ") { return "--" + b + "--\r\n"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(http_multipart)

BOOST_AUTO_TEST_CASE(splits_a_form) {
  const std::string binary("\0\r\n--Xy\r\n\xff", 10);  // CRLF and a partial delimiter inside the data
  const std::string body = part("Content-Disposition: form-data; name=\"type\"", "image/png") +
                           part(
                               "content-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"\r\n"
                               "Content-Type: image/png",
                               binary) +
                           close();
  auto parts = multipart::parse(ct, body);
  BOOST_TEST_REQUIRE(parts.has_value());
  BOOST_TEST_REQUIRE(parts->size() == 2u);
  BOOST_TEST((*parts)[0].name == "type");
  BOOST_TEST((*parts)[0].data == "image/png");
  BOOST_TEST((*parts)[0].filename == "");
  BOOST_TEST((*parts)[1].name == "file");
  BOOST_TEST((*parts)[1].filename == "a \"b\".png");
  BOOST_TEST((*parts)[1].content_type == "image/png");
  BOOST_TEST((*parts)[1].data == binary);
}

BOOST_AUTO_TEST_CASE(accepts_what_clients_send) {
  // Quoted boundary, a preamble, transport padding, an empty part, no trailing CRLF.
  const std::string body =
      "preamble\r\n--a'b(c)\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--a'b(c)  \r\n"
      "Content-Disposition: form-data; name=\"y\"\r\n\r\nv\r\n--a'b(c)--";
  auto parts = multipart::parse("Multipart/Form-Data; charset=utf-8; boundary=\"a'b(c)\"", body);
  BOOST_TEST_REQUIRE(parts.has_value());
  BOOST_TEST_REQUIRE(parts->size() == 2u);
  BOOST_TEST((*parts)[0].name == "x");
  BOOST_TEST((*parts)[0].data == "");
  BOOST_TEST((*parts)[1].data == "v");
  BOOST_TEST(multipart::is_form_data("multipart/form-data"));
  BOOST_TEST(!multipart::is_form_data("multipart/mixed; boundary=x"));
}

BOOST_AUTO_TEST_CASE(refuses_what_is_wrong) {
  const std::string ok = part("Content-Disposition: form-data; name=\"f\"", "d") + close();
  using f = multipart::failure;
  struct row {
    const char* name;
    std::string content_type;
    std::string body;
    f want;
  };
  const row rows[] = {
      {"not multipart", "application/json", ok, f::not_multipart},
      {"no boundary", "multipart/form-data", ok, f::bad_boundary},
      {"empty boundary", "multipart/form-data; boundary=\"\"", ok, f::bad_boundary},
      {"long boundary", "multipart/form-data; boundary=" + std::string(71, 'a'), ok, f::bad_boundary},
      {"bad boundary char", "multipart/form-data; boundary=a<b", ok, f::bad_boundary},
      {"no closing delimiter", ct, part("Content-Disposition: form-data; name=\"f\"", "d"), f::malformed},
      {"no delimiter at all", ct, "hello", f::malformed},
      {"no disposition", ct, part("Content-Type: text/plain", "d") + close(), f::malformed},
      {"not form-data", ct, part("Content-Disposition: attachment; name=\"f\"", "d") + close(), f::malformed},
      {"no name", ct, part("Content-Disposition: form-data; filename=\"a\"", "d") + close(), f::malformed},
      {"header without colon", ct, part("Content-Disposition form-data", "d") + close(), f::malformed},
      {"unterminated quote", ct, part("Content-Disposition: form-data; name=\"f", "d") + close(), f::malformed},
      {"garbage after delimiter", ct, "--XyZjunk\r\n" + ok, f::malformed},
      {"headers never end", ct, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n", f::malformed},
      {"too many parts", ct,
       [] {
         std::string b;
         for (int i = 0; i < 9; ++i) b += part("Content-Disposition: form-data; name=\"p\"", "x");
         return b + close();
       }(),
       f::too_many_parts},
      {"huge headers", ct,
       part("Content-Disposition: form-data; name=\"f\"\r\nX-Pad: " + std::string(5000, 'p'), "d") + close(),
       f::header_too_large},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      auto got = multipart::parse(r.content_type, r.body);
      BOOST_TEST(!got.has_value());
      if (!got) BOOST_TEST((got.error() == r.want));
      if (!got) BOOST_TEST(!multipart::describe(got.error()).empty());
    }
  }
  // The limits are the caller's to set.
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += part("Content-Disposition: form-data; name=\"p\"", "x");
  BOOST_TEST(multipart::parse(ct, eight + close()).has_value());
  BOOST_TEST(!multipart::parse(ct, eight + close(), {.max_parts = 7}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
