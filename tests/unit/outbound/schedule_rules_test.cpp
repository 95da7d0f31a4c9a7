// outbound::check_schedule: send_at at most a year ahead, expires_at after now and send_at.
#include <enfinito/outbound/accept.hpp>
#include <enfinito/outbound/schedule_rules.hpp>

#include <boost/json.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito::outbound;

BOOST_AUTO_TEST_SUITE(outbound_schedule_rules)

BOOST_AUTO_TEST_CASE(accepts_and_refuses) {
  const std::int64_t now = 1'700'000'000'000;
  struct row {
    std::int64_t send_at, expires_at;
    const char* refused;  // the field named, or nullptr
  };
  const row rows[] = {
      {0, 0, nullptr},
      {now + 1000, 0, nullptr},
      {now + max_schedule_ahead_ms, 0, nullptr},
      {now + max_schedule_ahead_ms + 1, 0, "send_at"},
      {now - 5000, 0, nullptr},  // in the past: due now
      {0, now + 1, nullptr},
      {0, now, "expires_at"},
      {0, now - 1, "expires_at"},
      {now + 1000, now + 1000, "expires_at"},
      {now + 1000, now + 1001, nullptr},
      {now + max_schedule_ahead_ms + 1, now, "send_at"},  // send_at named first
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("send_at " << r.send_at << " expires_at " << r.expires_at) {
      const auto got = check_schedule(now, r.send_at, r.expires_at);
      if (!r.refused) {
        BOOST_TEST(!got.has_value());
      } else {
        BOOST_TEST_REQUIRE(got.has_value());
        BOOST_TEST(std::string(got->field) == r.refused);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(take_removes_the_fields_meta_never_sees) {
  const std::int64_t now = 1'700'000'000'000;
  auto body = boost::json::parse(R"({"to":"1","send_at":1700000005000,"expires_at":1700000009000})").as_object();
  schedule when;
  BOOST_TEST(!take_schedule(body, now, when).has_value());
  BOOST_TEST(when.send_at == 1'700'000'005'000);
  BOOST_TEST(*when.expires_at == 1'700'000'009'000);
  BOOST_TEST(!body.contains("send_at"));
  BOOST_TEST(!body.contains("expires_at"));
  BOOST_TEST(body.contains("to"));

  auto past = boost::json::parse(R"({"send_at":5})").as_object();
  schedule now_when;
  BOOST_TEST(!take_schedule(past, now, now_when).has_value());
  BOOST_TEST(now_when.send_at == 0);  // in the past: now

  auto bad = boost::json::parse(R"({"send_at":"soon"})").as_object();
  schedule unused;
  auto r = take_schedule(bad, now, unused);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(std::string(r->field) == "send_at");
  BOOST_TEST(bad.contains("send_at"));
}

BOOST_AUTO_TEST_SUITE_END()
