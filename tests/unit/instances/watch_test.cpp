// instances::watch_once against a real database file: a pass forgets the in-memory webhook
// times of instances the store no longer holds, whatever deleted them, and keeps the others.
#include "support/temp_store.hpp"
#include "support/vault.hpp"

#include <enfinito/crypto/vault.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/instances/watch.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {

using test::make_vault;

struct watch_fixture : test::temp_store {
  std::shared_ptr<crypto::vault_source> vault;
  net::thread_pool blocking{1};
  instances::webhook_activity activity;

  watch_fixture() {
    vault = std::make_shared<crypto::vault_source>(make_vault(dir));
    add_users();
    add_instance("ins_a", "usr_a", "la");
    add_instance("ins_b", "usr_a", "lb", false, "B");
  }
  ~watch_fixture() { blocking.join(); }

  core::error_code pass(std::int64_t now_ms) {
    instances::watch_options o;
    o.alerts = false;  // no mail: the pass's memory is what is looked at here
    net::io_context ctx(1);
    auto guard = net::make_work_guard(ctx);
    std::optional<core::error_code> out;
    net::co_spawn(ctx, instances::watch_once(*db, *vault, blocking, activity, o, now_ms),
                  [&](std::exception_ptr e, core::error_code ec) {
                    if (e) std::rethrow_exception(e);
                    out = ec;
                    guard.reset();
                  });
    ctx.run();
    // The store threads return from their post before `ctx` goes (ThreadSanitizer).
    BOOST_REQUIRE(!db->write_sync([](store::connection&) { return core::error_code{}; }));
    BOOST_REQUIRE(out);
    return *out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(instances_watch, watch_fixture)

BOOST_AUTO_TEST_CASE(a_pass_forgets_deleted_instances_and_keeps_the_others) {
  activity.note_webhook("ins_a", 1'000, true);
  activity.note_sent("ins_b", 1'000);
  activity.note_webhook("ins_b", 1'100, false);
  BOOST_REQUIRE(!pass(2'000));
  BOOST_TEST(activity.size() == 2u);  // both still exist

  // Deleted behind the API's back (a user's deletion cascades the same way).
  BOOST_REQUIRE(
      !db->write_sync([](store::connection& c) { return c.exec("DELETE FROM instances WHERE id = 'ins_b'"); }));
  activity.note_sent("ins_b", 2'500);  // a late note for the deleted one: forgotten as well
  BOOST_REQUIRE(!pass(3'000));
  BOOST_TEST(activity.size() == 1u);
  BOOST_TEST(!activity.get("ins_b").waiting_since);
  BOOST_TEST(!activity.get("ins_b").webhook_at);
  BOOST_TEST(*activity.get("ins_a").webhook_at == 1'000);  // the live one is untouched

  // A long run of deletions leaves nothing behind.
  BOOST_REQUIRE(!db->write_sync([](store::connection& c) { return c.exec("DELETE FROM instances"); }));
  BOOST_REQUIRE(!pass(4'000));
  BOOST_TEST(activity.size() == 0u);
}

BOOST_AUTO_TEST_CASE(forget_all_but_keeps_exactly_the_live_ids) {
  for (const char* id : {"ins_1", "ins_2", "ins_3", "ins_4"}) activity.note_sent(id, 1);
  BOOST_TEST(activity.forget_all_but({"ins_2", "ins_4", "ins_9"}) == 2u);
  BOOST_TEST(activity.size() == 2u);
  BOOST_TEST(activity.get("ins_2").waiting_since.has_value());
  BOOST_TEST(!activity.get("ins_1").waiting_since.has_value());
  BOOST_TEST(activity.forget_all_but({}) == 2u);
  BOOST_TEST(activity.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
