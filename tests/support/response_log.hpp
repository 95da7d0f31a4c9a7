#pragma once
// The integration suite's record of the daemon's answers, for the OpenAPI response check
// (tests/openapi/validate.mjs, docs/testing.md). When ENFTEST_OPENAPI_RECORD names a
// file, every response the test HTTP clients (support/http_client, and raw_client's one-shot
// http_call; not raw_conn's hand-made bytes) receive from a daemon this process started
// (running_app, daemon_process) is appended to it as one JSON line:
// method, path (no query), status, content type and the body (textual, unencoded bodies
// only). Off by default.
#include <cstdint>
#include <string>

namespace enfinito::test {

struct http_result;

/** The fixtures call these so that only the daemon's answers are recorded (not the fake
    Graph API's or the OIDC provider's, which run on other ports). */
void note_daemon_port(std::uint16_t port);
void forget_daemon_port(std::uint16_t port);

/** Appends the exchange if recording is on and `port` is a daemon's. Thread-safe. */
void record_response(std::uint16_t port, const std::string& method, const std::string& target, unsigned status,
                     const std::string& content_type, const std::string& body,
                     const std::string& content_encoding = {});
void record_response(std::uint16_t port, const std::string& method, const std::string& target, const http_result& r);

}  // namespace enfinito::test
