// store::pg::pool and connection against a real PostgreSQL 15 (support/pg_cluster): session
// settings, parameters, transactions, pipelining, bounds, statement timeout, and a server
// restart (503 while down, reconnect after); the pool's options from the settings.
#include "support/pg_cluster.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <enfinito/config/settings.hpp>
#include <enfinito/store/pg/pool.hpp>
#include <enfinito/store/pg/settings.hpp>

#include <boost/asio/system_executor.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>

using namespace enfinito;
using namespace std::chrono_literals;

namespace {

enfinito::store::pg::pool_options options_for(const std::string& conninfo, unsigned size = 2) {
  enfinito::store::pg::pool_options o;
  o.connect.conninfo = conninfo;
  o.size = size;
  o.backoff_min = 20ms;
  o.backoff_max = 200ms;
  return o;
}

std::unique_ptr<enfinito::store::pg::pool> open_pool(enfinito::store::pg::pool_options o) {
  std::string why;
  auto p = enfinito::store::pg::pool::open(std::move(o), &why);
  BOOST_REQUIRE_MESSAGE(p, why);
  return std::move(*p);
}

std::string text_of(enfinito::store::pg::pool& p, const std::string& sql) {
  std::string out;
  auto ec = p.run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
    auto r = c.query(sql);
    if (!r) return r.error();
    out = std::string(r->text(0, 0));
    return {};
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  return out;
}

std::int64_t int_of(enfinito::store::pg::pool& p, const std::string& sql) {
  std::int64_t v = -1;
  auto ec = p.run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
    auto r = c.scalar_int(sql);
    if (!r) return r.error();
    v = *r;
    return {};
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_pool)

BOOST_AUTO_TEST_CASE(every_session_commits_durably_and_has_a_statement_timeout) {
  auto o = options_for(test::pg_cluster::shared().create_database());
  o.connect.statement_timeout = 1234ms;
  auto p = open_pool(o);
  BOOST_TEST(text_of(*p, "SHOW synchronous_commit") == "on");
  BOOST_TEST(text_of(*p, "SHOW statement_timeout") == "1234ms");
  BOOST_TEST(text_of(*p, "SHOW TimeZone") == "UTC");
  BOOST_TEST(text_of(*p, "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()") == "enfinitod");
}

BOOST_AUTO_TEST_CASE(parameters_round_trip_as_text_bytes_and_null) {
  auto p = open_pool(options_for(test::pg_cluster::shared().create_database()));
  const std::string bytes("\x00\x01\xff\x7f'\\", 6);
  auto ec = p->run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
    if (auto e = c.exec("CREATE TABLE t (i BIGINT, s TEXT, b BYTEA, n TEXT)")) return e;
    for (int round = 0; round < 2; ++round) {  // the second run reuses the prepared statement
      auto ins =
          c.query("INSERT INTO t VALUES ($1, $2, $3, $4)",
                  enfinito::store::pg::params().add(std::int64_t{1} << 40).add("é'x").add_bytes(bytes).add_null());
      if (!ins) return ins.error();
      BOOST_TEST(ins->affected() == 1);
    }
    auto r = c.query("SELECT i, s, b, n FROM t WHERE i = $1", enfinito::store::pg::params().add(std::int64_t{1} << 40));
    if (!r) return r.error();
    BOOST_TEST(r->size() == 2);
    BOOST_TEST(r->int64(0, 0) == std::int64_t{1} << 40);
    BOOST_TEST(r->text(0, 1) == "é'x");
    BOOST_TEST(r->bytes(0, 2) == bytes);
    BOOST_TEST(r->is_null(0, 3));
    return {};
  });
  BOOST_TEST(!ec, ec.message());
}

