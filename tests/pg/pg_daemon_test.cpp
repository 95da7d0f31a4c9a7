// enfinitod and enfinitoctl with store.backend = "postgres": until the store modules are
// ported, both refuse with a message naming what is missing, and never fall back to SQLite.
#include "support/daemon.hpp"
#include "support/pg_cluster.hpp"
#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(pg_daemon)

BOOST_AUTO_TEST_CASE(the_daemon_refuses_the_postgres_backend_naming_what_is_not_ported) {
  test::temp_dir dir;
  const auto db_path = (dir / "never.db").string();
  const std::string toml =
      "[server]\nlisten = \"127.0.0.1\"\nport = 0\nreactors = 1\n"
      "[store]\npath = \"" +
      db_path + "\"\nbackend = \"postgres\"\npostgres_url = \"" + test::pg_cluster::shared().conninfo() + "\"\n";
  test::daemon_process d(dir.path(), toml);
  BOOST_TEST(!d.start(std::chrono::seconds(10)));
  const auto log = d.log();
  BOOST_TEST(log.find("not yet ported") != std::string::npos, log);
  BOOST_TEST(log.find("messages") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(db_path));  // no SQLite database made behind its back

  std::string out;
  test::write_file(dir / "ctl.toml", toml);
  BOOST_TEST(
      test::run_program({ENFINITOCTL_PATH, "--config", (dir / "ctl.toml").string(), "backup", (dir / "b.db").string()},
                        &out) == 1);
  BOOST_TEST(out.find("not yet ported") != std::string::npos, out);
  BOOST_TEST(test::run_program({ENFINITOCTL_PATH, "--config", (dir / "ctl.toml").string(), "check-config"}, &out) == 0);
}

BOOST_AUTO_TEST_CASE(a_password_in_the_url_stops_the_daemon_before_it_starts) {
  test::temp_dir dir;
  const std::string toml = "[server]\nlisten = \"127.0.0.1\"\nport = 0\n[store]\npath = \"" + (dir / "x.db").string() +
                           "\"\nbackend = \"postgres\"\n"
                           "postgres_url = \"postgresql://gw:hunter2@localhost/enfinito\"\n";
  test::write_file(dir / "e.toml", toml);
  std::string out;
  BOOST_TEST(test::run_program({ENFINITOD_PATH, "--config", (dir / "e.toml").string(), "--check-config"}, &out) == 2);
  BOOST_TEST(out.find("postgres.password") != std::string::npos, out);
  BOOST_TEST(out.find("hunter2") == std::string::npos, out);
}

BOOST_AUTO_TEST_SUITE_END()
