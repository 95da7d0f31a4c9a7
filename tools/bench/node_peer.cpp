// node_peer: see node_peer.hpp.
#include "node_peer.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace enfinito::bench {

std::filesystem::path peers_dir() {
  const char* env = std::getenv("ENFINITO_BENCH_PEERS");
  return env && *env ? std::filesystem::path(env) : std::filesystem::path("tools/bench/peers");
}

bool node_peer_installed(const std::string& script, const std::vector<std::string>& modules) {
  if (!std::filesystem::exists(peers_dir() / script)) return false;
  for (const auto& m : modules)
    if (!std::filesystem::exists(peers_dir() / "node_modules" / m)) return false;
  return true;
}

void print_node_peer_skipped(const char* what) {
  std::printf("%s: skipped (install it: cd %s && npm ci)\n", what, peers_dir().c_str());
}

bool node_peer::start(const std::string& script, const std::vector<std::string>& args) {
  // A peer that died fails a write instead of ending the bench.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2];
  if (::pipe(in) != 0) return false;
  if (::pipe(out) != 0) return false;
  const auto path = (peers_dir() / script).string();
  std::vector<char*> argv{const_cast<char*>("node"), const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
    ::execvp("node", argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  std::string line;
  char c = 0;
  while (line.size() < 64 && ::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  if (line.rfind("port ", 0) != 0) return false;
  port_ = static_cast<std::uint16_t>(std::atoi(line.c_str() + 5));
  return port_ != 0;
}

bool node_peer::send(const std::string& lines) {
  std::size_t done = 0;
  while (done < lines.size()) {
    auto n = ::write(to_child_, lines.data() + done, lines.size() - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

double node_peer::cpu_s() const {
  if (pid_ <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields 3.. after the name: state is 3, utime 14, stime 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) stime = std::atof(field.c_str());
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

node_peer::~node_peer() {
  if (to_child_ >= 0) ::close(to_child_);  // the peer exits when its stdin closes
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
}

}  // namespace enfinito::bench