BOOST_AUTO_TEST_CASE(a_transaction_commits_all_or_nothing) {
  auto p = open_pool(options_for(test::pg_cluster::shared().create_database()));
  BOOST_REQUIRE(!p->run_sync(
      [](enfinito::store::pg::connection& c) { return c.exec("CREATE TABLE t (id BIGINT PRIMARY KEY)"); }));
  auto insert = [](int id) {
    return [id](enfinito::store::pg::connection& c) -> core::error_code {
      auto r = c.query("INSERT INTO t VALUES ($1)", enfinito::store::pg::params().add(id));
      return r ? core::error_code{} : r.error();
    };
  };
  BOOST_TEST(!p->run_sync(enfinito::store::pg::transaction([&](enfinito::store::pg::connection& c) {
    if (auto e = insert(1)(c)) return e;
    return insert(2)(c);
  })));
  // The second insert collides: the first of the same transaction goes too.
  auto ec = p->run_sync(enfinito::store::pg::transaction([&](enfinito::store::pg::connection& c) {
    if (auto e = insert(3)(c)) return e;
    return insert(1)(c);
  }));
  BOOST_TEST((ec == enfinito::store::pg::error::constraint));
  BOOST_TEST(int_of(*p, "SELECT count(*) FROM t") == 2);
  // Work that forgets its transaction open is rolled back, never committed by the next one.
  BOOST_TEST(!p->run_sync([&](enfinito::store::pg::connection& c) {
    if (auto e = c.exec("BEGIN")) return e;
    return insert(9)(c);
  }));
  BOOST_TEST(int_of(*p, "SELECT count(*) FROM t WHERE id = 9") == 0);
}

BOOST_AUTO_TEST_CASE(a_pipeline_sends_a_whole_transaction_in_one_round_trip) {
  auto p = open_pool(options_for(test::pg_cluster::shared().create_database()));
  BOOST_REQUIRE(!p->run_sync(
      [](enfinito::store::pg::connection& c) { return c.exec("CREATE TABLE t (id BIGINT PRIMARY KEY)"); }));
  auto batch = [](std::vector<int> ids) {
    std::vector<enfinito::store::pg::connection::step> steps{{"BEGIN", {}}};
    for (int id : ids)
      steps.push_back({"INSERT INTO t VALUES ($1) RETURNING id", enfinito::store::pg::params().add(id)});
    steps.push_back({"COMMIT", {}});
    return steps;
  };
  std::size_t answers = 0;
  BOOST_TEST(!p->run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
    auto r = c.pipeline(batch({1, 2, 3}));
    if (!r) return r.error();
    answers = r->size();
    BOOST_TEST((*r)[2].int64(0, 0) == 2);
    return {};
  }));
  BOOST_TEST(answers == 5u);
  // A failing step aborts the rest up to the sync: nothing of that batch is committed, and the
  // connection is clean for the next request.
  auto ec = p->run_sync([&](enfinito::store::pg::connection& c) -> core::error_code {
    auto r = c.pipeline(batch({4, 1, 5}));
    return r ? core::error_code{} : r.error();
  });
  BOOST_TEST((ec == enfinito::store::pg::error::constraint));
  BOOST_TEST(int_of(*p, "SELECT count(*) FROM t") == 3);
}

BOOST_AUTO_TEST_CASE(a_statement_past_the_timeout_fails_as_timeout) {
  auto o = options_for(test::pg_cluster::shared().create_database(), 1);
  o.connect.statement_timeout = 100ms;
  auto p = open_pool(o);
  auto ec = p->run_sync([](enfinito::store::pg::connection& c) { return c.exec("SELECT pg_sleep(2)"); });
  BOOST_TEST((ec == enfinito::store::pg::error::timeout));
  BOOST_TEST(int_of(*p, "SELECT 7") == 7);  // the connection carries on
}

