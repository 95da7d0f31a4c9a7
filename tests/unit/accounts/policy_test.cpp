// accounts::policy: which statuses sign in, the administrator's transitions, who may ask for a
// reset, when deletion needs the password (driven by a manual clock), the export's actor labels,
// and the rules of an address (no header injection, one recipient) and of a name.
#include <enfinito/accounts/policy.hpp>

#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace enfinito;
using namespace std::chrono_literals;

BOOST_TEST_DONT_PRINT_LOG_VALUE(enfinito::accounts::sign_in_gate)

BOOST_AUTO_TEST_SUITE(accounts_policy)

BOOST_AUTO_TEST_CASE(only_an_active_account_signs_in_and_pending_is_told_apart) {
  BOOST_TEST(accounts::gate_for("active") == accounts::sign_in_gate::allowed);
  BOOST_TEST(accounts::gate_for("pending") == accounts::sign_in_gate::pending);
  BOOST_TEST(accounts::gate_for("rejected") == accounts::sign_in_gate::refused);
  BOOST_TEST(accounts::gate_for("suspended") == accounts::sign_in_gate::refused);
  BOOST_TEST(accounts::gate_for("") == accounts::sign_in_gate::refused);
  BOOST_TEST(accounts::gate_for("Active") == accounts::sign_in_gate::refused);  // exact, no folding
}

BOOST_AUTO_TEST_CASE(each_action_moves_from_exactly_one_status) {
  struct row {
    const char* action;
    const char* from;
    const char* to;  // nullptr: refused
    const char* audit;
  };
  const row table[] = {
      {"approve", "pending", "active", "user_approved"},
      {"reject", "pending", "rejected", "user_rejected"},
      {"suspend", "active", "suspended", "user_suspended"},
      {"reinstate", "suspended", "active", "user_reinstated"},
      {"approve", "active", nullptr, nullptr},
      {"approve", "rejected", nullptr, nullptr},
      {"reject", "active", nullptr, nullptr},
      {"suspend", "pending", nullptr, nullptr},
      {"suspend", "suspended", nullptr, nullptr},
      {"reinstate", "active", nullptr, nullptr},
      {"reinstate", "rejected", nullptr, nullptr},
      {"delete", "active", nullptr, nullptr},
  };
  for (const auto& r : table) {
    BOOST_TEST_CONTEXT(r.action << " from " << r.from) {
      const auto* t = accounts::find_transition(r.action, r.from);
      if (!r.to) {
        BOOST_TEST(!t);
        continue;
      }
      BOOST_REQUIRE(t);
      BOOST_TEST(std::string(t->to) == r.to);
      BOOST_TEST(std::string(t->audit_action) == r.audit);
    }
  }
  BOOST_TEST(accounts::is_user_action("suspend"));
  BOOST_TEST(!accounts::is_user_action("delete"));
}

BOOST_AUTO_TEST_CASE(an_administrator_cannot_reject_or_suspend_themselves) {
  BOOST_TEST(accounts::may_act_on_self("approve"));
  BOOST_TEST(accounts::may_act_on_self("reinstate"));
  BOOST_TEST(!accounts::may_act_on_self("reject"));
  BOOST_TEST(!accounts::may_act_on_self("suspend"));
}

BOOST_AUTO_TEST_CASE(reset_links_go_only_to_accounts_that_may_be_active) {
  BOOST_TEST(accounts::may_request_reset("active"));
  BOOST_TEST(accounts::may_request_reset("pending"));
  BOOST_TEST(!accounts::may_request_reset("rejected"));
  BOOST_TEST(!accounts::may_request_reset("suspended"));
}

BOOST_AUTO_TEST_CASE(deletion_without_password_only_right_after_a_session_sign_in) {
  test::manual_clock clock;
  const std::int64_t recent_s = 600;
  const std::int64_t signed_in = clock.now() / 1000;
  auto now_s = [&] { return clock.now() / 1000; };
  BOOST_TEST(!accounts::delete_needs_password(false, signed_in, now_s(), recent_s));
  clock.advance(600s);  // the boundary still counts as recent
  BOOST_TEST(!accounts::delete_needs_password(false, signed_in, now_s(), recent_s));
  clock.advance(1s);
  BOOST_TEST(accounts::delete_needs_password(false, signed_in, now_s(), recent_s));
  // An API key never counts as a recent sign-in, however fresh.
  BOOST_TEST(accounts::delete_needs_password(true, now_s(), now_s(), recent_s));
}

BOOST_AUTO_TEST_CASE(the_export_names_who_acted) {
  BOOST_TEST(std::string(accounts::actor_label("usr_a", "usr_a")) == "you");
  BOOST_TEST(std::string(accounts::actor_label("", "usr_a")) == "system");
  BOOST_TEST(std::string(accounts::actor_label("usr_admin", "usr_a")) == "administrator");
}

BOOST_AUTO_TEST_CASE(google_unlinks_only_while_a_password_remains) {
  BOOST_TEST(accounts::may_unlink_google(true));
  BOOST_TEST(!accounts::may_unlink_google(false));
}

BOOST_AUTO_TEST_CASE(emails_are_lower_cased_and_refused_when_unsafe) {
  BOOST_TEST(*accounts::normalize_email("Ada@Example.COM") == "ada@example.com");
  BOOST_TEST(accounts::normalize_email("a+tag@mail.example.org").has_value());
  for (const std::string& bad : std::vector<std::string>{
           "", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b@c.com", "a b@c.com", "a@c.com\r\nBcc: x@y.z",
           "a@c.com\n", "a,b@c.com", "<a@c.com>", "a@.com", "a@c..com", "\xc3\xa4@c.com",
           std::string(65, 'a') + "@c.com", "a@" + std::string(260, 'b') + ".com"})
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!accounts::normalize_email(bad).has_value()); }
}

BOOST_AUTO_TEST_CASE(names_are_one_to_a_hundred_characters_without_controls) {
  BOOST_TEST(accounts::name_ok("Ada"));
  BOOST_TEST(accounts::name_ok("Zoë Ångström"));
  BOOST_TEST(accounts::name_ok(std::string(100, 'n')));
  BOOST_TEST(!accounts::name_ok(std::string(101, 'n')));
  BOOST_TEST(!accounts::name_ok(""));
  BOOST_TEST(!accounts::name_ok("   "));
  BOOST_TEST(!accounts::name_ok("a\nb"));
  BOOST_TEST(!accounts::name_ok("a\x7f"));
}

BOOST_AUTO_TEST_SUITE_END()
