#pragma once
// A deliberately dumb HTTP/1.1 client over POSIX sockets, for tests that must send exactly the
// bytes they mean (malformed requests, slow writers) and observe exactly what comes back.
#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace enfinito::test {

using namespace std::chrono_literals;

struct raw_response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; repeated names joined by ", "
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class raw_conn {
 public:
  explicit raw_conn(unsigned short port, const char* host = "127.0.0.1");
  ~raw_conn();
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  bool connected() const noexcept { return fd_ >= 0; }
  /** Sends all bytes; false when the peer closed. */
  bool send(const std::string& bytes);
  /** Reads one response (status line, headers, Content-Length or chunked body; no body at all
   *  when `to_head`: the answer to a HEAD request, RFC 9110 §9.3.2). */
  std::optional<raw_response> read_response(std::chrono::milliseconds timeout = 5000ms, bool to_head = false);
  /** True when the peer closes (EOF or reset) within the timeout, reading and discarding. */
  bool closed_by_peer(std::chrono::milliseconds timeout = 5000ms);
  int fd() const noexcept { return fd_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buf_;
};

/** One request on a fresh connection. Adds Host, Content-Length and Connection: close. */
raw_response http_call(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const std::map<std::string, std::string>& headers = {});

}  // namespace enfinito::test
