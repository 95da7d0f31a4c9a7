// store: migrations, the group-commit writer (completions, isolation of failures, failed
// commits, the change stream), readers, the process lock and online backup.
#include "support/io_context_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

#include <filesystem>
#include <optional>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/change_cache.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace enfinito;

namespace {

struct store_fixture : test::temp_store {
  store_fixture() : test::temp_store([](store::options& o) { o.read_connections = 2; }) {
    BOOST_REQUIRE(!db->write_sync(
        [](store::connection& c) { return c.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)"); }));
  }
  // Holds the writer on a first write until every fn is queued, so that they all land in one
  // group commit; returns each fn's completion code.
  std::vector<core::error_code> commit_as_one_group(std::vector<store::work_fn> fns) {
    std::promise<void> release, entered;
    auto gate = release.get_future().share();
    net::io_context ctx(1);
    auto guard = net::make_work_guard(ctx);
    db->submit_write(
        [gate, &entered](store::connection&) {
          entered.set_value();
          gate.wait();
          return core::error_code{};
        },
        ctx.get_executor(), [](core::error_code) {});
    // The writer must be inside the gate's group before the others are queued: otherwise the
    // first of them can join the gate's group (ThreadSanitizer's slowness made that happen).
    entered.get_future().wait();
    std::vector<core::error_code> results(fns.size());
    std::size_t done = 0;
    for (std::size_t i = 0; i < fns.size(); ++i)
      db->submit_write(std::move(fns[i]), ctx.get_executor(), [&, i](core::error_code ec) {
        results[i] = ec;
        if (++done == results.size()) ctx.stop();
      });
    release.set_value();
    ctx.run();
    // Let the writer finish the group (and return from the post that woke `ctx`) before
    // `ctx` is destroyed: one more write, waited for on another executor.
    db->write_sync([](store::connection&) { return core::error_code{}; });
    return results;
  }
  std::int64_t count(std::string_view sql = "SELECT COUNT(*) FROM t") { return test::db_scalar(*db, std::string(sql)); }
};

store::work_fn insert(std::string v) {
  return [v = std::move(v)](store::connection& c) {
    core::error_code ec;
    auto* st = c.prepare("INSERT INTO t(v) VALUES(?1)", ec);
    if (ec) return ec;
    return st->bind(1, v).run();
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_migrations)

BOOST_AUTO_TEST_CASE(splits_blocks_in_order) {
  auto m = store::migrations("-- header\n-- migration: 1\nCREATE TABLE a(x);\n-- migration: 2\nCREATE TABLE b(y);\n");
  BOOST_REQUIRE(m.size() == 2u);
  BOOST_TEST(m[0].first == 1);
  BOOST_TEST(m[0].second.find("CREATE TABLE a") != std::string::npos);
  BOOST_TEST(m[0].second.find("CREATE TABLE b") == std::string::npos);
  BOOST_TEST(m[1].first == 2);
}

BOOST_AUTO_TEST_CASE(applies_pending_blocks_once) {
  test::temp_dir dir;
  auto c = store::connection::open((dir / "m.db").string(), false);
  BOOST_REQUIRE(c);
  std::string v1 = "-- migration: 1\nCREATE TABLE a(x);\n";
  std::string v2 = v1 + "-- migration: 2\nCREATE TABLE b(y);\n";
  BOOST_TEST(!store::migrate(**c, v1, nullptr));
  BOOST_TEST(*(*c)->scalar_int("PRAGMA user_version") == 1);
  BOOST_TEST(!store::migrate(**c, v2, nullptr));  // only block 2 runs (block 1 would fail: exists)
  BOOST_TEST(*(*c)->scalar_int("PRAGMA user_version") == 2);
  BOOST_TEST(!store::migrate(**c, v2, nullptr));  // idempotent
}

BOOST_AUTO_TEST_CASE(failed_block_rolls_back_and_reports) {
  test::temp_dir dir;
  auto c = store::connection::open((dir / "m.db").string(), false);
  std::string why;
  auto ec = store::migrate(**c, "-- migration: 1\nCREATE TABLE a(x);\nCREATE TABLE a(x);\n", &why);
  BOOST_TEST(ec.failed());
  BOOST_TEST(why.find("migration 1") != std::string::npos);
  BOOST_TEST(*(*c)->scalar_int("PRAGMA user_version") == 0);
  BOOST_TEST(*(*c)->scalar_int("SELECT COUNT(*) FROM sqlite_master WHERE name='a'") == 0);
}

BOOST_AUTO_TEST_CASE(refuses_a_newer_database) {
  test::temp_dir dir;
  auto c = store::connection::open((dir / "m.db").string(), false);
  (*c)->exec("PRAGMA user_version = 99");
  std::string why;
  BOOST_TEST(store::migrate(**c, "-- migration: 1\nCREATE TABLE a(x);\n", &why) ==
             store::make_error_code(store::error::schema_too_new));
  BOOST_TEST(why.find("newer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(embedded_schema_applies_to_a_fresh_database) {
  test::temp_dir dir;
  std::string why;
  auto db = store::store::open({.path = (dir / "e.db").string(),
                                .read_connections = 1,
                                .commit_batch_max = 64,
                                .busy_timeout = std::chrono::milliseconds(1000)},
                               &why);
  BOOST_REQUIRE_MESSAGE(db, why);
  auto blocks = store::migrations(store::embedded_schema());
  BOOST_REQUIRE(!blocks.empty());
  BOOST_TEST((*db)->schema_version() == blocks.back().first);
  std::string mode, fk, secure;
  (*db)->write_sync([&](store::connection& c) {
    mode = *c.scalar_text("PRAGMA journal_mode");
    fk = std::to_string(*c.scalar_int("PRAGMA foreign_keys"));
    secure = std::to_string(*c.scalar_int("PRAGMA secure_delete"));
    return core::error_code{};
  });
  BOOST_TEST(mode == "wal");
  BOOST_TEST(fk == "1");
  BOOST_TEST(secure == "1");
}

// Migration 11: messages.status keeps its rule, and writing status builds no temporary b-tree
// (an IN list of three or more values did, on every insert and every status update).
BOOST_AUTO_TEST_CASE(message_status_is_checked_without_a_temporary_btree) {
  test::temp_dir dir;
  std::string why;
  auto db = store::store::open({.path = (dir / "s.db").string(),
                                .read_connections = 1,
                                .commit_batch_max = 64,
                                .busy_timeout = std::chrono::milliseconds(1000)},
                               &why);
  BOOST_REQUIRE_MESSAGE(db, why);
  auto ephemeral_opens = [&](const std::string& sql) {
    int n = -1;
    (*db)->write_sync([&](store::connection& c) {
      core::error_code ec;
      auto* st = c.prepare("EXPLAIN " + sql, ec);
      if (!st) return ec;
      n = 0;
      while (st->step(ec))
        if (st->text(1) == "OpenEphemeral") ++n;
      st->reset();
      return ec;
    });
    return n;
  };
  BOOST_TEST(ephemeral_opens("UPDATE messages SET status = 'sent', updated_at = 1 WHERE seq = 1") == 0);
  BOOST_TEST(ephemeral_opens(
                 "INSERT INTO messages (id, instance_id, direction, peer, type, body, status, "
                 "created_at, updated_at) VALUES ('m', 'i', 'outbound', 'p', 'text', '{}', 'accepted', 1, 1)") == 0);
  // The rule itself still holds (SQLite checks it before the instance's foreign key).
  std::string outcome;
  auto ec = (*db)->write_sync([&](store::connection& c) {
    auto e = c.exec(
        "INSERT INTO messages (id, instance_id, direction, peer, type, body, status, created_at, "
        "updated_at) VALUES ('m1', 'i', 'outbound', 'p', 'text', '{}', 'bogus', 1, 1)");
    outcome = c.last_message();
    return e;
  });
  BOOST_TEST(static_cast<bool>(ec));
  BOOST_TEST(outcome.find("CHECK constraint failed") != std::string::npos, outcome);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_group_commit)

BOOST_FIXTURE_TEST_CASE(many_concurrent_writers_each_completed_once, store_fixture) {
  constexpr int threads = 64, per_thread = 50;
  net::io_context ctx(1);
  auto guard = net::make_work_guard(ctx);
  std::atomic<int> completions{0}, failures{0};
  std::vector<std::atomic<int>> seen(threads * per_thread);
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        int id = t * per_thread + i;
        db->submit_write(insert("v" + std::to_string(id)), ctx.get_executor(), [&, id](core::error_code ec) {
          seen[id].fetch_add(1);
          if (ec) failures++;
          if (++completions == threads * per_thread) ctx.stop();
        });
      }
    });
  }
  std::thread runner([&] { ctx.run(); });
  for (auto& w : writers) w.join();
  runner.join();
  BOOST_TEST(completions.load() == threads * per_thread);
  BOOST_TEST(failures.load() == 0);
  for (auto& s : seen) BOOST_TEST(s.load() == 1);
  BOOST_TEST(count() == threads * per_thread);
  // Group commit happened: fewer transactions than writes.
  BOOST_TEST(db->stats().batches.load() < db->stats().writes.load());
  // The writer may still be returning from the post that woke `ctx`: stop it before `ctx`
  // goes (ThreadSanitizer).
  db->stop();
}

BOOST_FIXTURE_TEST_CASE(a_failing_write_fails_alone, store_fixture) {
  // The second "a" violates UNIQUE.
  auto results = commit_as_one_group({insert("a"), insert("b"), insert("a"), insert("c"), insert("d")});
  BOOST_TEST(!results[0]);
  BOOST_TEST(!results[1]);
  BOOST_TEST(results[2] == store::make_error_code(store::error::constraint));
  BOOST_TEST(!results[3]);
  BOOST_TEST(!results[4]);
  BOOST_TEST(count() == 4);
}

BOOST_FIXTURE_TEST_CASE(a_failed_commit_is_reported_to_every_writer, store_fixture) {
  // A deferred foreign key is checked at COMMIT: one bad row makes the whole group's COMMIT
  // fail, and every writer of that group must hear about it.
  BOOST_REQUIRE(!db->write_sync([](store::connection& c) {
    return c.exec(
        "CREATE TABLE p(id INTEGER PRIMARY KEY);"
        "CREATE TABLE ch(id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)");
  }));
  auto results =
      commit_as_one_group({insert("x0"), insert("x1"),
                           [](store::connection& c) { return c.exec("INSERT INTO ch(p) VALUES(999)"); }, insert("x3")});
  BOOST_REQUIRE(results.size() == 4u);
  for (auto& r : results) BOOST_TEST(r == store::make_error_code(store::error::constraint));
  BOOST_TEST(count() == 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM ch") == 0);
  BOOST_TEST(db->stats().failed_commits.load() == 1u);
  // The writer recovers: the next write commits.
  BOOST_TEST(!db->write_sync(insert("after")));
  BOOST_TEST(count() == 1);
}

BOOST_FIXTURE_TEST_CASE(a_group_sqlite_rolled_back_itself_fails_every_writer_with_that_error, store_fixture) {
  // After SQLITE_FULL or an I/O error SQLite may roll back the whole transaction on its own
  // (the disk-full harness, chaos_disk_full). Here a write does it explicitly: the writes
  // before it are gone too, so none may be acknowledged, and all hear the real cause (a 503
  // for a full disk), not the failed RELEASE of a savepoint that no longer exists.
  const auto full = store::make_error_code(store::error::full);
  auto results = commit_as_one_group({insert("y0"), insert("y1"),
                                      [full](store::connection& c) {
                                        c.exec("ROLLBACK");
                                        return full;
                                      },
                                      insert("y3")});
  BOOST_REQUIRE(results.size() == 4u);
  for (auto& r : results) BOOST_TEST(r == full, r.message());
  BOOST_TEST(count() == 0);
  // Not poisoned: the next write commits.
  BOOST_TEST(!db->write_sync(insert("after")));
  BOOST_TEST(count() == 1);
}

struct store_io_fixture : store_fixture, test::io_context_fixture {};

BOOST_FIXTURE_TEST_CASE(completions_run_on_the_callers_executor, store_io_fixture) {
  std::optional<std::thread::id> where;
  db->submit_write(insert("z"), ioc.get_executor(), [&](core::error_code) { where = std::this_thread::get_id(); });
  run_until([&] { return where.has_value(); });  // the completion ran here
  BOOST_TEST((*where == std::this_thread::get_id()));
  db->stop();  // the writer returns from its post before `ioc` goes (ThreadSanitizer)
}

BOOST_FIXTURE_TEST_CASE(readers_cannot_write, store_fixture) {
  auto ec = db->read_sync([](store::connection& c) { return c.exec("INSERT INTO t(v) VALUES('r')"); });
  BOOST_TEST(ec.failed());
  BOOST_TEST(count() == 0);
}

BOOST_FIXTURE_TEST_CASE(stopped_store_refuses_new_work, store_fixture) {
  db->stop();
  BOOST_TEST(db->write_sync(insert("late")) == store::make_error_code(store::error::stopped));
}

BOOST_FIXTURE_TEST_CASE(a_second_store_on_the_same_file_is_refused, store_fixture) {
  std::string why;
  auto second = store::store::open(
      {.path = path(), .read_connections = 1, .commit_batch_max = 64, .busy_timeout = std::chrono::milliseconds(100)},
      &why);
  BOOST_TEST(!second);
  BOOST_TEST(second.error() == store::make_error_code(store::error::locked_by_other_process));
  BOOST_TEST(why.find("in use by another enfinitod") != std::string::npos);
}

// The writer checkpoints between groups once the WAL passes 1,000 pages (it replaced SQLite's
// auto-checkpoint): ~12 MB written in 400 groups leave a WAL of about the threshold, not of
// everything written, and each checkpoint is counted and timed.
BOOST_FIXTURE_TEST_CASE(the_writer_checkpoints_and_the_wal_stays_bounded, store_fixture) {
  for (int i = 0; i < 400; ++i)
    BOOST_REQUIRE(!db->write_sync([i](store::connection& c) {
      return c.exec("INSERT INTO t(v) VALUES ('" + std::to_string(i) + "' || hex(randomblob(16000)))");
    }));
  const auto wal = std::filesystem::file_size(path() + "-wal");
  BOOST_TEST(wal < 6u * 1024 * 1024, wal);  // 1,000 pages of 4 KiB and one group past them
  const auto& st = db->stats();
  BOOST_TEST(st.checkpoints.load() >= 2u);
  std::uint64_t timed = 0;
  for (const auto& b : st.checkpoint_buckets) timed += b.load();
  BOOST_TEST(timed == st.checkpoints.load());
}

// The writer gathers a commit's WAL frames and writes them at the sync (store/wal_vfs.cpp), in
// pieces the default VFS accepts (it writes at most 128 KiB per call). A 2 MB commit must reach
// the WAL whole: seen by a reader, by a connection of another VFS, and after reopening.
BOOST_FIXTURE_TEST_CASE(a_commit_of_megabytes_reaches_the_wal_whole, store_fixture) {
  BOOST_REQUIRE(!db->write_sync([](store::connection& c) {
    return c.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 64) "
        "INSERT INTO t(v) SELECT i || hex(randomblob(16000)) FROM n");
  }));
  BOOST_REQUIRE(!db->write_sync(insert("after")));  // the next commit appends to the same WAL
  const std::string check = "SELECT COUNT(*) FROM t WHERE length(v) > 32000 OR v = 'after'";
  BOOST_TEST(count(check) == 65);
  auto other = store::connection::open(path(), true);
  BOOST_REQUIRE(other);
  BOOST_TEST(*(*other)->scalar_int(check) == 65);
  other->reset();
  db.reset();
  std::string why;
  auto again = store::store::open({.path = path(),
                                   .read_connections = 2,
                                   .commit_batch_max = 1024,
                                   .busy_timeout = std::chrono::milliseconds(5000)},
                                  &why);
  BOOST_REQUIRE_MESSAGE(again, why);
  db = std::move(*again);
  BOOST_TEST(count(check) == 65);
}

BOOST_FIXTURE_TEST_CASE(online_backup_copies_committed_rows, store_fixture) {
  BOOST_REQUIRE(!db->write_sync(insert("kept")));
  std::string why;
  auto dest = (dir / "backup.db").string();
  BOOST_REQUIRE_MESSAGE(!store::backup(db->path(), dest, &why), why);
  auto c = store::connection::open(dest, true);
  BOOST_REQUIRE(c);
  BOOST_TEST(*(*c)->scalar_int("SELECT COUNT(*) FROM t WHERE v='kept'") == 1);
  BOOST_TEST(store::backup(db->path(), dest, &why).failed());  // never overwrites
}

BOOST_AUTO_TEST_SUITE_END()

// The change stream (store/changes.hpp): once per committed group, after COMMIT and before any
// completion, what the group's surviving writes marked; nothing of a rolled-back write or a
// failed group.
BOOST_AUTO_TEST_SUITE(store_change_stream)

namespace {
struct published {
  std::mutex mu;
  std::vector<store::change_set> sets;
  void subscribe(store::store& db) {
    db.changes().subscribe([this](const store::change_set& cs) {
      std::lock_guard lk(mu);
      sets.push_back(cs);
    });
  }
  std::vector<store::change_set> seen() {
    std::lock_guard lk(mu);
    return sets;
  }
};

store::work_fn marking(store::change k, std::string v) {
  return [k, v](store::connection& c) {
    store::mark(c, k);
    return c.exec("INSERT INTO t(v) VALUES('" + v + "')");  // fails (UNIQUE) on a repeated v
  };
}
}  // namespace

BOOST_FIXTURE_TEST_CASE(a_group_publishes_once_what_its_committed_writes_marked, store_fixture) {
  published p;
  p.subscribe(*db);
  const auto& s = db->changes();
  const auto keys_before = s.generation(static_cast<store::change_mask>(store::change::api_keys));
  const auto media_before = s.generation(static_cast<store::change_mask>(store::change::media_jobs));
  auto results =
      commit_as_one_group({[](store::connection& c) {
                             store::mark(c, store::change::api_keys);
                             store::mark_instance(c, "ins_1");
                             return c.exec("INSERT INTO t(v) VALUES('c0')");
                           },
                           marking(store::change::media_jobs, "c0"),  // rolled back to its savepoint: publishes nothing
                           marking(store::change::hook_deliveries, "c2")});
  BOOST_TEST(!results[0]);
  BOOST_TEST(results[1] == store::make_error_code(store::error::constraint));
  BOOST_TEST(!results[2]);
  auto seen = p.seen();
  BOOST_REQUIRE_EQUAL(seen.size(), 1u);
  BOOST_TEST(seen[0].changed == (store::change::api_keys | store::change::instances | store::change::hook_deliveries));
  BOOST_TEST(!seen[0].has(store::change::media_jobs));
  BOOST_REQUIRE_EQUAL(seen[0].instances.size(), 1u);
  BOOST_TEST(seen[0].instances[0] == "ins_1");
  BOOST_TEST(s.generation(static_cast<store::change_mask>(store::change::api_keys)) == keys_before + 1);
  BOOST_TEST(s.generation(static_cast<store::change_mask>(store::change::media_jobs)) == media_before);
}

BOOST_FIXTURE_TEST_CASE(a_failed_commit_publishes_nothing, store_fixture) {
  BOOST_REQUIRE(!db->write_sync([](store::connection& c) {
    return c.exec(
        "CREATE TABLE p(id INTEGER PRIMARY KEY);"
        "CREATE TABLE ch(id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)");
  }));
  published p;
  p.subscribe(*db);
  const auto all = store::change::api_keys | store::change::users | store::change::media_jobs;
  const auto before = db->changes().generation(all);
  // A deferred foreign key fails the whole group at COMMIT, after every write succeeded.
  auto results = commit_as_one_group(
      {marking(store::change::api_keys, "f0"), marking(store::change::users, "f1"), [](store::connection& c) {
         store::mark(c, store::change::media_jobs);
         return c.exec("INSERT INTO ch(p) VALUES(999)");
       }});
  for (auto& r : results) BOOST_TEST(r == store::make_error_code(store::error::constraint));
  BOOST_TEST(p.seen().empty());
  BOOST_TEST(db->changes().generation(all) == before);
  // The next group publishes again.
  BOOST_TEST(!db->write_sync(marking(store::change::users, "f3")));
  BOOST_REQUIRE_EQUAL(p.seen().size(), 1u);
  BOOST_TEST(p.seen()[0].changed == static_cast<store::change_mask>(store::change::users));
}

BOOST_FIXTURE_TEST_CASE(the_generation_has_moved_when_the_write_is_acknowledged, store_fixture) {
  published p;
  p.subscribe(*db);  // a subscriber turns the marks on
  const auto topic = static_cast<store::change_mask>(store::change::api_keys);
  const auto before = db->changes().generation(topic);
  net::io_context ctx(1);
  auto guard = net::make_work_guard(ctx);
  std::uint64_t at_completion = 0;
  db->submit_write(marking(store::change::api_keys, "g0"), ctx.get_executor(), [&](core::error_code ec) {
    BOOST_TEST(!ec);
    at_completion = db->changes().generation(topic);
    guard.reset();
  });
  ctx.run();
  BOOST_TEST(at_completion == before + 1);
  db->stop();  // the writer returns from its post before `ctx` goes
}

BOOST_FIXTURE_TEST_CASE(revoking_a_key_is_a_miss_in_the_key_cache_on_every_reactor, store_fixture) {
  namespace acc = store::accounts;
  published p;
  p.subscribe(*db);
  acc::user u;
  u.id = "usr_k";
  u.email = "k@example.com";
  u.name = "K";
  u.status = "active";
  acc::api_key k;
  k.id = "key_k";
  k.user_id = u.id;
  k.name = "ci";
  k.prefix = "enf_live_abc";
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) {
    if (auto ec = acc::insert_user(c, u)) return ec;
    return acc::insert_api_key(c, k, "hash_k");
  }));
  store::change_cache<std::string> keys(3, db->changes(), store::change::api_keys | store::change::users);
  for (std::size_t r = 0; r < 3; ++r) keys.put(r, "hash_k", "key_k", keys.generation());
  // A timestamp touch is no change a cached key depends on.
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return acc::touch_api_key(c, k.id, 5); }));
  for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(keys.get(r, "hash_k") != nullptr);
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return acc::revoke_api_key(c, u.id, k.id); }));
  for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(keys.get(r, "hash_k") == nullptr);
  // So is suspending its user, without any hand-written invalidation.
  for (std::size_t r = 0; r < 3; ++r) keys.put(r, "hash_k", "key_k", keys.generation());
  BOOST_REQUIRE(!db->write_sync([&](store::connection& c) { return acc::set_user_status(c, u.id, "suspended"); }));
  for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(keys.get(r, "hash_k") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
