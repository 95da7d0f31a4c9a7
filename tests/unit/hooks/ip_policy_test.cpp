// Unit tests of core::ip_policy: the webhook SSRF guard's address classifier (v4, v6, mapped).
#include <enfinito/core/ip_policy.hpp>

#include <boost/test/unit_test.hpp>

namespace {

using enfinito::core::address_allowed;
using enfinito::core::is_public;
using enfinito::core::parse_ranges;

bool pub(const char* s) { return is_public(boost::asio::ip::make_address(s)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(ip_policy)

BOOST_AUTO_TEST_CASE(ipv4_classes) {
  for (const char* bad :
       {"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.9.9.9",
        "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.0.0.8", "192.0.2.5", "198.18.0.1",
        "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255"})
    BOOST_TEST(!pub(bad), bad);
  for (const char* good : {"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1",
                           "192.169.0.1", "169.253.0.1", "157.240.1.1", "223.255.255.254"})
    BOOST_TEST(pub(good), good);
}

BOOST_AUTO_TEST_CASE(ipv6_classes) {
  for (const char* bad : {"::", "::1", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1",
                          "2001:db8::1", "100::1", "::ffff:0:1"})
    BOOST_TEST(!pub(bad), bad);
  for (const char* good : {"2606:4700:4700::1111", "2a03:2880:f10c:83:face:b00c:0:25de", "2001:4860:4860::8888"})
    BOOST_TEST(pub(good), good);
}

BOOST_AUTO_TEST_CASE(embedded_ipv4_forms_are_judged_as_ipv4) {
  for (const char* bad :
       {"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.0.1", "::127.0.0.1",
        "64:ff9b::10.0.0.1", "64:ff9b::7f00:1", "64:ff9b:1::a00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::"})
    BOOST_TEST(!pub(bad), bad);
  for (const char* good : {"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"}) BOOST_TEST(pub(good), good);
}

BOOST_AUTO_TEST_CASE(allow_ranges) {
  auto ranges = parse_ranges("127.0.0.0/8, ::1/128");
  BOOST_REQUIRE(ranges);
  BOOST_TEST(address_allowed(boost::asio::ip::make_address("127.0.0.1"), *ranges));
  BOOST_TEST(address_allowed(boost::asio::ip::make_address("::1"), *ranges));
  BOOST_TEST(address_allowed(boost::asio::ip::make_address("::ffff:127.0.0.1"), *ranges));
  BOOST_TEST(!address_allowed(boost::asio::ip::make_address("10.0.0.1"), *ranges));
  BOOST_TEST(!address_allowed(boost::asio::ip::make_address("169.254.169.254"), *ranges));
  BOOST_TEST(address_allowed(boost::asio::ip::make_address("8.8.8.8"), {}));
  BOOST_TEST(!parse_ranges("127.0.0.0/33"));
  BOOST_TEST(!parse_ranges("localhost"));
  BOOST_TEST(!parse_ranges("::1/129"));
  BOOST_TEST(!parse_ranges("10.0.0.0/8,"));
  BOOST_TEST(parse_ranges("")->empty());
}

BOOST_AUTO_TEST_SUITE_END()
