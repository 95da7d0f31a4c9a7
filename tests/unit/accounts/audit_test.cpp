// accounts audit: an entry's detail becomes an object (key=value pairs) or stays free text,
// and the users list's status filter admits only the four account statuses.
#include <enfinito/accounts/audit.hpp>

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(accounts_audit)

BOOST_AUTO_TEST_CASE(details_are_pairs_or_free_text) {
  auto pairs = accounts::audit_detail("key=key_abc fields=name,email");
  BOOST_TEST(boost::json::serialize(pairs) == R"({"key":"key_abc","fields":"name,email"})");
  BOOST_TEST(accounts::audit_detail("").empty());
  BOOST_TEST(boost::json::serialize(accounts::audit_detail("row 12")) == R"({"text":"row 12"})");
  BOOST_TEST(boost::json::serialize(accounts::audit_detail("=x")) == R"({"text":"=x"})");  // no key: text
  BOOST_TEST(boost::json::serialize(accounts::audit_detail("by=administrator")) == R"({"by":"administrator"})");
}

BOOST_AUTO_TEST_CASE(only_account_statuses_filter_the_users_list) {
  for (const char* s : {"pending", "active", "rejected", "suspended"}) BOOST_TEST(accounts::is_status(s));
  for (const char* s : {"", "Active", "deleted", "admin"}) BOOST_TEST(!accounts::is_status(s));
}

BOOST_AUTO_TEST_SUITE_END()
