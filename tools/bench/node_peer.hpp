#pragma once
// node_peer: a benchmark's Node.js peer (issue 22, "Peers"): one of the scripts in
// tools/bench/peers (npm packages pinned by its package-lock.json, installed by `npm ci` there,
// which `tools/dev bench` runs) started as a child process. The script listens on loopback and
// prints "port <n>" on stdout; it exits when its stdin closes, so it never outlives the bench.
// The peers directory is $ENFINITO_BENCH_PEERS, else tools/bench/peers under the current
// directory.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace enfinito::bench {

std::filesystem::path peers_dir();

/** True when `script` and every npm package in `modules` are installed in peers_dir(). */
bool node_peer_installed(const std::string& script, const std::vector<std::string>& modules);

/** The printed line that says how to install the peers (`what`: the peer's name). */
void print_node_peer_skipped(const char* what);

class node_peer {
 public:
  node_peer() = default;
  node_peer(const node_peer&) = delete;
  node_peer& operator=(const node_peer&) = delete;
  ~node_peer();  // closes its stdin, waits up to 2 s, then kills it

  /** Runs `node <peers_dir>/<script> args...` and waits for its port; false if it did not start. */
  bool start(const std::string& script, const std::vector<std::string>& args = {});
  /** Writes to the peer's stdin (feed_bench's events, one per line). */
  bool send(const std::string& lines);
  std::uint16_t port() const { return port_; }
  /** The peer process's CPU seconds so far (user + kernel), from /proc. */
  double cpu_s() const;

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace enfinito::bench
