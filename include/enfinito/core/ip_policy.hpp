#pragma once
/**
 * @file core::ip_policy: which IP addresses a customer webhook may be delivered to (the SSRF
 * guard of issue 6, used at registration and again at connect time by upstream::client's
 * address_filter).
 *
 * Public addresses only, unless an administrator allows a range in config
 * (`webhooks_out.allow_ranges`). Refused: unspecified, "this network" 0.0.0.0/8, loopback,
 * RFC 1918 private, CGNAT 100.64/10, link-local 169.254/16 and fe80::/10, multicast, the
 * limited broadcast and 240/4 reserved, IETF protocol assignments 192.0.0.0/24, the
 * documentation and benchmarking ranges, IPv6 ULA fc00::/7, site-local fec0::/10, discard
 * 100::/64, and the IPv4 embedded in IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
 * NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32) forms is
 * judged as that IPv4 address. An allowed range is matched against the address as given and
 * against its embedded IPv4, so allowing 127.0.0.0/8 also allows ::ffff:127.0.0.1.
 */
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::core {

/** An address range (CIDR). */
struct ip_range {
  boost::asio::ip::address base;
  unsigned prefix = 0;
  bool contains(const boost::asio::ip::address& a) const noexcept;
};

/** Parses "a.b.c.d/n", "x::y/n" or a bare address (a /32 or /128); nullopt when malformed. */
std::optional<ip_range> parse_range(std::string_view text);

/** Parses a comma-separated list of ranges; nullopt when any item is malformed. */
std::optional<std::vector<ip_range>> parse_ranges(std::string_view list);

/** The IPv4 address embedded in a mapped/compatible/NAT64/6to4/Teredo IPv6 address, if any. */
std::optional<boost::asio::ip::address_v4> embedded_v4(const boost::asio::ip::address_v6& a) noexcept;

/** True when `a` is a public unicast address (see the file comment for what is not). */
bool is_public(const boost::asio::ip::address& a) noexcept;

/** True when `a` is public or inside one of `allowed`. */
bool address_allowed(const boost::asio::ip::address& a, const std::vector<ip_range>& allowed) noexcept;

}  // namespace enfinito::core
