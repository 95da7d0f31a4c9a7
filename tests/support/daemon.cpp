#include "support/daemon.hpp"
#include "support/response_log.hpp"
#include "support/wait.hpp"

#include <enfinito/core/log.hpp>
#include <enfinito/crypto/keyring.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

extern char** environ;

namespace enfinito::test {

namespace {
// Every daemon needs its vault key file. Tests get one per directory, in `<dir>/credentials`
// (the shape systemd's LoadCredential= gives), created once and kept across restarts.
std::filesystem::path ensure_test_credentials(const std::filesystem::path& dir) {
  const auto cred = dir / "credentials";
  std::filesystem::create_directories(cred);
  std::filesystem::permissions(cred, std::filesystem::perms::owner_all);
  if (!std::filesystem::exists(cred / "vault.key"))
    if (auto r = crypto::create_keyring_file(cred / "vault.key"); !r)
      throw std::runtime_error("cannot create the test vault key");
  return cred;
}
}  // namespace

std::string process_toml(const std::string& db_path, const std::string& meta_base_url, const std::string& more,
                         unsigned short port) {
  return "[server]\nlisten = \"127.0.0.1\"\nport = " + std::to_string(port) + "\nreactors = 2\n[store]\npath = \"" +
         db_path + "\"\n[limits]\ndrain_timeout_ms = 2000\n[meta]\nbase_url = \"" + meta_base_url + "\"\n" + more;
}

config::settings test_settings(const temp_dir& dir) {
  config::settings s;
  s.server.listen = "127.0.0.1";
  s.server.port = 0;
  s.server.reactors = 2;
  s.store.path = (dir / "enfinito.db").string();
  s.secrets_dir = ensure_test_credentials(dir.path()).string();
  s.log_level = "warn";
  s.limits.drain_timeout = std::chrono::milliseconds(3000);
  // Suites sign administrators in many times a minute, and a TOTP code works once per 30 s:
  // the administrators' second factor is on in production and in audit_totp_test only.
  s.auth.admin_second_factor = false;
  return s;
}

running_app::running_app(std::function<void(config::settings&)> tweak) {
  settings = test_settings(dir_);
  if (tweak) tweak(settings);
  app_ = std::make_unique<app::app>(settings);
  app_->start();
  port_ = app_->port();
  note_daemon_port(port_);
  runner_ = std::thread([this] { app_->run(); });
}

running_app::~running_app() {
  forget_daemon_port(port_);
  app_->request_stop();
  runner_.join();
  app_.reset();
  core::log::set_level(core::log::level::info);
}

daemon_process::daemon_process(const std::filesystem::path& dir, std::string toml, std::string name)
    : dir_(dir), config_(dir / (name + ".toml")), log_(dir / (name + ".log")) {
  write_file(config_, toml, 0600);
  ensure_test_credentials(dir_);
}

daemon_process::~daemon_process() {
  if (port_ != 0) forget_daemon_port(port_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st;
    ::waitpid(pid_, &st, 0);
  }
}

bool daemon_process::start(std::chrono::milliseconds timeout) {
  if (port_ != 0) forget_daemon_port(port_);  // a restart may listen elsewhere
  std::size_t log_offset = read_file(log_).size();
  int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  // As under systemd: the vault key comes from $CREDENTIALS_DIRECTORY unless the TOML says.
  std::string cred_env = "CREDENTIALS_DIRECTORY=" + (dir_ / "credentials").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(log_fd, 2);
    ::dup2(log_fd, 1);
    ::putenv(cred_env.data());
    std::string cfg = config_.string();
    ::execl(ENFINITOD_PATH, ENFINITOD_PATH, "--config", cfg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(log_fd);
  // The daemon logs `event=app.listening ... port=N` once its listeners are up. The log may hold
  // earlier runs (restarts), so only what this start appended counts.
  static const std::regex listening(R"(event=app.listening .*port=(\d+))");
  port_ = 0;
  wait_until(
      [&] {
        auto text = read_file(log_);
        std::string mine = text.substr(std::min(log_offset, text.size()));
        std::smatch m;
        if (std::regex_search(mine, m, listening)) {
          port_ = static_cast<unsigned short>(std::stoi(m[1]));
          return true;
        }
        int st;
        if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
        pid_ = -1;  // exited before it listened
        return true;
      },
      timeout);
  if (port_ != 0) note_daemon_port(port_);
  return port_ != 0;
}

void daemon_process::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int daemon_process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int code = -1;
  wait_until(
      [&] {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
        pid_ = -1;
        if (WIFEXITED(st)) code = WEXITSTATUS(st);
        if (WIFSIGNALED(st)) code = 128 + WTERMSIG(st);
        return true;
      },
      timeout, std::chrono::milliseconds(10));
  return code;
}

std::string daemon_process::log() const { return read_file(log_); }

int run_program(const std::vector<std::string>& argv, std::string* output, const std::vector<std::string>& extra_env) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : extra_env) ::putenv(const_cast<char*>(e.c_str()));
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (output) *output = out;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace enfinito::test
