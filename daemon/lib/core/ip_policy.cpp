// core::ip_policy: the public-address classifier and allow-ranges of the webhook SSRF guard.
#include <enfinito/core/ip_policy.hpp>

#include <array>
#include <charconv>
#include <cstdint>

namespace enfinito::core {
namespace {

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

bool prefix_match(const unsigned char* a, const unsigned char* b, unsigned bits) noexcept {
  unsigned full = bits / 8, rest = bits % 8;
  for (unsigned i = 0; i < full; ++i)
    if (a[i] != b[i]) return false;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

struct v4_block {
  std::uint32_t base;
  unsigned prefix;
};

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Not public: IANA special-purpose registry entries that are not globally reachable.
constexpr std::array<v4_block, 16> v4_refused{{
    {v4(0, 0, 0, 0), 8},        // "this network", unspecified
    {v4(10, 0, 0, 0), 8},       // private
    {v4(100, 64, 0, 0), 10},    // CGNAT shared address space
    {v4(127, 0, 0, 0), 8},      // loopback
    {v4(169, 254, 0, 0), 16},   // link-local (cloud metadata lives here)
    {v4(172, 16, 0, 0), 12},    // private
    {v4(192, 0, 0, 0), 24},     // IETF protocol assignments
    {v4(192, 0, 2, 0), 24},     // documentation
    {v4(192, 88, 99, 0), 24},   // 6to4 relay anycast (deprecated)
    {v4(192, 168, 0, 0), 16},   // private
    {v4(198, 18, 0, 0), 15},    // benchmarking
    {v4(198, 51, 100, 0), 24},  // documentation
    {v4(203, 0, 113, 0), 24},   // documentation
    {v4(224, 0, 0, 0), 4},      // multicast
    {v4(240, 0, 0, 0), 4},      // reserved, and 255.255.255.255 broadcast
    {v4(255, 255, 255, 255), 32},
}};

bool v4_public(const address_v4& a) noexcept {
  const std::uint32_t x = a.to_uint();
  for (const auto& b : v4_refused) {
    const std::uint32_t mask = b.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - b.prefix);
    if ((x & mask) == (b.base & mask)) return false;
  }
  return true;
}

bool v6_public(const address_v6& a) noexcept {
  if (auto v = embedded_v4(a)) return v4_public(*v);
  const auto b = a.to_bytes();
  if (a.is_unspecified() || a.is_loopback() || a.is_multicast()) return false;
  if ((b[0] & 0xfe) == 0xfc) return false;                  // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;  // fec0::/10 site-local (deprecated)
  if (b[0] == 0x01 && b[1] == 0x00 && b[2] == 0 && b[3] == 0 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0)
    return false;                                                                  // 100::/64 discard
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // 2001:db8::/32 documentation
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && (b[3] & 0xf0) == 0x10) return false;  // 2001:10::/28 ORCHID
  // Only 2000::/3 is allocated global unicast.
  return (b[0] & 0xe0) == 0x20;
}

}  // namespace

bool ip_range::contains(const address& a) const noexcept {
  if (a.is_v4() != base.is_v4()) return false;
  if (a.is_v4()) {
    auto x = a.to_v4().to_bytes(), y = base.to_v4().to_bytes();
    return prefix_match(x.data(), y.data(), prefix);
  }
  auto x = a.to_v6().to_bytes(), y = base.to_v6().to_bytes();
  return prefix_match(x.data(), y.data(), prefix);
}

std::optional<ip_range> parse_range(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  auto slash = text.find('/');
  boost::system::error_code ec;
  auto base = boost::asio::ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  const unsigned max = base.is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || err != std::errc() || end != p.data() + p.size() || prefix > max) return std::nullopt;
  }
  return ip_range{base, prefix};
}

std::optional<std::vector<ip_range>> parse_ranges(std::string_view list) {
  std::vector<ip_range> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto r = parse_range(list.substr(0, comma));
    if (!r) return std::nullopt;
    out.push_back(*r);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
    if (list.empty()) return std::nullopt;  // a trailing comma is a typo, not "nothing more"
  }
  return out;
}

std::optional<address_v4> embedded_v4(const address_v6& a) noexcept {
  const auto b = a.to_bytes();
  auto tail = [&](std::size_t at) {
    return address_v4(address_v4::bytes_type{b[at], b[at + 1], b[at + 2], b[at + 3]});
  };
  bool zero80 = true;
  for (int i = 0; i < 10; ++i) zero80 = zero80 && b[i] == 0;
  if (zero80 && b[10] == 0xff && b[11] == 0xff) return tail(12);  // ::ffff:a.b.c.d mapped
  if (zero80 && b[10] == 0 && b[11] == 0 && !a.is_loopback() && !a.is_unspecified())
    return tail(12);  // ::a.b.c.d compatible
  static constexpr unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (prefix_match(b.data(), nat64, 96)) return tail(12);  // 64:ff9b::/96
  static constexpr unsigned char nat64_local[6] = {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01};
  if (prefix_match(b.data(), nat64_local, 48)) return tail(12);  // 64:ff9b:1::/48 (local use)
  if (b[0] == 0x20 && b[1] == 0x02) return tail(2);              // 2002:a.b.c.d::/48 6to4
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {  // 2001::/32 Teredo: client
    return address_v4(address_v4::bytes_type{static_cast<unsigned char>(~b[12]), static_cast<unsigned char>(~b[13]),
                                             static_cast<unsigned char>(~b[14]), static_cast<unsigned char>(~b[15])});
  }
  return std::nullopt;
}

bool is_public(const address& a) noexcept { return a.is_v4() ? v4_public(a.to_v4()) : v6_public(a.to_v6()); }

bool address_allowed(const address& a, const std::vector<ip_range>& allowed) noexcept {
  if (is_public(a)) return true;
  std::optional<address> inner;
  if (a.is_v6())
    if (auto v = embedded_v4(a.to_v6())) inner = address(*v);
  for (const auto& r : allowed)
    if (r.contains(a) || (inner && r.contains(*inner))) return true;
  return false;
}

}  // namespace enfinito::core
