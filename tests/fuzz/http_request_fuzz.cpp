// Fuzz harness: an HTTP/1.1 request as the server sees it — Beast's parser with the daemon's
// limits, then routing, query decoding, log redaction and the JSON body parser with limits.
#include <enfinito/http/message.hpp>
#include <enfinito/http/router.hpp>

#include <boost/beast/http/parser.hpp>

#include <cstdint>

using namespace enfinito;

namespace {
const http::router& routes() {
  static const http::router r = [] {
    http::router t;
    auto nop = [](http::request&) -> net::awaitable<http::response> { co_return http::no_content(); };
    t.add(http::verb::get, "/healthz", "h", nop);
    t.add(http::verb::get, "/v1/instances", "l", nop);
    t.add(http::verb::post, "/v1/instances", "c", nop);
    t.add(http::verb::get, "/v1/instances/{id}", "g", nop);
    t.add(http::verb::post, "/v1/instances/{id}/messages", "m", nop);
    t.add(http::verb::get, "/webhooks/meta/{instance}", "w", nop);
    t.add(http::verb::post, "/graph/{version}/{phone}/messages", "gm", nop);
    return t;
  }();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::bhttp::request_parser<http::bhttp::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!parser.is_header_done()) return 0;
  auto& msg = parser.get();
  std::string_view target = msg.target();
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  auto m = routes().match(msg.method(), path);
  http::request req{msg, path, query, std::move(m.params), "fuzz", {}, 0, m.found};
  (void)req.query_param("after");
  (void)req.param("id");
  (void)http::redact_query(query);
  (void)http::loggable_headers(msg);
  if (parser.is_done()) {
    auto body = http::parse_json(req, http::json_limits{16, 1000});
    (void)body;
  }
  return 0;
}
