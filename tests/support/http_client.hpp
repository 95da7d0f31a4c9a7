#pragma once
// A small synchronous HTTP(S)/1.1 client for tests: one request per connection, a deadline on
// every step. Generic on purpose (the fake Graph tests use it, and so can any plain-HTTP test).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace enfinito::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_result {
  unsigned status = 0;
  header_list headers;
  std::string body;
  /** First header with that name (case-insensitive), or empty. */
  std::string header(std::string_view name) const;
};

/** Sends one plain-HTTP request and reads the whole response.
 *  Throws boost::system::system_error on a transport failure (refused, reset, timeout). */
http_result http_request(const std::string& host, std::uint16_t port, const std::string& method,
                         const std::string& target, const header_list& headers = {}, const std::string& body = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

/** Same over TLS, trusting only ca_file (PEM) and checking the host name against it. */
http_result https_request(const std::string& host, std::uint16_t port, const std::string& method,
                          const std::string& target, const header_list& headers, const std::string& body,
                          const std::string& ca_file, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace enfinito::test
