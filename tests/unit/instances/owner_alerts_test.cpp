// instances::owner_alerts: one mail per cause per episode and never two within a day, with a
// manual clock; the mails carry only the notification and a link (P7).
#include "support/manual_clock.hpp"

#include <enfinito/instances/owner_alerts.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace enfinito::instances;
using std::chrono::hours;

BOOST_AUTO_TEST_SUITE(instances_owner_alerts)

BOOST_AUTO_TEST_CASE(a_cause_mails_once_while_it_lasts) {
  test::manual_clock clock;
  alert_state s;
  auto step = decide_alert(true, true, s, clock.now());
  BOOST_TEST(step.mail);
  BOOST_TEST(*step.next.active_since == clock.now());
  s = step.next;
  for (int h = 1; h <= 72; ++h) {
    step = decide_alert(true, true, s, clock.advance(hours(1)));
    BOOST_TEST(!step.mail);
    s = step.next;
  }
}

BOOST_AUTO_TEST_CASE(a_cause_that_comes_back_mails_again_but_not_within_a_day) {
  test::manual_clock clock;
  alert_state s = decide_alert(true, true, {}, clock.now()).next;
  s = decide_alert(false, true, s, clock.advance(hours(1))).next;
  BOOST_TEST(!s.active_since);
  auto step = decide_alert(true, true, s, clock.advance(hours(1)));  // back after 2 h
  BOOST_TEST(!step.mail);
  s = step.next;
  step = decide_alert(true, true, s, clock.advance(hours(22)));  // 24 h after the first mail
  BOOST_TEST(step.mail);
}

BOOST_AUTO_TEST_CASE(a_cause_turned_off_does_not_mail_and_turned_on_mails_once) {
  test::manual_clock clock;
  auto step = decide_alert(true, false, {}, clock.now());
  BOOST_TEST(!step.mail);
  BOOST_TEST(step.next.active_since.has_value());
  step = decide_alert(true, true, step.next, clock.advance(hours(2)));
  BOOST_TEST(step.mail);
  BOOST_TEST(!decide_alert(true, true, step.next, clock.advance(hours(30))).mail);
}

BOOST_AUTO_TEST_CASE(an_inactive_cause_keeps_its_last_mail) {
  alert_state s{std::nullopt, 5};
  auto step = decide_alert(false, true, s, 10);
  BOOST_TEST(!step.mail);
  BOOST_TEST(*step.next.last_mailed_at == 5);
  BOOST_TEST((step.next == s));
}

BOOST_AUTO_TEST_CASE(mails_name_the_instance_and_link_to_it_only) {
  for (const auto cause : alert_causes) {
    BOOST_TEST(known_alert_cause(cause));
    auto t = alert_mail(cause, "Shop", "ins_1", "https://gw.example.com/");
    BOOST_TEST(t.subject.find("Shop") != std::string::npos);
    BOOST_TEST(t.subject.find_first_of("\r\n") == std::string::npos);
    BOOST_TEST(t.body.find("https://gw.example.com/instances/ins_1") != std::string::npos);
  }
  BOOST_TEST(!known_alert_cause("other"));
}

BOOST_AUTO_TEST_SUITE_END()
