// store::pg::writer, enfinito::store::pg::events and enfinito::store::pg::listener against a real PostgreSQL 15: group commit
// with `done` and the change stream only after COMMIT, a failing member split off, event ids
// committing in id order under two concurrent writers, and node B's listener publishing node
// A's events exactly once, in order, across a reconnect (pg_terminate_backend); the NOTIFY
// payload's shape (ids only, `reload` past the cap).
#include "support/pg_cluster.hpp"
#include "support/wait.hpp"

#include <enfinito/store/pg/events.hpp>
#include <enfinito/store/pg/listener.hpp>
#include <enfinito/store/pg/migrate.hpp>
#include <enfinito/store/pg/notice.hpp>
#include <enfinito/store/pg/pool.hpp>
#include <enfinito/store/pg/writer.hpp>

#include <boost/asio/system_executor.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace enfinito;
using namespace std::chrono_literals;

namespace {

// One database with the schema and a user; `reader` is a pool standing for any other session.
struct database {
  database() {
    conninfo = test::pg_cluster::shared().create_database();
    std::string why;
    auto p = enfinito::store::pg::pool::open({.connect = {.conninfo = conninfo}, .size = 2}, &why);
    BOOST_REQUIRE_MESSAGE(p, why);
    reader = std::move(*p);
    BOOST_REQUIRE(!reader->run_sync([](enfinito::store::pg::connection& c) -> core::error_code {
      std::string migrate_why;
      if (auto ec = enfinito::store::pg::migrate(c, enfinito::store::pg::embedded_schema(), &migrate_why)) return ec;
      return c.exec(
          "INSERT INTO users (id, email, name, status, created_at, updated_at)"
          " VALUES ('usr_a', 'a@x', 'A', 'active', 0, 0)");
    }));
  }

  // A node's writer or listener (`Part`) on this database, with short reconnect backoffs.
  template <class Part, class Options>
  std::unique_ptr<Part> open_part(Options o, store::change_stream& changes, const std::string& node,
                                  std::shared_ptr<enfinito::store::pg::local_events> local) {
    o.local = std::move(local);
    o.connect.conninfo = conninfo;
    o.node_id = node;
    o.backoff_min = 20ms;
    o.backoff_max = 200ms;
    std::string why;
    auto p = Part::open(std::move(o), changes, &why);
    BOOST_REQUIRE_MESSAGE(p, why);
    return std::move(*p);
  }
  std::unique_ptr<enfinito::store::pg::writer> open_writer(
      store::change_stream& changes, const std::string& node,
      std::shared_ptr<enfinito::store::pg::local_events> local = nullptr) {
    return open_part<enfinito::store::pg::writer>(enfinito::store::pg::writer_options{}, changes, node,
                                                  std::move(local));
  }
  std::unique_ptr<enfinito::store::pg::listener> open_listener(
      store::change_stream& changes, const std::string& node,
      std::shared_ptr<enfinito::store::pg::local_events> local) {
    enfinito::store::pg::listener_options o;
    o.poll_interval = 50ms;
    o.read_batch = 7;  // small, so a resync reads its range in several statements
    return open_part<enfinito::store::pg::listener>(std::move(o), changes, node, std::move(local));
  }

  // -1 when the query failed. Called from the writer's thread and from completions too: so on
  // a connection of its own, not through the pool (whose run_sync would wait on the same
  // system executor the completions run on), and without assertions (callers assert).
  std::int64_t count(const std::string& sql) {
    std::lock_guard lk(direct_mu);
    if (!direct) {
      auto c = enfinito::store::pg::connection::open({.conninfo = conninfo});
      if (!c) return -1;
      direct = std::move(*c);
    }
    auto r = direct->scalar_int(sql);
    return r ? *r : -1;
  }

