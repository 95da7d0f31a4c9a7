// inbound::verification and the credential cache: the handshake and signature decisions and
// the cache's expiry, without a socket, a store or real time.
#include "support/manual_clock.hpp"

#include <enfinito/crypto/hash.hpp>
#include <enfinito/inbound/verification.hpp>
#include <enfinito/store/changes.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using inbound::admission_verdict;
using inbound::handshake_verdict;

namespace {

const std::string instance = "ins_verification1";

inbound::credentials creds() {
  inbound::credentials c;
  c.who = {instance, "usr_owner1", "800000000000001", "900000000000001", "15550001111"};
  c.app_secret = core::secret_string(std::string("app-secret-for-tests"));
  c.verify_token = core::secret_string(std::string("verify-token-for-tests"));
  return c;
}

inbound::lookup found() {
  inbound::lookup l;
  l.found = creds();
  return l;
}

inbound::lookup failed() {
  inbound::lookup l;
  l.failed = true;
  return l;
}

inbound::handshake_query good_query() {
  return {std::string_view("subscribe"), std::string_view("verify-token-for-tests"), std::string_view("1158201444")};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(inbound_verification)

BOOST_AUTO_TEST_CASE(a_malformed_handshake_is_refused_before_any_lookup) {
  const auto none = std::optional<std::string_view>();
  const inbound::handshake_query cases[] = {
      {none, std::string_view("t"), std::string_view("1")},
      {std::string_view("unsubscribe"), std::string_view("t"), std::string_view("1")},
      {std::string_view("subscribe"), none, std::string_view("1")},
      {std::string_view("subscribe"), std::string_view("t"), none},
      {std::string_view("subscribe"), std::string_view("t"), std::string_view("")},
      {std::string_view("subscribe"), std::string_view("t"), std::string_view("12 34")},
      {std::string_view("subscribe"), std::string_view("t"), std::string_view("1\t2")},
  };
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    BOOST_TEST_CONTEXT("case " << i) {
      BOOST_TEST((inbound::decide_handshake(cases[i], instance, nullptr) == handshake_verdict::malformed));
    }
  }
  BOOST_TEST(!inbound::plausible_challenge(std::string(129, '1')));
  BOOST_TEST(inbound::plausible_challenge(std::string(128, '1')));
  BOOST_TEST(!inbound::plausible_challenge("caf\xc3\xa9"));
}

BOOST_AUTO_TEST_CASE(a_handshake_needs_the_instances_own_token) {
  const auto q = good_query();
  BOOST_TEST((inbound::decide_handshake(q, "not-an-instance", nullptr) == handshake_verdict::forbidden));
  BOOST_TEST((inbound::decide_handshake(q, "ins_a/b", nullptr) == handshake_verdict::forbidden));
  BOOST_TEST((inbound::decide_handshake(q, instance, nullptr) == handshake_verdict::look_up));
  const auto ok = found();
  BOOST_TEST((inbound::decide_handshake(q, instance, &ok) == handshake_verdict::accepted));
  const inbound::lookup unknown;
  BOOST_TEST((inbound::decide_handshake(q, instance, &unknown) == handshake_verdict::forbidden));
  const auto broken = failed();
  BOOST_TEST((inbound::decide_handshake(q, instance, &broken) == handshake_verdict::unavailable));
  auto wrong = q;
  wrong.verify_token = std::string_view("verify-token-for-test");
  BOOST_TEST((inbound::decide_handshake(wrong, instance, &ok) == handshake_verdict::forbidden));
  wrong.verify_token = std::string_view("");
  BOOST_TEST((inbound::decide_handshake(wrong, instance, &ok) == handshake_verdict::forbidden));
}

BOOST_AUTO_TEST_CASE(a_post_is_admitted_only_with_the_signature_over_its_exact_bytes) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[]})";
  const std::string good = "sha256=" + crypto::hmac_sha256_hex("app-secret-for-tests", body);
  const auto ok = found();

  auto no_signature = inbound::decide_admission(std::nullopt, instance, body, nullptr);
  BOOST_TEST((no_signature.verdict == admission_verdict::refused));
  BOOST_TEST(no_signature.reason == "no signature");
  auto odd_id = inbound::decide_admission(std::string_view(good), "../etc", body, nullptr);
  BOOST_TEST((odd_id.verdict == admission_verdict::refused));
  BOOST_TEST(odd_id.reason == "unknown instance");
  BOOST_TEST((inbound::decide_admission(std::string_view(good), instance, body, nullptr).verdict ==
              admission_verdict::look_up));

  BOOST_TEST(
      (inbound::decide_admission(std::string_view(good), instance, body, &ok).verdict == admission_verdict::admitted));
  std::string flipped = body;
  flipped[3] ^= 1;
  auto forged = inbound::decide_admission(std::string_view(good), instance, flipped, &ok);
  BOOST_TEST((forged.verdict == admission_verdict::refused));
  BOOST_TEST(forged.reason == "bad signature");
  const std::string reserialised = R"({"object": "whatsapp_business_account", "entry": []})";
  BOOST_TEST((inbound::decide_admission(std::string_view(good), instance, reserialised, &ok).verdict ==
              admission_verdict::refused));
  const std::string other_secret = "sha256=" + crypto::hmac_sha256_hex("another-secret", body);
  BOOST_TEST((inbound::decide_admission(std::string_view(other_secret), instance, body, &ok).verdict ==
              admission_verdict::refused));

  const inbound::lookup unknown;
  auto nobody = inbound::decide_admission(std::string_view(good), instance, body, &unknown);
  BOOST_TEST((nobody.verdict == admission_verdict::refused));
  BOOST_TEST(nobody.reason == "unknown instance");  // the same 401 as a bad signature
  const auto broken = failed();
  BOOST_TEST((inbound::decide_admission(std::string_view(good), instance, body, &broken).verdict ==
              admission_verdict::unavailable));
}

