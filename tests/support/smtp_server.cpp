// smtp_server: aiosmtpd (Maildir handler) as a child process on loopback.
#include "support/smtp_server.hpp"
#include "support/wait.hpp"

#include <enfinito/config/settings.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

namespace enfinito::test {

void use_test_smtp(config::settings& s, unsigned short port) {
  using namespace std::chrono_literals;
  s.smtp.host = "127.0.0.1";
  s.smtp.port = port;
  s.smtp.from = "noreply@enfinito.example";
  s.smtp.starttls = "off";
  s.smtp.retry_base = 200ms;
  s.smtp.retry_max = 400ms;
  s.smtp.poll_interval = 50ms;
  s.smtp.timeout = 3000ms;
}

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

namespace {
bool accepts(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

smtp_server::smtp_server(std::filesystem::path dir, unsigned short port)
    : maildir_(std::move(dir) / "maildir"), port_(port ? port : free_port()) {}

smtp_server::~smtp_server() { stop(); }

bool smtp_server::start(std::chrono::milliseconds timeout) {
  std::string listen = "127.0.0.1:" + std::to_string(port_);
  std::string dir = maildir_.string();
  // Debian's Maildir handler, except that recipients whose address starts with "bounce"
  // are refused with a permanent 550 at RCPT (the mail tests' dead-letter case).
  const auto module_dir = maildir_.parent_path() / "smtp_handler";
  std::filesystem::create_directories(module_dir);
  {
    std::ofstream py(module_dir / "bouncing.py");
    py << R"(from aiosmtpd.handlers import Mailbox
class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith('bounce'):
            return '550 5.1.1 mailbox unavailable'
        envelope.rcpt_tos.append(address)
        return '250 OK'
)";
  }
  const std::string pythonpath = module_dir.string();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Quiet child: the server's log is not the test's business.
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::setenv("PYTHONPATH", pythonpath.c_str(), 1);
    ::execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen.c_str(), "-c", "bouncing.Handler",
            dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool up = false;
  wait_until(
      [&] {
        if ((up = accepts(port_))) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        pid_ = -1;  // exited before it listened
        return true;
      },
      timeout, std::chrono::milliseconds(50));
  return up;
}

void smtp_server::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, std::chrono::seconds(2))) {
    pid_ = -1;
    return;
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::vector<std::string> smtp_server::messages() const {
  std::vector<std::pair<std::filesystem::file_time_type, std::string>> found;
  std::error_code ec;
  for (auto sub : {"new", "cur"}) {
    auto d = maildir_ / sub;
    if (!std::filesystem::exists(d, ec)) continue;
    for (const auto& e : std::filesystem::directory_iterator(d, ec)) {
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      found.emplace_back(e.last_write_time(ec), ss.str());
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::vector<std::string> smtp_server::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::vector<std::string> m;
  wait_until([&] { return (m = messages()).size() >= n; }, timeout, std::chrono::milliseconds(50));
  return m;
}

}  // namespace enfinito::test