  std::string conninfo;
  std::unique_ptr<enfinito::store::pg::pool> reader;
  std::mutex direct_mu;
  std::unique_ptr<enfinito::store::pg::connection> direct;
};

// Two nodes' writers on one database; B's shares `local_b` with B's listener, when a test opens one.
struct two_nodes : database {
  two_nodes() : a(open_writer(changes_a, "node-a")), b(open_writer(changes_b, "node-b", local_b)) {}
  store::change_stream changes_a, changes_b;
  std::shared_ptr<enfinito::store::pg::local_events> local_b = std::make_shared<enfinito::store::pg::local_events>();
  std::unique_ptr<enfinito::store::pg::writer> a, b;
};

enfinito::store::pg::work_fn append(std::string type) {
  return [type = std::move(type)](enfinito::store::pg::connection& c) -> core::error_code {
    store::events::event e{0, "usr_a", "", type, "{}", 0};
    return enfinito::store::pg::events::append(c, e);
  };
}

// Every change set a stream published, in order (subscribers run on the publishing thread).
struct recorder {
  explicit recorder(store::change_stream& s) {
    s.subscribe([this](const store::change_set& cs) {
      std::lock_guard lk(mu);
      sets.push_back(cs);
      for (auto& e : cs.events) ids.push_back(e.id);
    });
  }
  std::vector<std::int64_t> event_ids() {
    std::lock_guard lk(mu);
    return ids;
  }
  std::vector<store::change_set> all() {
    std::lock_guard lk(mu);
    return sets;
  }
  std::mutex mu;
  std::vector<store::change_set> sets;
  std::vector<std::int64_t> ids;
};

bool strictly_ascending(const std::vector<std::int64_t>& v) {
  return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end();
}

// Appends n events through `w`, one write (and group) each, marking a change, and holding each
// transaction `hold` after its append; the ids go to `ids`. Returns how many writes failed.
int append_each(enfinito::store::pg::writer& w, int n, std::vector<std::int64_t>& ids,
                std::chrono::microseconds hold = 0us) {
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    std::int64_t id = 0;
    auto ec = w.write_sync([&id, hold](enfinito::store::pg::connection& c) -> core::error_code {
      store::events::event e{0, "usr_a", "", "x", "{}", 0};
      if (auto rc = enfinito::store::pg::events::append(c, e)) return rc;
      enfinito::store::pg::mark(c, store::change::hook_endpoints);
      std::this_thread::sleep_for(hold);  // the id is taken; the COMMIT comes later
      id = e.id;
      return {};
    });
    if (ec)
      ++failed;
    else
      ids.push_back(id);
  }
  return failed;
}

// Holds the writer with a first write (an event "held") until release(): what is submitted
// meanwhile queues, and commits as one group.
struct held_writer {
  explicit held_writer(enfinito::store::pg::writer& w) : w(w) {
    submit([released = released](enfinito::store::pg::connection& c) {
      released.wait();
      return append("held")(c);
    });
    std::this_thread::sleep_for(50ms);
  }
  // `also` runs in the completion, before the result is handed over.
  void submit(enfinito::store::pg::work_fn fn, std::function<void(core::error_code)> also = {}) {
    auto p = std::make_shared<std::promise<core::error_code>>();
    results.push_back(p->get_future());
    w.submit(std::move(fn), net::system_executor(), [p, also = std::move(also)](core::error_code ec) {
      if (also) also(ec);
      p->set_value(ec);
    });
  }
  ~held_writer() {
    if (!released_once) gate.set_value();  // a failed assertion must not leave the writer stuck
  }
  // Lets the writer go; every result, the held write's first.
  std::vector<core::error_code> release() {
    released_once = true;
    gate.set_value();
    std::vector<core::error_code> out;
    for (auto& f : results) out.push_back(f.get());
    return out;
  }
  enfinito::store::pg::writer& w;
  std::promise<void> gate;
  std::shared_future<void> released = gate.get_future().share();
  bool released_once = false;
  std::vector<std::future<core::error_code>> results;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_notice)

