#pragma once
// A loopback TCP port that takes connections and never answers: it listens but never calls
// accept(), so the kernel completes handshakes into the backlog and whatever the client sends
// sits unread. The shape of an unreachable-but-not-refusing dependency (a dead SMTP relay, a
// filtered Google endpoint, a customer endpoint that hangs). Closed on destruction.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace enfinito::test {

class blackhole {
 public:
  /** `port` 0: any free port. `backlog`: how many connections it swallows before SYNs go unanswered. */
  explicit blackhole(unsigned short port = 0, int backlog = 4096) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, backlog) != 0) {
      ::close(fd_);
      throw std::runtime_error("blackhole: cannot listen");
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~blackhole() { ::close(fd_); }
  blackhole(const blackhole&) = delete;
  blackhole& operator=(const blackhole&) = delete;
  unsigned short port() const { return port_; }

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

}  // namespace enfinito::test
