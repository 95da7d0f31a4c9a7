#pragma once
// web_client: an HTTP client for integration tests that acts as the web app in a browser (keeps
// the session cookie the daemon sets, sends Origin and JSON on unsafe methods) or as a program
// (an API key), and can record every answer's body for the canary checks.
#include "support/http_client.hpp"

#include <cstdint>
#include <string>

namespace enfinito::test {

/** The cookie a Set-Cookie value leaves behind: the `name=value` of its first cookie, or empty
    where that clears the cookie (`name=; Max-Age=0`); `cookie` stays as it is without one. */
void keep_cookie(std::string& cookie, const std::string& set_cookie);

struct web_client {
  std::uint16_t port = 0;
  std::string cookie;                            // name=value
  std::string bearer;                            // an API key, sent as Authorization: Bearer
  std::string* seen = nullptr;                   // set: every recorded answer's body is appended, a line each
  std::string origin = "http://127.0.0.1:8080";  // the default server.public_url

  /** One request to 127.0.0.1:`port`: Origin and Content-Type: application/json unless GET; the
      answer's body recorded in `seen` when `record`. */
  http_result call(const std::string& method, const std::string& target, const std::string& body = {},
                   bool record = true);
};

}  // namespace enfinito::test