BOOST_AUTO_TEST_CASE(carries_ids_and_kinds_never_content) {
  store::change_set cs;
  cs.changed = store::change::instances | store::change::api_keys;
  cs.events.push_back({41, "usr_a", "ins_1", "message.accepted", R"({"text":"secret body"})", 5});
  cs.events.push_back({43, "usr_a", "ins_1", "message.sent", "{}", 6});
  cs.instances = {"ins_2", "ins_1", "ins_2"};
  auto payload = enfinito::store::pg::encode(enfinito::store::pg::describe("node-a", cs));
  BOOST_TEST(payload.find("secret") == std::string::npos);
  BOOST_TEST(payload.find("usr_a") == std::string::npos);
  auto n = enfinito::store::pg::decode(payload);
  BOOST_REQUIRE(n);
  BOOST_TEST(n->node == "node-a");
  BOOST_TEST(n->changed == cs.changed);
  BOOST_TEST(n->first_event == 41);
  BOOST_TEST(n->last_event == 43);
  BOOST_TEST((n->instances == std::vector<std::string>{"ins_1", "ins_2"}));
  BOOST_TEST(!n->reload);
  BOOST_TEST(!enfinito::store::pg::decode("not json"));
  BOOST_TEST(!enfinito::store::pg::decode(R"({"node":"x"})"));
}

BOOST_AUTO_TEST_CASE(a_long_instance_list_becomes_reload) {
  store::change_set cs;
  cs.changed = static_cast<store::change_mask>(store::change::instances);
  for (int i = 0; i < 1000; ++i) cs.instances.push_back("ins_" + std::to_string(100000 + i));
  cs.events.push_back({7, "usr_a", "", "instance.status", "{}", 1});
  auto payload = enfinito::store::pg::encode(enfinito::store::pg::describe("node-a", cs));
  BOOST_TEST(payload.size() <= enfinito::store::pg::notice_max_bytes);
  auto n = enfinito::store::pg::decode(payload);
  BOOST_REQUIRE(n);
  BOOST_TEST(n->reload);
  BOOST_TEST(n->instances.empty());
  BOOST_TEST(n->last_event == 7);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pg_writer)

BOOST_AUTO_TEST_CASE(groups_commit_before_done_and_publish) {
  database db;
  store::change_stream changes;
  std::atomic<int> published_uncommitted{0};
  // The subscriber runs after COMMIT: another session already sees every event it is told of.
  changes.subscribe([&](const store::change_set& cs) {
    for (auto& e : cs.events)
      if (db.count("SELECT COUNT(*) FROM events WHERE id = " + std::to_string(e.id)) != 1) ++published_uncommitted;
  });
  recorder rec(changes);
  auto w = db.open_writer(changes, "node-a");

  held_writer held(*w);
  std::atomic<int> done_before_visible{0};
  for (int i = 0; i < 20; ++i) {
    held.submit(
        [i](enfinito::store::pg::connection& c) -> core::error_code {
          enfinito::store::pg::mark(c, store::change::api_keys);
          return append("e" + std::to_string(i))(c);
        },
        [&, i](core::error_code) {
          if (db.count("SELECT COUNT(*) FROM events WHERE type = 'e" + std::to_string(i) + "'") != 1)
            ++done_before_visible;
        });
  }
  BOOST_TEST(w->stats().groups.load() == 0u);  // the first group is still open
  for (auto ec : held.release()) BOOST_TEST(!ec);
  BOOST_TEST(done_before_visible.load() == 0);
  BOOST_TEST(published_uncommitted.load() == 0);
  BOOST_TEST(w->stats().groups.load() == 2u);
  BOOST_TEST(w->stats().max_group.load() == 20u);
  auto ids = rec.event_ids();
  BOOST_TEST(ids.size() == 21u);
  BOOST_TEST(strictly_ascending(ids));
  auto sets = rec.all();
  BOOST_REQUIRE(sets.size() == 2u);
  BOOST_TEST(sets[1].has(store::change::api_keys));
  BOOST_TEST(sets[1].events.size() == 20u);
  BOOST_TEST(db.count("SELECT COUNT(*) FROM events") == 21);
}

