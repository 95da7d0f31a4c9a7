// accounts qr_svg: the QR symbol of an otpauth:// URI has the structure every reader looks for
// (three finder patterns with their separators, both timing patterns, the dark module, a
// version's width), and the SVG draws exactly the symbol's dark modules inside the quiet zone,
// with nothing active in it (no script, no link, no data: URI).
#include <enfinito/accounts/qr_svg.hpp>
#include <enfinito/accounts/totp.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <utility>

using namespace enfinito;
namespace totp = accounts::totp;

namespace {

const std::string uri = totp::otpauth_uri("Enfinito", "ada@example.com", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");

bool dark(const accounts::qr_matrix& m, int x, int y) {
  return m.dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(m.width) + static_cast<std::size_t>(x)];
}

// A 7×7 finder pattern at (x0, y0): dark ring, light ring, dark 3×3 centre.
bool finder_at(const accounts::qr_matrix& m, int x0, int y0) {
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 7; ++x) {
      const int ring = std::min(std::min(x, 6 - x), std::min(y, 6 - y));
      if (dark(m, x0 + x, y0 + y) != (ring != 1)) return false;
    }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(accounts_qr_svg)

BOOST_AUTO_TEST_CASE(the_symbol_has_the_structure_of_a_qr_code) {
  auto m = accounts::qr_encode(uri);
  BOOST_REQUIRE(m.has_value());
  const int w = m->width;
  BOOST_TEST(w >= 21);
  BOOST_TEST((w - 17) % 4 == 0);  // version v is 17 + 4v modules wide
  BOOST_TEST(m->dark.size() == static_cast<std::size_t>(w * w));
  BOOST_TEST(finder_at(*m, 0, 0));
  BOOST_TEST(finder_at(*m, w - 7, 0));
  BOOST_TEST(finder_at(*m, 0, w - 7));
  BOOST_TEST(!finder_at(*m, w - 7, w - 7));  // three, not four
  for (int i = 0; i < 8; ++i) {              // the light separators around the finders
    BOOST_TEST(!dark(*m, 7, i));
    BOOST_TEST(!dark(*m, i, 7));
    BOOST_TEST(!dark(*m, w - 8, i));
    BOOST_TEST(!dark(*m, i, w - 8));
  }
  for (int i = 8; i < w - 8; ++i) {  // timing patterns: alternate, dark on even
    BOOST_TEST(dark(*m, i, 6) == (i % 2 == 0));
    BOOST_TEST(dark(*m, 6, i) == (i % 2 == 0));
  }
  BOOST_TEST(dark(*m, 8, w - 8));  // the dark module
  // Deterministic; another secret, another symbol.
  BOOST_TEST((accounts::qr_encode(uri)->dark == m->dark));
  auto other =
      accounts::qr_encode(totp::otpauth_uri("Enfinito", "ada@example.com", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
  BOOST_REQUIRE(other.has_value());
  BOOST_TEST((other->dark != m->dark));
}

BOOST_AUTO_TEST_CASE(the_svg_draws_exactly_the_dark_modules_and_nothing_active) {
  auto m = accounts::qr_encode(uri);
  BOOST_REQUIRE(m.has_value());
  const auto svg = accounts::qr_svg(*m);
  const int side = m->width + 2 * accounts::qr_quiet_zone;
  BOOST_TEST(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""));
  BOOST_TEST(svg.find("viewBox=\"0 0 " + std::to_string(side) + " " + std::to_string(side) + "\"") !=
             std::string::npos);
  BOOST_TEST(svg.ends_with("</svg>\n"));
  for (const char* bad : {"<script", "href", "data:", "javascript:", "<foreignObject", "<image"})
    BOOST_TEST(svg.find(bad) == std::string::npos, bad);
  BOOST_TEST(!std::regex_search(svg, std::regex("\\son[a-z]+=")));  // no event handler
  // The path's squares, read back, are the dark modules shifted by the quiet zone.
  std::set<std::pair<int, int>> drawn;
  const std::regex square("M(\\d+) (\\d+)h1v1h-1z");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), square); it != std::sregex_iterator(); ++it)
    drawn.emplace(std::stoi((*it)[1]), std::stoi((*it)[2]));
  std::set<std::pair<int, int>> expected;
  for (int y = 0; y < m->width; ++y)
    for (int x = 0; x < m->width; ++x)
      if (dark(*m, x, y)) expected.emplace(x + accounts::qr_quiet_zone, y + accounts::qr_quiet_zone);
  BOOST_TEST(drawn.size() == expected.size());
  BOOST_TEST((drawn == expected));
  BOOST_TEST(svg.find("<path") == svg.rfind("<path"));  // one path
}

BOOST_AUTO_TEST_CASE(text_with_nul_is_refused) {
  BOOST_TEST(!accounts::qr_encode(std::string_view("otpauth://totp/a\0b", 18)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
