#pragma once
// pg_cluster: a throwaway PostgreSQL 15 cluster for one test binary run (pg_tests). initdb into
// a temporary directory, pg_ctl start on a Unix socket there (no TCP port, nothing
// system-wide), run as `nobody` when the tests run as root (PostgreSQL refuses root). Stopped
// and removed when the binary exits; a watchdog process does the same if it dies (abort,
// kill -9), so no cluster outlives its test run. Each test takes a fresh database of its own.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace enfinito::test {

class pg_cluster {
 public:
  /** The binary's one cluster, started on first use (about a second). Throws if it cannot start. */
  static pg_cluster& shared();

  pg_cluster();
  ~pg_cluster();
  pg_cluster(const pg_cluster&) = delete;
  pg_cluster& operator=(const pg_cluster&) = delete;

  /** libpq conninfo of `database` (user `enfinito`, trust authentication, the socket dir). */
  std::string conninfo(const std::string& database = "postgres") const;
  /** Creates an empty database with a fresh name; returns its conninfo. */
  std::string create_database();

  /** Stops the server (fast shutdown: connections are cut) and starts it again. */
  void stop();
  void start();
  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  void run_as_owner(const std::vector<std::string>& argv, const char* what);
  std::filesystem::path dir_;
  pid_t watchdog_ = -1;
  int next_db_ = 0;
};

}  // namespace enfinito::test
