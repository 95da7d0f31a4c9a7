#pragma once
// A real SMTP server on loopback for the mail tests: Debian's python3-aiosmtpd with its
// Maildir handler, run as a child process on a free port. Delivered messages are read back
// from the Maildir.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace enfinito::config {
struct settings;
}

namespace enfinito::test {

/** Points the daemon's mail at a test SMTP server on 127.0.0.1:`port`: plain (no STARTTLS), from
    noreply@enfinito.example, a 50 ms outbox poll, retries after 200-400 ms, a 3 s timeout. */
void use_test_smtp(config::settings& s, unsigned short port);

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test). */
unsigned short free_port();

class smtp_server {
 public:
  /** Does not start; `port` 0 picks a free one. */
  explicit smtp_server(std::filesystem::path dir, unsigned short port = 0);
  ~smtp_server();
  smtp_server(const smtp_server&) = delete;
  smtp_server& operator=(const smtp_server&) = delete;

  /** Starts the server and waits until it accepts connections. False if it did not come up. */
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  void stop();
  unsigned short port() const { return port_; }
  /** Every delivered message (raw RFC 5322 text), oldest first. */
  std::vector<std::string> messages() const;
  /** Waits until at least `n` messages arrived; returns them. */
  std::vector<std::string> wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

 private:
  std::filesystem::path maildir_;
  unsigned short port_;
  pid_t pid_ = -1;
};

}  // namespace enfinito::test