BOOST_AUTO_TEST_CASE(a_failing_member_fails_alone) {
  database db;
  store::change_stream changes;
  recorder rec(changes);
  auto w = db.open_writer(changes, "node-a");
  held_writer held(*w);
  held.submit(append("before"));
  // Appends an event and marks a change, then breaks a constraint: none of it may survive.
  held.submit([](enfinito::store::pg::connection& c) -> core::error_code {
    enfinito::store::pg::mark(c, store::change::sessions);
    if (auto ec = append("doomed")(c)) return ec;
    auto r = c.query(
        "INSERT INTO users (id, email, name, status, created_at, updated_at)"
        " VALUES ('usr_a', 'dup@x', 'D', 'active', 0, 0)");
    return r ? core::error_code{} : r.error();
  });
  // A statement fails but the work claims success: must not be acknowledged either.
  held.submit([](enfinito::store::pg::connection& c) -> core::error_code {
    (void)c.query("SELECT no_such_column FROM events");
    return {};
  });
  held.submit(append("after"));
  auto ecs = held.release();
  BOOST_TEST(!ecs[0]);
  BOOST_TEST(!ecs[1]);
  BOOST_TEST(ecs[2] == make_error_code(enfinito::store::pg::error::constraint));
  BOOST_TEST(ecs[3] == make_error_code(enfinito::store::pg::error::failed));
  BOOST_TEST(!ecs[4]);
  BOOST_TEST(w->stats().split_groups.load() == 1u);
  BOOST_TEST(db.count("SELECT COUNT(*) FROM events WHERE type = 'doomed'") == 0);
  BOOST_TEST(db.count("SELECT COUNT(*) FROM events WHERE type IN ('held', 'before', 'after')") == 3);
  for (auto& cs : rec.all()) {
    BOOST_TEST(!cs.has(store::change::sessions));
    for (auto& e : cs.events) BOOST_TEST(e.type != "doomed");
  }
  auto ids = rec.event_ids();
  BOOST_TEST(ids.size() == 3u);
  BOOST_TEST(strictly_ascending(ids));
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_never_acknowledged_and_reconnects) {
  database db;
  store::change_stream changes;
  recorder rec(changes);
  auto w = db.open_writer(changes, "node-a");
  BOOST_REQUIRE(!w->write_sync(append("one")));
  // The writer's own session is killed in the middle of a write.
  auto ec = w->write_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
    if (auto e = append("lost")(c)) return e;
    auto pid = c.scalar_int("SELECT pg_backend_pid()");
    if (!pid) return pid.error();
    db.count("SELECT COUNT(*) FROM (SELECT pg_terminate_backend(" + std::to_string(*pid) + ")) t");
    std::this_thread::sleep_for(100ms);
    auto r = c.query("SELECT 1");
    return r ? core::error_code{} : r.error();
  });
  BOOST_TEST(ec == make_error_code(enfinito::store::pg::error::unavailable));
  BOOST_TEST(db.count("SELECT COUNT(*) FROM events WHERE type = 'lost'") == 0);
  BOOST_TEST(test::wait_until([&] { return !w->write_sync(append("two")); }, 10s));
  auto ids = rec.event_ids();
  BOOST_TEST(ids.size() == 2u);
  BOOST_TEST(db.count("SELECT COUNT(*) FROM events") == 2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pg_event_order)

