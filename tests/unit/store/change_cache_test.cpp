// store::change_cache: per-reactor entries that the change stream's publication of one of the
// cache's topics makes stale on every reactor at once; a read that raced a change is never
// served; the optional TTL.
#include "support/manual_clock.hpp"

#include <enfinito/store/change_cache.hpp>
#include <enfinito/store/instances.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

using namespace enfinito;

namespace {

store::change_set changed(store::change k) {
  store::change_set cs;
  cs.changed = static_cast<store::change_mask>(k);
  return cs;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_change_cache)

BOOST_AUTO_TEST_CASE(a_published_change_is_a_miss_on_every_reactor_at_once) {
  store::change_stream stream;
  store::change_cache<std::string> c(3, stream, store::change::api_keys | store::change::users);
  for (std::size_t r = 0; r < 3; ++r) c.put(r, "h", "key_1", c.generation());
  for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(c.get(r, "h") != nullptr);
  stream.publish(changed(store::change::media_jobs));  // not one of its topics
  for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(c.get(r, "h") != nullptr);
  stream.publish(changed(store::change::users));
  for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(c.get(r, "h") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_read_that_raced_a_change_is_never_served) {
  store::change_stream stream;
  store::change_cache<std::string> c(1, stream, static_cast<store::change_mask>(store::change::api_keys));
  const auto before = c.generation();                // the lookup starts
  stream.publish(changed(store::change::api_keys));  // the revocation commits meanwhile
  c.put(0, "h", "key_1", before);
  BOOST_TEST(c.get(0, "h") == nullptr);
  c.put(0, "h", "key_1", c.generation());  // the next lookup
  BOOST_TEST(*c.get(0, "h") == "key_1");
}

BOOST_AUTO_TEST_CASE(the_instances_topic_is_the_process_wide_instance_generation) {
  store::change_stream stream;
  store::change_cache<int> c(1, stream, static_cast<store::change_mask>(store::change::instances));
  BOOST_TEST(c.generation() == store::instances::generation());
  c.put(0, "ins_1", 1, store::instances::generation());
  stream.publish(changed(store::change::instances));
  BOOST_TEST(c.get(0, "ins_1") == nullptr);
  BOOST_TEST(c.generation() == store::instances::generation());
}

BOOST_AUTO_TEST_CASE(a_ttl_bounds_what_the_stream_cannot_see_and_the_size_is_bounded) {
  store::change_stream stream;
  store::change_cache<int> expiring(1, stream, static_cast<store::change_mask>(store::change::instances),
                                    {10, std::chrono::milliseconds(0)});
  expiring.put(0, "a", 1, expiring.generation());
  BOOST_TEST(expiring.get(0, "a") == nullptr);
  store::change_cache<int> small(1, stream, static_cast<store::change_mask>(store::change::instances), {2, {}});
  for (int i = 0; i < 3; ++i) small.put(0, std::to_string(i), i, small.generation());
  BOOST_TEST(small.get(0, "0") == nullptr);  // the full map was cleared for the third
  BOOST_TEST(*small.get(0, "2") == 2);

  test::manual_clock clock;
  store::change_cache<int> timed(1, stream, static_cast<store::change_mask>(store::change::instances),
                                 {10, std::chrono::milliseconds(500), [&clock] { return clock.now(); }});
  timed.put(0, "a", 1, timed.generation());
  clock.advance(std::chrono::milliseconds(499));
  BOOST_TEST(timed.get(0, "a") != nullptr);
  clock.advance(std::chrono::milliseconds(1));
  BOOST_TEST(timed.get(0, "a") == nullptr);  // the TTL runs on the options' clock
}

BOOST_AUTO_TEST_SUITE_END()
