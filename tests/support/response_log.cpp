// Records the daemon's answers as JSON lines for the OpenAPI response check (see the header).
#include "support/response_log.hpp"

#include "support/http_client.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <unordered_set>

namespace enfinito::test {
namespace {

// Bodies above this are recorded by size only: the check needs shapes, and a media download
// or a large export would only bloat the file.
constexpr std::size_t max_recorded_body = 1 << 20;

struct recorder {
  std::mutex mu;
  std::multiset<std::uint16_t> ports;    // the daemons running now
  std::unordered_set<std::size_t> seen;  // identical exchanges (load loops) are written once
  std::ofstream out;
  bool opened = false;
};

recorder& rec() {
  static recorder r;
  return r;
}

bool textual(const std::string& content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  return type.find("json") != std::string::npos || type.starts_with("text/");
}

}  // namespace

void note_daemon_port(std::uint16_t port) {
  std::lock_guard lock(rec().mu);
  rec().ports.insert(port);
}

void forget_daemon_port(std::uint16_t port) {
  std::lock_guard lock(rec().mu);
  auto& ports = rec().ports;
  if (auto it = ports.find(port); it != ports.end()) ports.erase(it);
}

void record_response(std::uint16_t port, const std::string& method, const std::string& target, const http_result& r) {
  record_response(port, method, target, r.status, r.header("Content-Type"), r.body, r.header("Content-Encoding"));
}

void record_response(std::uint16_t port, const std::string& method, const std::string& target, unsigned status,
                     const std::string& ct, const std::string& body, const std::string& content_encoding) {
  static const char* path = std::getenv("ENFTEST_OPENAPI_RECORD");
  if (!path || !*path) return;
  auto& s = rec();
  std::lock_guard lock(s.mu);
  if (!s.ports.contains(port)) return;
  boost::json::object line;
  line["method"] = method;
  // The path only: the check needs no query, and hostile-input tests put API keys there.
  line["target"] = target.substr(0, target.find('?'));
  line["status"] = status;
  line["content_type"] = ct;
  line["body_bytes"] = body.size();
  const bool encoded = !content_encoding.empty() && content_encoding != "identity";  // gzip: bytes, not text
  if (textual(ct) && !encoded && body.size() <= max_recorded_body) line["body"] = body;
  auto text = boost::json::serialize(line);
  if (!s.seen.insert(std::hash<std::string>{}(text)).second) return;
  if (!s.opened) {
    // Each run of the suite starts a fresh record.
    s.out.open(path, std::ios::trunc);
    s.opened = true;
  }
  s.out << text << '\n';
  s.out.flush();
}

}  // namespace enfinito::test
