// store::events: append order, per-user scoping, filters, and purge.
#include "support/io_context_fixture.hpp"
#include "support/temp_store.hpp"

#include <enfinito/store/error.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>

using namespace enfinito;

namespace {

struct events_fixture : test::temp_store, test::io_context_fixture {
  events_fixture() { add_users(); }
  std::int64_t add(std::string user, std::string type, std::int64_t at = 0) {
    store::events::event e{0, std::move(user), "", std::move(type), "{}", at};
    BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return store::events::append(c, e); }));
    return e.id;
  }
  std::vector<store::events::event> list(store::events::filter f) {
    std::vector<store::events::event> out;
    BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::events::list(c, f, out); }));
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(store_events, events_fixture)

BOOST_AUTO_TEST_CASE(ids_grow_and_each_user_sees_only_their_own) {
  auto a1 = add("usr_a", "message.sent");
  auto b1 = add("usr_b", "message.sent");
  auto a2 = add("usr_a", "message.read");
  BOOST_TEST(a1 < b1);
  BOOST_TEST(b1 < a2);
  auto mine = list({"usr_a", 0, {}, {}, 100});
  BOOST_REQUIRE_EQUAL(mine.size(), 2u);
  BOOST_TEST(mine[0].id == a1);
  BOOST_TEST(mine[1].id == a2);
  BOOST_TEST(list({"usr_a", a1, {}, {}, 100}).size() == 1u);
  BOOST_TEST(list({"usr_a", 0, {}, {"message.read"}, 100}).size() == 1u);
  BOOST_TEST(list({"usr_a", 0, {"ins_none"}, {}, 100}).empty());
  std::int64_t newest = 0;
  BOOST_REQUIRE(!db->read_sync([&](store::connection& c) { return store::events::newest_id(c, "usr_b", newest); }));
  BOOST_TEST(newest == b1);
}

BOOST_AUTO_TEST_CASE(purge_removes_old_events_but_ids_are_never_reused) {
  add("usr_a", "message.sent", 1000);
  auto kept = add("usr_a", "message.sent", 5000);
  std::size_t deleted = 0;
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return store::events::purge(c, 2000, 100, deleted); }));
  BOOST_TEST(deleted == 1u);
  // Delete the newest too: AUTOINCREMENT must still hand out a larger id.
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return store::events::purge(c, 10'000, 100, deleted); }));
  BOOST_TEST(add("usr_a", "message.sent") > kept);
}

// Issue 23: text that is not JSON (a non-finite double serialized as Infinity / NaN) is
// refused at the store, whatever let it through above; nothing is written.
BOOST_AUTO_TEST_CASE(refuses_event_data_that_is_not_json) {
  for (const char* data : {R"({"n":Infinity})", R"({"n":-Infinity})", R"([NaN])"}) {
    store::events::event e{0, "usr_a", "", "message.sent", data, 0};
    const auto ec = db->write_sync([&](store::connection& c) { return store::events::append(c, e); });
    BOOST_TEST((ec == store::error::misuse), data);
  }
  BOOST_TEST(list({"usr_a", 0, {}, {}, 100}).empty());
  add("usr_a", "message.sent");  // the words inside strings are fine
  store::events::event quoted{
      0, "usr_a", "", "message.sent", R"({"s":"Infinity \" NaN","n":-1.5E3,"b":[true,false,null]})", 0};
  BOOST_TEST(!db->write_sync([&](store::connection& c) { return store::events::append(c, quoted); }));
  BOOST_TEST(list({"usr_a", 0, {}, {}, 100}).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// The live feed's single publish point (the store's change stream): only the events of
// writes that committed are handed on, after COMMIT, and a write that rolled back to its
// savepoint publishes nothing, even in the same group as writes that committed.
BOOST_AUTO_TEST_SUITE(store_events_publish)

BOOST_FIXTURE_TEST_CASE(only_committed_writes_publish_their_events, events_fixture) {
  std::mutex mu;
  std::vector<store::events::event> seen;
  db->changes().subscribe([&](const store::change_set& committed) {
    std::lock_guard lk(mu);
    for (const auto& e : committed.events) seen.push_back(e);
  });
  // Many writes queued at once land in a few groups; every third fails after appending.
  std::atomic<int> done{0};
  std::vector<std::int64_t> failed_ids;
  std::mutex fmu;
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) {
    auto fn = [i, &failed_ids, &fmu](store::connection& c) -> core::error_code {
      store::events::event e{0, "usr_a", "", i % 3 == 0 ? "test.fails" : "test.ok", "{\"i\":" + std::to_string(i) + "}",
                             0};
      if (auto ec = store::events::append(c, e)) return ec;
      if (i % 3 == 0) {
        std::lock_guard lk(fmu);
        failed_ids.push_back(e.id);
        return make_error_code(store::error::constraint);
      }
      return {};
    };
    db->submit_write(fn, ioc.get_executor(), [&](core::error_code) { ++done; });
  }
  run_until([&] { return done.load() == n; });
  // A read after the last completion: its group has committed and published.
  std::lock_guard lk(mu);
  BOOST_TEST(seen.size() == static_cast<std::size_t>(n - (n + 2) / 3));
  for (const auto& e : seen) BOOST_TEST(e.type == "test.ok");
  for (std::size_t i = 1; i < seen.size(); ++i) BOOST_TEST(seen[i - 1].id < seen[i].id);
  // What was published is exactly what the database holds.
  auto stored = list({"usr_a", 0, {}, {}, 1000});
  BOOST_REQUIRE_EQUAL(stored.size(), seen.size());
  for (std::size_t i = 0; i < seen.size(); ++i) BOOST_TEST(stored[i].id == seen[i].id);
  BOOST_TEST(!failed_ids.empty());
  // The writer may still be inside its last post to `ioc` (the completion ran, the post has
  // not returned): stop it before `ioc` is destroyed. ThreadSanitizer caught the race.
  db->stop();
}

BOOST_AUTO_TEST_SUITE_END()
