// instances::webhook_health: the silence rule with a manual clock, and the activity tracker's
// coalescing (one flush per change, sends after a status start the wait anew).
#include "support/manual_clock.hpp"

#include <enfinito/instances/webhook_health.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace enfinito::instances;
using std::chrono::minutes;

namespace {
constexpr std::int64_t thirty_min = 30 * 60 * 1000;
}

BOOST_AUTO_TEST_SUITE(instances_webhook_health)

BOOST_AUTO_TEST_CASE(sends_without_a_status_become_silent_after_the_limit) {
  test::manual_clock clock;
  silence_input in;
  in.silent_after = thirty_min;
  in.waiting_since = clock.now();
  in.now = clock.advance(minutes(29));
  BOOST_TEST((decide_silence(in) == silence_change::none));
  in.now = clock.advance(minutes(1));
  BOOST_TEST((decide_silence(in) == silence_change::became_silent));
}

BOOST_AUTO_TEST_CASE(no_sends_or_a_status_since_is_never_silent) {
  test::manual_clock clock;
  silence_input in;
  in.silent_after = thirty_min;
  in.now = clock.advance(minutes(600));
  BOOST_TEST((decide_silence(in) == silence_change::none));  // nothing sent
  in.waiting_since = clock.now() - 3 * thirty_min;
  in.last_status_at = clock.now() - thirty_min;  // a status came after the send
  BOOST_TEST((decide_silence(in) == silence_change::none));
}

BOOST_AUTO_TEST_CASE(a_flagged_instance_recovers_with_a_status_after_the_flag_only) {
  test::manual_clock clock;
  silence_input in;
  in.flagged = true;
  in.silent_since = clock.now();
  in.silent_after = thirty_min;
  in.now = clock.advance(minutes(60));
  in.last_status_at = in.silent_since.value() - 1;
  BOOST_TEST((decide_silence(in) == silence_change::none));
  in.last_status_at = clock.now();
  BOOST_TEST((decide_silence(in) == silence_change::recovered));
}

BOOST_AUTO_TEST_CASE(the_tracker_coalesces_and_restarts_the_wait_after_a_status) {
  webhook_activity a;
  a.note_sent("ins_1", 100);
  a.note_sent("ins_1", 200);
  BOOST_TEST(*a.get("ins_1").waiting_since == 100);  // the oldest send waits
  BOOST_TEST(a.take_dirty().empty());                // sends alone write nothing
  a.note_webhook("ins_1", 300, false);
  a.note_webhook("ins_1", 250, false);
  BOOST_TEST(*a.get("ins_1").waiting_since == 100);  // a webhook without statuses answers nothing
  a.note_webhook("ins_1", 400, true);
  BOOST_TEST(!a.get("ins_1").waiting_since);
  auto dirty = a.take_dirty();
  BOOST_REQUIRE(dirty.size() == 1u);
  BOOST_TEST(*dirty[0].second.webhook_at == 400);
  BOOST_TEST(*dirty[0].second.status_at == 400);
  BOOST_TEST(a.take_dirty().empty());  // flushed once
  a.note_sent("ins_1", 500);
  BOOST_TEST(*a.get("ins_1").waiting_since == 500);
  a.forget("ins_1");
  BOOST_TEST(!a.get("ins_1").webhook_at);
}

BOOST_AUTO_TEST_SUITE_END()