BOOST_AUTO_TEST_CASE(the_wait_queue_is_bounded) {
  auto o = options_for(test::pg_cluster::shared().create_database(), 1);
  o.max_waiting = 2;
  auto p = open_pool(o);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::vector<std::future<core::error_code>> results;
  std::atomic<int> started{0};
  // The one connection is held until released; two wait; the fourth is refused at once.
  for (int i = 0; i < 4; ++i) {
    auto done = std::make_shared<std::promise<core::error_code>>();
    results.push_back(done->get_future());
    p->submit(
        [&, gate](enfinito::store::pg::connection& c) {
          ++started;
          gate.wait();
          return c.exec("SELECT 1");
        },
        net::system_executor(), [done](core::error_code ec) { done->set_value(ec); });
    if (i == 0) BOOST_REQUIRE(test::wait_until([&] { return started == 1; }, 5s));
  }
  BOOST_TEST((results[3].get() == enfinito::store::pg::error::overloaded));
  BOOST_TEST(p->stats().rejected.load() == 1u);
  release.set_value();
  for (int i = 0; i < 3; ++i) BOOST_TEST(!results[i].get());
}

BOOST_AUTO_TEST_CASE(a_url_with_a_password_never_connects) {
  auto o = options_for(test::pg_cluster::shared().conninfo() + " password=hunter2");
  std::string why;
  auto p = enfinito::store::pg::pool::open(o, &why);
  BOOST_TEST(!p);
  BOOST_TEST(why.find("postgres.password") != std::string::npos);
  BOOST_TEST(why.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_server_restart_fails_requests_then_the_pool_reconnects) {
  auto& cluster = test::pg_cluster::shared();
  auto p = open_pool(options_for(cluster.create_database(), 2));
  BOOST_REQUIRE(test::wait_until([&] { return p->stats().connected.load() == 2; }, 5s));
  cluster.stop();
  // Down: every request fails (a 503 upstream), none hangs and none reports success.
  for (int i = 0; i < 3; ++i) {
    auto ec = p->run_sync([](enfinito::store::pg::connection& c) { return c.exec("SELECT 1"); });
    BOOST_TEST((ec == enfinito::store::pg::error::unavailable), ec.message());
  }
  BOOST_TEST(p->stats().connected.load() == 0u);
  cluster.start();
  // Back: within the backoff bound (200 ms here) plus a connection, requests succeed again.
  BOOST_TEST(test::wait_until([&] { return p->stats().connected.load() >= 1; }, 10s));
  BOOST_TEST(int_of(*p, "SELECT 42") == 42);
  BOOST_TEST(p->stats().reconnects.load() >= 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pg_settings)

BOOST_AUTO_TEST_CASE(the_password_comes_from_the_secret_file_only) {
  test::temp_dir secrets;
  auto s = config::parse("[store]\nbackend = \"postgres\"\npostgres_url = \"" +
                         test::pg_cluster::shared().create_database() +
                         "\"\npostgres_pool_size = 3\npostgres_statement_timeout_ms = 700\n");
  s.secrets_dir = secrets.path().string();
  std::string why;
  auto none = enfinito::store::pg::options_from(s, &why);
  BOOST_REQUIRE_MESSAGE(none, why);
  BOOST_TEST(none->connect.password.empty());
  BOOST_TEST(none->size == 3u);
  BOOST_TEST(none->connect.statement_timeout.count() == 700);

  test::write_file(secrets / "postgres.password", "s3cret\n", 0644);
  BOOST_TEST(!enfinito::store::pg::options_from(s, &why));
  BOOST_TEST(why.find("postgres.password") != std::string::npos);
  BOOST_TEST(why.find("s3cret") == std::string::npos);

  test::write_file(secrets / "postgres.password", "s3cret\n", 0600);
  auto with = enfinito::store::pg::options_from(s, &why);
  BOOST_REQUIRE_MESSAGE(with, why);
  BOOST_TEST(with->connect.password.reveal() == "s3cret");
  // The test cluster trusts local connections: the password is sent and ignored.
  BOOST_TEST(enfinito::store::pg::pool::open(std::move(*with), &why), why);
}

BOOST_AUTO_TEST_SUITE_END()
