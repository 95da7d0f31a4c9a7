// Instance leases on a real PostgreSQL 15 with two "nodes" (two pools, as two processes would
// have): each instance is held by exactly one node; a node that dies (stops renewing) loses
// its instances to the other within cluster.lease_ms; racing claims never give an instance to
// both. Time is a manual clock passed to each call, so "within lease_ms" is exact, not slept.
#include "support/manual_clock.hpp"
#include "support/pg_cluster.hpp"

#include <enfinito/store/pg/leases.hpp>
#include <enfinito/store/pg/migrate.hpp>
#include <enfinito/store/pg/pool.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

using namespace enfinito;
namespace leases = enfinito::store::pg::leases;
using namespace std::chrono_literals;

namespace {

struct two_nodes {
  explicit two_nodes(int instances) {
    conninfo = test::pg_cluster::shared().create_database();
    a = open(conninfo);
    b = open(conninfo);
    BOOST_REQUIRE(!a->run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
      std::string why;
      if (auto ec = enfinito::store::pg::migrate(c, enfinito::store::pg::embedded_schema(), &why)) return ec;
      if (auto ec = c.exec("INSERT INTO users (id, email, name, status, created_at, updated_at)"
                           " VALUES ('usr_a', 'a@x', 'A', 'active', 0, 0)"))
        return ec;
      for (int i = 0; i < instances; ++i) {
        auto r = c.query(
            "INSERT INTO instances (id, user_id, name, phone_number_id_enc, waba_id_enc, access_token_enc,"
            " app_secret_enc, app_id_enc, verify_token_enc, phone_number_lookup, token_last4, created_at, updated_at)"
            " VALUES ($1, 'usr_a', 'I', '\\x00', '\\x00', '\\x00', '\\x00', '\\x00', '\\x00', $1, '1234', 0, 0)",
            enfinito::store::pg::params().add("ins_" + std::to_string(100 + i)));
        if (!r) return r.error();
      }
      return {};
    }));
  }

  static std::unique_ptr<enfinito::store::pg::pool> open(const std::string& conninfo) {
    enfinito::store::pg::pool_options o;
    o.connect.conninfo = conninfo;
    o.size = 2;
    std::string why;
    auto p = enfinito::store::pg::pool::open(std::move(o), &why);
    BOOST_REQUIRE_MESSAGE(p, why);
    return std::move(*p);
  }

  // Runs one lease call on `node`'s pool and returns its leases.
  template <class Fn>
  static std::vector<cluster::lease> call(enfinito::store::pg::pool& node, Fn fn) {
    std::vector<cluster::lease> out;
    auto ec = node.run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
      auto r = fn(c);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    });
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());
    return out;
  }

  std::string conninfo;
  std::unique_ptr<enfinito::store::pg::pool> a, b;
  cluster::lease_policy policy{10'000};
  test::manual_clock clock;
};

std::set<std::string> ids(const std::vector<cluster::lease>& ls) {
  std::set<std::string> out;
  for (auto& l : ls) out.insert(l.instance_id);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_leases)

BOOST_AUTO_TEST_CASE(a_dead_nodes_instances_move_to_the_other_within_lease_ms) {
  two_nodes n(4);
  const std::string A = "node-a", B = "node-b";
  auto claim_free = [&](const std::string& node) {
    return [&, node](enfinito::store::pg::connection& c) {
      return leases::claim_free(c, node, n.clock.now(), n.policy, 100);
    };
  };
  auto taken = two_nodes::call(*n.a, claim_free(A));
  BOOST_TEST(taken.size() == 4u);
  for (auto& l : taken) BOOST_TEST(l.epoch == 1);
  BOOST_TEST(two_nodes::call(*n.b, claim_free(B)).empty());

  // A renews on time; B, looking just before A's first expiry, still finds nothing free.
  n.clock.advance(std::chrono::milliseconds(n.policy.renew_every_ms()));
  auto renewed = two_nodes::call(
      *n.a, [&](enfinito::store::pg::connection& c) { return leases::renew(c, A, n.clock.now(), n.policy); });
  BOOST_TEST(renewed.size() == 4u);
  const auto last_renewal = n.clock.now();
  n.clock.now_ms = taken[0].expires_at;  // A's first lease would have ended here
  BOOST_TEST(two_nodes::call(*n.b, claim_free(B)).empty());

  // A dies: no more renewals. One millisecond before its leases end, B still waits…
  n.a->stop();
  n.clock.now_ms = last_renewal + n.policy.lease_ms - 1;
  BOOST_TEST(two_nodes::call(*n.b, claim_free(B)).empty());
  // … and lease_ms after A's last renewal, B holds every instance, in a new epoch.
  n.clock.now_ms = last_renewal + n.policy.lease_ms;
  auto takeover = two_nodes::call(*n.b, claim_free(B));
  BOOST_TEST(ids(takeover) == ids(taken));
  for (auto& l : takeover) {
    BOOST_TEST(l.node_id == B);
    BOOST_TEST(l.epoch == 2);
    BOOST_TEST(cluster::may_send(l, B, n.clock.now(), n.policy));
  }
  // Had A only paused, its renewal now renews nothing: it must stop those queues.
  auto a2 = two_nodes::open(n.conninfo);
  BOOST_TEST(two_nodes::call(*a2, [&](enfinito::store::pg::connection& c) {
               return leases::renew(c, A, n.clock.now(), n.policy);
             }).empty());
}

