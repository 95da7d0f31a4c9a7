// auth: Argon2id parameters and rehash detection, the sign-in throttle's windows, and the
// generation-checked API-key cache.
#include <enfinito/auth/password.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/store/changes.hpp>

#include <sodium.h>

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(auth_password)

BOOST_AUTO_TEST_CASE(argon2id_at_owasp_parameters_verifies_exactly_as_typed) {
  auto h = auth::hash_password("Correct Horse 1");
  BOOST_TEST(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  BOOST_TEST(auth::verify_password(h, "Correct Horse 1"));
  BOOST_TEST(!auth::verify_password(h, "correct horse 1"));   // no case folding
  BOOST_TEST(!auth::verify_password(h, "Correct Horse 1 "));  // no trimming
  BOOST_TEST(!auth::verify_password("", "x"));
  BOOST_TEST(!auth::verify_password("garbage", "x"));
  BOOST_TEST(!auth::needs_rehash(h));
  BOOST_TEST(auth::hash_password("same") != auth::hash_password("same"));  // salted
}

BOOST_AUTO_TEST_CASE(older_parameters_are_detected_for_rehash) {
  char weak[crypto_pwhash_STRBYTES];
  BOOST_REQUIRE(crypto_pwhash_str_alg(weak, "pw", 2, 1, 8 * 1024 * 1024, crypto_pwhash_ALG_ARGON2ID13) == 0);
  BOOST_TEST(auth::verify_password(weak, "pw"));
  BOOST_TEST(auth::needs_rehash(weak));
}

BOOST_AUTO_TEST_CASE(length_rule_counts_characters) {
  BOOST_TEST(!auth::password_length_ok("1234567"));
  BOOST_TEST(auth::password_length_ok("12345678"));
  BOOST_TEST(auth::password_length_ok("ääääääää"));  // 8 characters, 16 bytes
  BOOST_TEST(!auth::password_length_ok("äääääää"));
  BOOST_TEST(auth::password_length_ok(std::string(1024, 'x')));
  BOOST_TEST(!auth::password_length_ok(std::string(1025, 'x')));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(auth_throttle)

BOOST_AUTO_TEST_CASE(account_limit_blocks_for_one_window_then_releases) {
  auth::signin_throttle t({3, 100, 900s});
  auto t0 = auth::signin_throttle::clock::now();
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(!t.blocked("a@x.org", "10.0.0.1", t0));
    t.failure("a@x.org", "10.0.0.1", t0);
  }
  auto wait = t.blocked("a@x.org", "10.0.0.2", t0 + 10s);  // another address: still the account
  BOOST_REQUIRE(wait.has_value());
  BOOST_TEST(wait->count() <= 890);
  BOOST_TEST(!t.blocked("b@x.org", "10.0.0.1", t0 + 10s));   // other accounts unaffected
  BOOST_TEST(!t.blocked("a@x.org", "10.0.0.1", t0 + 901s));  // the owner is back after one window
}

BOOST_AUTO_TEST_CASE(address_limit_spans_accounts_and_success_clears_the_account) {
  auth::signin_throttle t({100, 4, 60s});
  auto t0 = auth::signin_throttle::clock::now();
  for (int i = 0; i < 4; ++i) t.failure("user" + std::to_string(i) + "@x.org", "10.9.9.9", t0);
  BOOST_TEST(t.blocked("fresh@x.org", "10.9.9.9", t0).has_value());
  BOOST_TEST(!t.blocked("fresh@x.org", "10.9.9.8", t0).has_value());
  auth::signin_throttle u({2, 100, 60s});
  u.failure("c@x.org", "1.1.1.1", t0);
  u.success("c@x.org");
  u.failure("c@x.org", "1.1.1.1", t0);
  BOOST_TEST(!u.blocked("c@x.org", "1.1.1.2", t0).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(auth_key_cache)

// The key cache is invalidated by the store's change stream (a revocation, suspension or
// deletion marks api_keys or users); store/change_cache_test.cpp covers the mechanism.
BOOST_AUTO_TEST_CASE(invalidation_is_immediate_on_every_reactor) {
  store::change_stream changes;
  auth::runtime rt(3, {}, changes);
  auto& c = rt.keys();
  for (std::size_t r = 0; r < 3; ++r) c.put(r, "h", {"key_1", "usr_1", "user", false, {}, 0}, c.generation());
  for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(c.get(r, "h") != nullptr);
  for (auto k : {store::change::api_keys, store::change::users}) {
    for (std::size_t r = 0; r < 3; ++r) c.put(r, "h", {"key_1", "usr_1", "user", false, {}, 0}, c.generation());
    store::change_set cs;
    cs.changed = static_cast<store::change_mask>(k);
    changes.publish(cs);
    for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(c.get(r, "h") == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(a_lookup_that_raced_a_revocation_is_never_served) {
  store::change_stream changes;
  auth::runtime rt(1, {}, changes);
  auto& c = rt.keys();
  auto before = c.generation();  // the lookup starts
  store::change_set revoked;     // the revocation commits meanwhile
  revoked.changed = static_cast<store::change_mask>(store::change::api_keys);
  changes.publish(revoked);
  c.put(0, "h", {"key_1", "usr_1", "user", false, {}, 0}, before);
  BOOST_TEST(c.get(0, "h") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
