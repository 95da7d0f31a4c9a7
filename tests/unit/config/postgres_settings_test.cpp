// config: [store] backend and postgres_url (no password in it), [cluster] node_id and lease_ms.
#include <enfinito/config/settings.hpp>

#include <boost/test/unit_test.hpp>

#include <unistd.h>

using enfinito::config::config_error;
using enfinito::config::parse;

BOOST_AUTO_TEST_SUITE(config_postgres)

BOOST_AUTO_TEST_CASE(sqlite_stays_the_default) {
  auto s = parse("");
  BOOST_TEST(s.store.backend == "sqlite");
  BOOST_TEST(s.store.postgres_url.empty());
  BOOST_TEST(s.cluster.lease_ms.count() == 15'000);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  BOOST_TEST(s.cluster.node_id == std::string(host));
}

BOOST_AUTO_TEST_CASE(postgres_needs_a_url) {
  BOOST_CHECK_THROW(parse("[store]\nbackend = \"postgres\"\n"), config_error);
  BOOST_CHECK_THROW(parse("[store]\nbackend = \"mysql\"\n"), config_error);
  auto s = parse("[store]\nbackend = \"postgres\"\npostgres_url = \"host=/run/postgresql dbname=enfinito\"\n");
  BOOST_TEST(s.store.postgres_url == "host=/run/postgresql dbname=enfinito");
  BOOST_CHECK_NO_THROW(
      parse("[store]\nbackend = \"postgres\"\npostgres_url = \"postgresql://gw@db.internal/enfinito\"\n"));
}

BOOST_AUTO_TEST_CASE(a_password_in_the_url_is_refused_without_being_repeated) {
  for (const char* url :
       {"host=db password=hunter2 dbname=x", "postgresql://gw:hunter2@db/x", "postgresql://db/x?password=hunter2"}) {
    BOOST_TEST_CONTEXT(url) {
      try {
        parse(std::string("[store]\nbackend = \"postgres\"\npostgres_url = \"") + url + "\"\n");
        BOOST_FAIL("accepted a URL with a password");
      } catch (const config_error& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("store.postgres_url") != std::string::npos);
        BOOST_TEST(what.find("postgres.password") != std::string::npos);
        BOOST_TEST(what.find("hunter2") == std::string::npos);
      }
    }
  }
  // Checked whatever the backend: a password never sits in the file, used or not.
  BOOST_CHECK_THROW(parse("[store]\npostgres_url = \"password=hunter2\"\n"), config_error);
}

BOOST_AUTO_TEST_CASE(an_unparsable_url_is_refused) {
  BOOST_CHECK_THROW(parse("[store]\nbackend = \"postgres\"\npostgres_url = \"host=db dbname\"\n"), config_error);
}

BOOST_AUTO_TEST_CASE(node_id_and_lease) {
  auto s = parse("[cluster]\nnode_id = \"gw-2.eu\"\nlease_ms = 5000\n");
  BOOST_TEST(s.cluster.node_id == "gw-2.eu");
  BOOST_TEST(s.cluster.lease_ms.count() == 5'000);
  BOOST_CHECK_THROW(parse("[cluster]\nnode_id = \"a b\"\n"), config_error);
  BOOST_CHECK_THROW(parse("[cluster]\nlease_ms = 10\n"), config_error);
}

BOOST_AUTO_TEST_SUITE_END()
