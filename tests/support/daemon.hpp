#pragma once
// Test fixtures that run the real daemon: in-process (`running_app`, for most tests) or as a
// child process (`daemon_process`, for signals, kill -9 and a second instance).
#include "support/temp_dir.hpp"

#include <enfinito/app/app.hpp>
#include <enfinito/config/settings.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace enfinito::test {

/** Settings for a test daemon: loopback, port 0, a database in `dir`, one reactor per core. */
config::settings test_settings(const temp_dir& dir);

/** The real app::app, started in-process on port 0 and stopped (drained) on destruction. */
class running_app {
 public:
  explicit running_app(std::function<void(config::settings&)> tweak = {});
  ~running_app();
  unsigned short port() const { return port_; }
  app::app& get() { return *app_; }
  const temp_dir& dir() const { return dir_; }
  config::settings settings;

 private:
  temp_dir dir_;
  std::unique_ptr<app::app> app_;
  std::thread runner_;
  unsigned short port_ = 0;
};

/** The configuration file of a daemon_process: loopback on `port` (0: any free one), two
    reactors, the database at `db_path`, a 2 s drain, Meta at `meta_base_url`; `more` adds
    sections ([queue], [log], ...). */
std::string process_toml(const std::string& db_path, const std::string& meta_base_url, const std::string& more = {},
                         unsigned short port = 0);

/** enfinitod as a child process, its stderr captured to a file in `dir`. */
class daemon_process {
 public:
  /** `toml` is the configuration file's content; port 0 is read back from the log. */
  daemon_process(const std::filesystem::path& dir, std::string toml, std::string name = "enfinitod");
  ~daemon_process();
  /** Starts and waits until it listens (or exits). Returns false if it exited. */
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void signal(int sig);
  /** Waits for exit; returns the exit code, 128+signal when killed, -1 on timeout. */
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running() const { return pid_ > 0; }
  unsigned short port() const { return port_; }
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path config_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

/** Runs a program to completion; returns its exit code and fills `output` (stdout+stderr). */
int run_program(const std::vector<std::string>& argv, std::string* output = nullptr,
                const std::vector<std::string>& extra_env = {});

}  // namespace enfinito::test
