// cluster::lease: the instance-lease rule (acquire, renew, expire, take over) on a manual clock.
#include <enfinito/cluster/lease.hpp>

#include "support/manual_clock.hpp"

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(cluster_lease)

BOOST_AUTO_TEST_CASE(a_free_instance_is_taken_with_a_first_epoch) {
  test::manual_clock clock;
  cluster::lease_policy p{15'000};
  BOOST_TEST(cluster::may_take(std::nullopt, "a", clock.now()));
  auto l = cluster::take(std::nullopt, "ins_1", "a", clock.now(), p);
  BOOST_TEST(l.node_id == "a");
  BOOST_TEST(l.epoch == 1);
  BOOST_TEST(l.acquired_at == clock.now());
  BOOST_TEST(l.expires_at == clock.now() + 15'000);
  BOOST_TEST(cluster::may_send(l, "a", clock.now(), p));
  BOOST_TEST(!cluster::may_send(l, "b", clock.now(), p));
}

BOOST_AUTO_TEST_CASE(the_holder_renews_keeping_its_epoch) {
  test::manual_clock clock;
  cluster::lease_policy p{15'000};
  auto l = cluster::take(std::nullopt, "ins_1", "a", clock.now(), p);
  const auto t0 = clock.now();
  clock.advance(5s);
  BOOST_TEST(cluster::renew_at(l, p) == clock.now());
  BOOST_TEST(cluster::may_take(l, "a", clock.now()));
  auto r = cluster::take(l, "ins_1", "a", clock.now(), p);
  BOOST_TEST(r.epoch == 1);
  BOOST_TEST(r.acquired_at == t0);
  BOOST_TEST(r.expires_at == clock.now() + 15'000);
}

BOOST_AUTO_TEST_CASE(another_node_waits_until_expiry_then_takes_over) {
  test::manual_clock clock;
  cluster::lease_policy p{15'000};
  auto l = cluster::take(std::nullopt, "ins_1", "a", clock.now(), p);
  clock.advance(14'999ms);
  BOOST_TEST(!cluster::may_take(l, "b", clock.now()));
  clock.advance(1ms);  // exactly lease_ms after the last renewal
  BOOST_TEST(cluster::may_take(l, "b", clock.now()));
  auto t = cluster::take(l, "ins_1", "b", clock.now(), p);
  BOOST_TEST(t.node_id == "b");
  BOOST_TEST(t.epoch == 2);
  BOOST_TEST(t.acquired_at == clock.now());
  BOOST_TEST(!cluster::may_send(t, "a", clock.now(), p));
}

BOOST_AUTO_TEST_CASE(the_holder_stops_sending_a_margin_before_expiry) {
  // So that a node whose clock runs behind by less than the margin never sends while the
  // next holder already does.
  test::manual_clock clock;
  cluster::lease_policy p{15'000};
  BOOST_TEST(p.margin_ms() == 3'000);
  auto l = cluster::take(std::nullopt, "ins_1", "a", clock.now(), p);
  clock.advance(11'999ms);
  BOOST_TEST(cluster::may_send(l, "a", clock.now(), p));
  clock.advance(1ms);
  BOOST_TEST(!cluster::may_send(l, "a", clock.now(), p));
  // Renewing every lease_ms / 3 keeps it well clear of the margin.
  BOOST_TEST(cluster::renew_at(l, p) + p.margin_ms() < l.expires_at - p.margin_ms());
}

BOOST_AUTO_TEST_CASE(a_node_that_lost_its_lease_takes_a_new_epoch_when_it_comes_back) {
  test::manual_clock clock;
  cluster::lease_policy p{15'000};
  auto a = cluster::take(std::nullopt, "ins_1", "a", clock.now(), p);
  clock.advance(20s);
  auto b = cluster::take(a, "ins_1", "b", clock.now(), p);
  BOOST_TEST(!cluster::may_take(b, "a", clock.now()));
  clock.advance(15s);
  auto back = cluster::take(b, "ins_1", "a", clock.now(), p);
  BOOST_TEST(back.epoch == 3);
}

BOOST_AUTO_TEST_CASE(the_default_node_id_is_the_host_name) { BOOST_TEST(!cluster::default_node_id().empty()); }

BOOST_AUTO_TEST_SUITE_END()
