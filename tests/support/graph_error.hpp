#pragma once
// graph_error_of: a Graph API error envelope as meta::client parses it from Meta's answer, for
// the unit tests of the decisions taken on one (pacing, the send window, the relays).
#include <enfinito/meta/client.hpp>

#include <cstdint>

namespace enfinito::test {

/** Meta's error `code` (and `subcode`) in an envelope, on an HTTP `http` answer. */
inline meta::graph_error graph_error_of(std::int64_t code, unsigned http = 400, std::int64_t subcode = 0) {
  meta::graph_error e;
  e.envelope = true;
  e.code = code;
  e.subcode = subcode;
  e.http_status = http;
  return e;
}

}  // namespace enfinito::test