BOOST_AUTO_TEST_CASE(the_holder_renews_and_claims_its_own_lease_again) {
  two_nodes n(1);
  auto one = [&](enfinito::store::pg::pool& p, const std::string& node) {
    std::vector<cluster::lease> out;
    auto ec = p.run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
      auto r = leases::claim(c, "ins_100", node, n.clock.now(), n.policy);
      if (!r) return r.error();
      if (*r) out.push_back(**r);
      return {};
    });
    BOOST_REQUIRE(!ec);
    return out;
  };
  auto first = one(*n.a, "node-a");
  BOOST_REQUIRE(first.size() == 1u);
  n.clock.advance(3s);
  auto again = one(*n.a, "node-a");
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST(again[0].epoch == 1);
  BOOST_TEST(again[0].acquired_at == first[0].acquired_at);
  BOOST_TEST(again[0].expires_at == n.clock.now() + n.policy.lease_ms);
  BOOST_TEST(one(*n.b, "node-b").empty());
  // A clean shutdown hands over at once.
  BOOST_TEST(!n.a->run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
    auto r = leases::release_all(c, "node-a");
    if (!r) return r.error();
    BOOST_TEST(*r == 1);
    return {};
  }));
  auto b = one(*n.b, "node-b");
  BOOST_REQUIRE(b.size() == 1u);
  BOOST_TEST(b[0].epoch == 1);  // the row was released: a first lease, not a takeover
}

BOOST_AUTO_TEST_CASE(racing_nodes_never_both_hold_an_instance) {
  two_nodes n(60);
  const auto now = n.clock.now();
  std::vector<cluster::lease> got_a, got_b;
  // Both claim in small slices at the same moment, on their own connections.
  std::thread ta([&] {
    for (int i = 0; i < 10; ++i) {
      auto r = two_nodes::call(
          *n.a, [&](enfinito::store::pg::connection& c) { return leases::claim_free(c, "node-a", now, n.policy, 7); });
      got_a.insert(got_a.end(), r.begin(), r.end());
    }
  });
  std::thread tb([&] {
    for (int i = 0; i < 10; ++i) {
      auto r = two_nodes::call(
          *n.b, [&](enfinito::store::pg::connection& c) { return leases::claim_free(c, "node-b", now, n.policy, 7); });
      got_b.insert(got_b.end(), r.begin(), r.end());
    }
  });
  ta.join();
  tb.join();
  auto a = ids(got_a), b = ids(got_b);
  BOOST_TEST(a.size() == got_a.size());
  BOOST_TEST(b.size() == got_b.size());
  std::set<std::string> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(both, both.end()));
  BOOST_TEST(both.empty());
  BOOST_TEST(a.size() + b.size() == 60u);
}

BOOST_AUTO_TEST_CASE(only_active_instances_are_claimed) {
  two_nodes n(2);
  BOOST_REQUIRE(!n.a->run_sync([](enfinito::store::pg::connection& c) {
    return c.exec("UPDATE instances SET status = 'disabled' WHERE id = 'ins_100'");
  }));
  auto got = two_nodes::call(*n.a, [&](enfinito::store::pg::connection& c) {
    return leases::claim_free(c, "node-a", n.clock.now(), n.policy, 10);
  });
  BOOST_TEST(ids(got) == std::set<std::string>{"ins_101"});
}

BOOST_AUTO_TEST_SUITE_END()

// The keeper on real time: node A holds every instance; A dies (its rounds stop); node B, which
// found nothing free while A was alive, holds them all within lease_ms (+ one round of B's).
#include "support/io_context_fixture.hpp"

#include <enfinito/cluster/keeper.hpp>
#include <enfinito/core/clock.hpp>

BOOST_AUTO_TEST_SUITE(pg_lease_keeper)

BOOST_FIXTURE_TEST_CASE(a_dead_node_is_replaced_within_lease_ms, test::io_context_fixture) {
  two_nodes n(4);
  const cluster::lease_policy policy{900};
  std::vector<std::string> gained_b;
  auto a = std::make_shared<cluster::lease_keeper>(*n.a, ioc.get_executor(), "node-a", policy, 100,
                                                   cluster::lease_keeper::events{}, &core::wall_ms);
  auto b = std::make_shared<cluster::lease_keeper>(
      *n.b, ioc.get_executor(), "node-b", policy, 100,
      cluster::lease_keeper::events{[&](const cluster::lease& l) { gained_b.push_back(l.instance_id); }, {}},
      &core::wall_ms);
  a->start();
  run_until([&] { return a->owned().size() == 4; });
  b->start();
  // Several renewals of A (past its first lease's end): B never gets anything.
  const auto b_rounds = b->rounds();
  run_until([&] { return b->rounds() >= b_rounds + 5; });
  BOOST_TEST(b->owned().empty());
  BOOST_TEST(a->owned().size() == 4u);

  a->stop();  // A dies: it stops renewing and releases nothing
  const auto died = std::chrono::steady_clock::now();
  run_until([&] { return b->owned().size() == 4; }, std::chrono::seconds(10));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - died);
  // lease_ms after A's last renewal, plus at most one round of B's; slack for a loaded machine.
  BOOST_TEST(took.count() <= policy.lease_ms + policy.renew_every_ms() + 1'000, took.count() << " ms");
  BOOST_TEST(gained_b.size() == 4u);
  for (auto& [_, l] : b->owned()) BOOST_TEST(l.epoch == 2);

  b->stop();
  run_until([&] { return !a->busy() && !b->busy(); });
}

BOOST_AUTO_TEST_SUITE_END()