BOOST_AUTO_TEST_CASE(cached_credentials_expire_with_time_and_with_any_instance_change) {
  test::manual_clock clock;
  store::change_stream stream;
  const auto now = [&clock] { return clock.now(); };
  inbound::credential_cache cache(2, stream, std::chrono::milliseconds(1000), now);
  BOOST_TEST(!cache.get(0, instance));
  cache.put(0, instance, creds(), cache.generation());
  BOOST_REQUIRE(cache.get(0, instance));
  BOOST_TEST(cache.get(0, instance)->who.waba_id == "900000000000001");
  BOOST_TEST(!cache.get(1, instance));  // each reactor has its own shard

  clock.advance(std::chrono::milliseconds(999));
  BOOST_TEST(cache.get(0, instance).has_value());
  clock.advance(std::chrono::milliseconds(1));
  BOOST_TEST(!cache.get(0, instance));  // expired, and dropped

  store::change_set instance_changed;
  instance_changed.changed = static_cast<store::change_mask>(store::change::instances);
  cache.put(0, instance, creds(), cache.generation());
  stream.publish(instance_changed);
  BOOST_TEST(!cache.get(0, instance));  // an instance changed: read again

  // Read before a change that raced the store read: stale from the start.
  const auto before = cache.generation();
  stream.publish(instance_changed);
  cache.put(0, instance, creds(), before);
  BOOST_TEST(!cache.get(0, instance));

  // Another topic's commit leaves the entry alone.
  cache.put(0, instance, creds(), cache.generation());
  store::change_set keys_changed;
  keys_changed.changed = static_cast<store::change_mask>(store::change::api_keys);
  stream.publish(keys_changed);
  BOOST_TEST(cache.get(0, instance).has_value());

  inbound::credential_cache off(1, stream, std::chrono::milliseconds(0), now);
  off.put(0, instance, creds(), off.generation());
  BOOST_TEST(!off.get(0, instance));
}

BOOST_AUTO_TEST_SUITE_END()
