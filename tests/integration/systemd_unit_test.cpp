// The shipped unit must stay hardened: systemd-analyze's exposure score at 2.0 or lower.
#include "support/daemon.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>
#include <unistd.h>

using namespace enfinito::test;

BOOST_AUTO_TEST_SUITE(systemd_unit)

BOOST_AUTO_TEST_CASE(exposure_score_is_at_most_2) {
  if (::access("/usr/bin/systemd-analyze", X_OK) != 0) {
    BOOST_TEST_MESSAGE("systemd-analyze not installed: skipped");
    return;
  }
  std::string out;
  std::string unit = std::string(ENFINITO_SOURCE_DIR) + "/systemd/enfinitod.service";
  run_program({"/usr/bin/systemd-analyze", "security", "--offline=yes", unit}, &out);
  std::smatch m;
  static const std::regex score(R"(Overall exposure level for enfinitod\.service: ([0-9.]+))");
  BOOST_REQUIRE_MESSAGE(std::regex_search(out, m, score), out);
  double exposure = std::stod(m[1]);
  BOOST_TEST_MESSAGE("systemd-analyze exposure: " << exposure);
  BOOST_TEST(exposure <= 2.0);
}

BOOST_AUTO_TEST_CASE(unit_declares_notify_and_config_check) {
  auto unit = read_file(std::string(ENFINITO_SOURCE_DIR) + "/systemd/enfinitod.service");
  BOOST_TEST(unit.find("Type=notify") != std::string::npos);
  BOOST_TEST(unit.find("--check-config") != std::string::npos);
  BOOST_TEST(unit.find("LoadCredential=") != std::string::npos);
  BOOST_TEST(unit.find("WatchdogSec=") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
