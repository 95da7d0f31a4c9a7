#include "support/raw_client.hpp"
#include "support/response_log.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace enfinito::test {

raw_conn::raw_conn(unsigned short port, const char* host) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, host, &a.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

raw_conn::~raw_conn() {
  if (fd_ >= 0) ::close(fd_);
}

bool raw_conn::send(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool raw_conn::fill(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char tmp[16384];
  auto n = ::recv(fd_, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf_.append(tmp, static_cast<std::size_t>(n));
  return true;
}

std::optional<raw_response> raw_conn::read_response(std::chrono::milliseconds timeout, bool to_head) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(deadline)) return std::nullopt;
  raw_response r;
  std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  auto line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  r.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    pos = e + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    auto& slot = r.headers[name];
    slot = slot.empty() ? value : slot + ", " + value;
  }
  if (to_head || r.status == 204 || r.status == 304 || r.status / 100 == 1) return r;
  if (r.header("transfer-encoding").find("chunked") != std::string::npos) {
    for (;;) {
      std::size_t le;
      while ((le = buf_.find("\r\n")) == std::string::npos)
        if (!fill(deadline)) return std::nullopt;
      std::size_t size = std::stoul(buf_.substr(0, le), nullptr, 16);
      while (buf_.size() < le + 2 + size + 2)
        if (!fill(deadline)) return std::nullopt;
      r.body += buf_.substr(le + 2, size);
      buf_.erase(0, le + 2 + size + 2);
      if (size == 0) break;
    }
    return r;
  }
  std::size_t len = r.headers.count("content-length") ? std::stoul(r.header("content-length")) : 0;
  while (buf_.size() < len)
    if (!fill(deadline)) return std::nullopt;
  r.body = buf_.substr(0, len);
  buf_.erase(0, len);
  return r;
}

bool raw_conn::closed_by_peer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char tmp[4096];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return true;
  }
}

raw_response http_call(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body, const std::map<std::string, std::string>& headers) {
  raw_conn c(port);
  if (!c.connected()) throw std::runtime_error("connect failed");
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  c.send(req);
  auto r = c.read_response(30s, method == "HEAD");
  if (!r) throw std::runtime_error("no response to " + method + " " + target);
  record_response(port, method, target, static_cast<unsigned>(r->status), r->header("content-type"), r->body,
                  r->header("content-encoding"));
  return *r;
}

}  // namespace enfinito::test