// Two nodes append concurrently, each holding its transaction open a while after the append
// (as a group with more work would). A reader paging "events after N" never passes an id
// that commits later: what it collected is every event, in order.
BOOST_FIXTURE_TEST_CASE(ids_commit_in_id_order_across_writers, two_nodes) {
  constexpr int per_node = 60;
  std::atomic<bool> writing{true};
  std::vector<std::int64_t> seen;
  std::thread pager([&] {
    std::int64_t after = 0;
    auto poll = [&] {
      (void)reader->run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
        std::vector<store::events::event> out;
        if (auto ec = enfinito::store::pg::events::range(c, after, INT64_MAX, 1000, out)) return ec;
        for (auto& e : out) seen.push_back(e.id);
        if (!out.empty()) after = out.back().id;
        return {};
      });
    };
    while (writing) poll();
    poll();
  });
  std::atomic<int> failed{0};
  std::vector<std::int64_t> ids_a, ids_b;
  std::thread ta([&] { failed += append_each(*a, per_node, ids_a, 3000us); });
  std::thread tb([&] { failed += append_each(*b, per_node, ids_b, 1000us); });
  ta.join();
  tb.join();
  writing = false;
  pager.join();
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST(seen.size() == 2u * per_node);
  BOOST_TEST(strictly_ascending(seen));
  BOOST_TEST(count("SELECT COUNT(*) FROM events") == 2 * per_node);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pg_listener)

// Node A writes; node B's listener publishes A's events on B's stream once each, in id
// order, and B's own writes are not published twice; then B's listening session is
// terminated while A goes on writing: after the reconnect B publishes a resync holding what it
// missed, and carries on.
BOOST_FIXTURE_TEST_CASE(other_nodes_events_once_in_order_across_a_reconnect, two_nodes) {
  recorder on_b(changes_b);
  auto listener = open_listener(changes_b, "node-b", local_b);

  std::vector<std::int64_t> from_a, from_b;
  auto write = [](enfinito::store::pg::writer& w, int n, std::vector<std::int64_t>& ids) {
    BOOST_REQUIRE(append_each(w, n, ids) == 0);
  };
  write(*a, 10, from_a);
  write(*b, 3, from_b);
  write(*a, 10, from_a);
  auto published_on_b = [&] {
    auto ids = on_b.event_ids();
    return std::set<std::int64_t>(ids.begin(), ids.end());
  };
  auto all_seen = [&] {
    auto s = published_on_b();
    for (auto id : from_a)
      if (!s.contains(id)) return false;
    return true;
  };
  BOOST_REQUIRE(test::wait_until(all_seen, 10s));
  BOOST_TEST(listener->stats().notices.load() == 20u);
  // A's marks travel too.
  bool heard_marks = false;
  for (auto& cs : on_b.all()) heard_marks |= cs.has(store::change::hook_endpoints) && !cs.events.empty();
  BOOST_TEST(heard_marks);

  const int pid = listener->backend_pid();
  BOOST_REQUIRE(pid != 0);
  BOOST_TEST(count("SELECT COUNT(*) FROM (SELECT pg_terminate_backend(" + std::to_string(pid) + ")) t") == 1);
  write(*a, 25, from_a);  // while B's listener is away, or reconnecting
  BOOST_REQUIRE(test::wait_until([&] { return listener->stats().resyncs.load() >= 1u; }, 10s));
  write(*a, 5, from_a);
  write(*b, 2, from_b);
  BOOST_REQUIRE(test::wait_until(all_seen, 10s));
  std::this_thread::sleep_for(200ms);  // anything published twice would show by now

  auto ids = on_b.event_ids();
  std::vector<std::int64_t> expected = from_a;
  expected.insert(expected.end(), from_b.begin(), from_b.end());
  std::sort(expected.begin(), expected.end());
  auto got = ids;
  std::sort(got.begin(), got.end());
  BOOST_TEST(got == expected, boost::test_tools::per_element());  // each exactly once
  // A's events arrive on B in id order.
  std::vector<std::int64_t> a_order;
  std::set<std::int64_t> a_ids(from_a.begin(), from_a.end());
  for (auto id : ids)
    if (a_ids.contains(id)) a_order.push_back(id);
  BOOST_TEST(strictly_ascending(a_order));
  bool resync = false;
  const store::change_mask every = (1u << store::change_kinds) - 1;
  for (auto& cs : on_b.all()) resync |= cs.changed == every;
  BOOST_TEST(resync);
  BOOST_TEST(listener->backend_pid() != pid);
}

BOOST_AUTO_TEST_SUITE_END()
