#pragma once
// The small route table the request-admission tests decide over (the unit table of
// unit/http/admission_test.cpp and the fuzz harness fuzz/http_request_fuzz.cpp), with what
// admission reads of routes: a route limit below (256 bytes) and above (1 MiB) the server's, a
// spooling route, a parameter (bad %-escapes), and two methods on one path (405 for a third).
// Handlers are never called: admission decides before any handler runs.
#include <enfinito/http/router.hpp>

namespace enfinito::test {

inline const http::router& admission_routes() {
  static const http::router r = [] {
    http::router t;
    http::route_options small;
    small.body_limit = 256;
    t.add(http::verb::post, "/v1/messages", "messages.send", {}, small);
    t.add(http::verb::get, "/v1/messages", "messages.list", {});
    http::route_options media;
    media.body_limit = 1024 * 1024;
    media.spool_dir = "/nonexistent";  // never opened: admission only plans the spooling
    t.add(http::verb::post, "/v1/media", "media.upload", {}, media);
    t.add(http::verb::get, "/v1/items/{id}", "items.get", {});
    t.add(http::verb::post, "/v1/items/{id}", "items.update", {});
    return t;
  }();
  return r;
}

}  // namespace enfinito::test
