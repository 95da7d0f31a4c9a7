// pg_cluster: initdb, pg_ctl, a watchdog that cleans up after a crashed test binary.
#include "support/pg_cluster.hpp"

#include <libpq-fe.h>

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace enfinito::test {
namespace {

const std::string bin = "/usr/lib/postgresql/15/bin/";

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs argv (prefixed with `runuser -u nobody --` as root), output appended to `log`; the exit status.
int run(std::vector<std::string> argv, const std::filesystem::path& log) {
  if (::geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "nobody", "--"});
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("pg_cluster: fork failed");
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) {
      ::dup2(::fileno(f), 1);
      ::dup2(::fileno(f), 2);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The cleanup a dead test binary could not do: waits for its parent to go, then stops the
// cluster (immediate: nothing to keep) and removes the directory.
pid_t start_watchdog(const std::filesystem::path& dir) {
  // Everything is prepared before fork: the child of a threaded process only calls what is
  // safe there (no allocation).
  const pid_t parent = ::getpid();
  std::string command = bin + "pg_ctl -D '" + (dir / "data").string() +
                        "' -m immediate stop >/dev/null 2>&1; rm -rf '" + dir.string() + "'";
  if (::geteuid() == 0) command = "/usr/sbin/runuser -u nobody -- " + command;
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setsid();
  for (int fd = 0; fd < 256; ++fd) ::close(fd);
  while (::getppid() == parent) ::sleep(1);
  ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
  ::_exit(0);
}

}  // namespace

pg_cluster& pg_cluster::shared() {
  static pg_cluster cluster;
  return cluster;
}

pg_cluster::pg_cluster() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "enfinito-pg-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("pg_cluster: mkdtemp failed");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (!nobody || ::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0)
      throw std::runtime_error("pg_cluster: cannot give " + dir_.string() + " to nobody");
  }
  watchdog_ = start_watchdog(dir_);
  run_as_owner({bin + "initdb", "-D", (dir_ / "data").string(), "-A", "trust", "-U", "enfinito", "-E", "UTF8",
                "--no-sync", "--no-instructions"},
               "initdb");
  start();
}

pg_cluster::~pg_cluster() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (watchdog_ > 0) {
    ::kill(watchdog_, SIGKILL);
    ::waitpid(watchdog_, nullptr, 0);
  }
}

void pg_cluster::run_as_owner(const std::vector<std::string>& argv, const char* what) {
  // The tools' output (written by this process) and the server's log (written by its owner).
  const auto log = dir_ / "tools.log";
  if (run(argv, log) != 0)
    throw std::runtime_error(std::string("pg_cluster: ") + what + " failed:\n" + read_all(log) +
                             read_all(dir_ / "server.log"));
}

void pg_cluster::start() {
  // Small and quick: a test cluster, on a socket in its own directory only.
  run_as_owner(
      {bin + "pg_ctl", "-D", (dir_ / "data").string(), "-l", (dir_ / "server.log").string(), "-w", "-t", "60", "-o",
       "-k " + dir_.string() + " -c listen_addresses='' -c shared_buffers=32MB -c max_connections=100", "start"},
      "pg_ctl start");
}

void pg_cluster::stop() {
  run({bin + "pg_ctl", "-D", (dir_ / "data").string(), "-m", "fast", "-w", "stop"}, dir_ / "tools.log");
}

std::string pg_cluster::conninfo(const std::string& database) const {
  return "host=" + dir_.string() + " user=enfinito dbname=" + database;
}

std::string pg_cluster::create_database() {
  const std::string name = "t" + std::to_string(++next_db_);
  PGconn* c = PQconnectdb(conninfo().c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  if (!error.empty()) throw std::runtime_error("pg_cluster: cannot create a database: " + error);
  return conninfo(name);
}

}  // namespace enfinito::test
