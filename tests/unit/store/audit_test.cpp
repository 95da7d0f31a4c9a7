// store::audit: the actor (and the API key that acted) recorded with an entry, a user's own
// entries as subject or actor, the admin's filters, and the retention sweep by age with the
// manual clock (app::retention_sweeps' "retention.audit" task).
#include <enfinito/app/housekeeping.hpp>
#include <enfinito/store/audit.hpp>

#include "support/manual_clock.hpp"
#include "support/temp_store.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace enfinito;
using test::temp_store;

namespace {

std::vector<store::accounts::audit_entry> read(temp_store& t, const store::audit::filter& f) {
  std::vector<store::accounts::audit_entry> out;
  auto ec = t.db->read_sync([&](store::connection& c) -> core::error_code {
    auto r = store::audit::newest(c, f);
    if (!r) return r.error();
    out = std::move(*r);
    return {};
  });
  BOOST_REQUIRE(!ec);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_audit)

BOOST_AUTO_TEST_CASE(entries_name_actor_key_and_address_and_each_user_reads_their_own) {
  temp_store t;
  t.add_users();
  auto ec = t.db->write_sync([](store::connection& c) -> core::error_code {
    if (auto e = store::audit::record(c, {"usr_a", "key_1", "10.0.0.1"}, "usr_a", "instance_created", "instance=ins_1"))
      return e;
    if (auto e = store::audit::record(c, {"usr_b", "", "10.0.0.2"}, "usr_a", "user_suspended", "")) return e;
    return store::audit::record(c, {"", "", "10.0.0.3"}, "usr_b", "signin_failed", "");
  });
  BOOST_REQUIRE(!ec);
  auto all = read(t, {});
  BOOST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[2].detail == "key=key_1 instance=ins_1");  // newest first
  BOOST_TEST(all[2].client_address == "10.0.0.1");
  BOOST_TEST(all[0].actor_id.empty());

  store::audit::filter mine;
  mine.mine = "usr_b";
  auto b = read(t, mine);
  BOOST_TEST(b.size() == 2u);  // b's failed sign-in (subject) and b's action on a (actor)
  store::audit::filter by_tenant;
  by_tenant.tenant = "usr_a";
  BOOST_TEST(read(t, by_tenant).size() == 2u);
  store::audit::filter by_actor;
  by_actor.actor = "usr_b";
  BOOST_TEST(read(t, by_actor).size() == 1u);
  store::audit::filter paged;
  paged.limit = 1;
  paged.before_id = all[0].id;
  BOOST_TEST(read(t, paged).at(0).id == all[1].id);
}

BOOST_AUTO_TEST_CASE(the_retention_sweep_deletes_entries_older_than_audit_days) {
  temp_store t;
  t.add_users();
  test::manual_clock clock;
  const std::int64_t day_s = 24 * 3600, now_s = clock.now() / 1000;
  t.exec("INSERT INTO audit_log(subject_id, action, created_at) VALUES ('usr_a', 'old', " +
         std::to_string(now_s - 40 * day_s) + "), ('usr_a', 'recent', " + std::to_string(now_s - 20 * day_s) +
         "), ('usr_b', 'new', " + std::to_string(now_s) + ")");
  config::retention_settings r;
  r.audit = std::chrono::milliseconds(30 * day_s * 1000);
  auto tasks = app::retention_sweeps(r);
  auto task =
      std::find_if(tasks.begin(), tasks.end(), [](const app::sweep_task& s) { return s.name == "retention.audit"; });
  BOOST_REQUIRE(task != tasks.end());
  std::size_t removed = 0;
  auto ec = t.db->write_sync([&](store::connection& c) { return task->run(c, clock.now(), 100, removed); });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(removed == 1u);
  BOOST_TEST(t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'old'") == 0);
  BOOST_TEST(t.scalar("SELECT COUNT(*) FROM audit_log") == 2);
  clock.advance(std::chrono::hours(24 * 11));
  ec = t.db->write_sync([&](store::connection& c) { return task->run(c, clock.now(), 100, removed); });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'recent'") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
