// accounts::retention: when a sign-up that never became active is due for deletion, driven by
// a manual clock (pending counts from the sign-up, rejected from the rejection; administrators,
// active and suspended accounts never).
#include <enfinito/accounts/retention.hpp>

#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace enfinito;
using namespace std::chrono_literals;

namespace {
constexpr std::int64_t keep_s = 30 * 24 * 3600;  // retention.rejected_days = 30
std::int64_t secs(const test::manual_clock& c) { return c.now() / 1000; }
}  // namespace

BOOST_AUTO_TEST_SUITE(accounts_retention)

BOOST_AUTO_TEST_CASE(a_pending_sign_up_is_due_once_the_retention_has_passed_since_it_was_made) {
  test::manual_clock clock;
  const accounts::purge_facts a{"pending", "user", secs(clock), secs(clock)};
  BOOST_TEST(!accounts::due_for_purge(a, secs(clock), keep_s));
  clock.advance(std::chrono::hours(24 * 30) - 1s);
  BOOST_TEST(!accounts::due_for_purge(a, secs(clock), keep_s));
  clock.advance(1s);
  BOOST_TEST(accounts::due_for_purge(a, secs(clock), keep_s));
}

BOOST_AUTO_TEST_CASE(a_pending_account_is_not_kept_alive_by_password_resets) {
  // A reset bumps updated_at; the sign-up's age is what counts for an account never approved.
  test::manual_clock clock;
  const auto created = secs(clock);
  clock.advance(std::chrono::hours(24 * 29));
  const accounts::purge_facts a{"pending", "user", created, secs(clock)};
  clock.advance(std::chrono::hours(24));
  BOOST_TEST(accounts::due_for_purge(a, secs(clock), keep_s));
}

BOOST_AUTO_TEST_CASE(a_rejected_account_counts_from_its_rejection) {
  test::manual_clock clock;
  const auto created = secs(clock);
  clock.advance(std::chrono::hours(24 * 100));  // waited long, then rejected
  const accounts::purge_facts a{"rejected", "user", created, secs(clock)};
  clock.advance(std::chrono::hours(24 * 29));
  BOOST_TEST(!accounts::due_for_purge(a, secs(clock), keep_s));
  clock.advance(std::chrono::hours(24));
  BOOST_TEST(accounts::due_for_purge(a, secs(clock), keep_s));
}

BOOST_AUTO_TEST_CASE(active_suspended_and_administrator_accounts_are_never_due) {
  test::manual_clock clock;
  const auto long_ago = secs(clock);
  clock.advance(std::chrono::hours(24 * 3650));
  for (auto status : {"active", "suspended"})
    BOOST_TEST(!accounts::due_for_purge({status, "user", long_ago, long_ago}, secs(clock), keep_s), status);
  for (auto status : {"pending", "rejected", "active", "suspended"})
    BOOST_TEST(!accounts::due_for_purge({status, "admin", long_ago, long_ago}, secs(clock), keep_s), status);
}

BOOST_AUTO_TEST_SUITE_END()
