#include "support/web_client.hpp"

namespace enfinito::test {

void keep_cookie(std::string& cookie, const std::string& set_cookie) {
  if (set_cookie.empty()) return;
  auto first = set_cookie.substr(0, set_cookie.find(';'));
  cookie = first.ends_with("=") ? std::string() : first;
}

http_result web_client::call(const std::string& method, const std::string& target, const std::string& body,
                             bool record) {
  header_list h;
  if (!bearer.empty()) h.emplace_back("authorization", "Bearer " + bearer);
  if (!cookie.empty()) h.emplace_back("cookie", cookie);
  if (method != "GET") {
    h.emplace_back("origin", origin);
    h.emplace_back("content-type", "application/json");
  }
  auto r = http_request("127.0.0.1", port, method, target, h, body);
  if (record && seen) *seen += r.body + "\n";
  keep_cookie(cookie, r.header("set-cookie"));
  return r;
}

}  // namespace enfinito::test
