#pragma once
// The server's request admission replayed over bytes in memory: the same steps, in the same
// order, as http::server's serve_one (obs-fold check, Beast's header parser with the server's
// header limit, the route match and http::admit, Beast's body parser, keep-alive), without
// sockets. Used by the differential framing test's probe and by the HTTP fuzz harness, so both
// exercise the functions the server calls (admission.hpp), not a copy of its policy.
#include <enfinito/http/admission.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::test {

struct replayed_request {
  std::string method;
  std::string target;
  std::string body;
  bool keep_alive = true;
};

/** How the connection ends: all bytes used, closed after a request, refused, bytes missing. */
enum class replay_end { eof, close, refused, incomplete, upgrade };

struct replay_result {
  std::vector<replayed_request> requests;
  replay_end end = replay_end::eof;
  unsigned status = 0;  // replay_end::refused: the status the server answers
  std::string reason;
  std::size_t consumed = 0;  // bytes taken by the accepted requests
};

/** `body_limit`: the server's (routes may set their own); `routes`: none, every request misses. */
inline replay_result replay_admission(std::string_view bytes, std::size_t header_limit = 8 * 1024,
                                      std::uint64_t body_limit = 1024 * 1024, std::size_t max_requests = 64,
                                      const http::router* routes = nullptr) {
  namespace bhttp = boost::beast::http;
  static const http::router no_routes;
  if (!routes) routes = &no_routes;
  replay_result out;
  auto refuse = [&](const http::refusal& r) {
    out.end = replay_end::refused;
    out.status = r.status;
    out.reason = r.title;
    return out;
  };
  auto head_failure = [&](boost::system::error_code ec) { return refuse(http::head_failure(ec, false, true)); };
  std::size_t pos = 0;
  while (out.requests.size() < max_requests) {
    if (pos == bytes.size()) {
      out.end = replay_end::eof;
      return out;
    }
    // 1. Head (server.cpp: the obs-fold check runs on the buffered bytes before each put).
    if (http::has_obs_fold(bytes.substr(pos))) return head_failure(bhttp::error::bad_value);
    bhttp::request_parser<bhttp::string_body> p;
    p.header_limit(static_cast<std::uint32_t>(header_limit));
    p.body_limit(boost::none);
    boost::system::error_code ec;
    const auto head_start = pos;
    pos += p.put(boost::asio::buffer(bytes.data() + pos, bytes.size() - pos), ec);
    if (ec == bhttp::error::need_more) {
      if (bytes.size() - pos >= header_limit) return head_failure(bhttp::error::header_limit);
      out.end = replay_end::incomplete;
      return out;
    }
    if (ec) return head_failure(ec);
    if (!p.is_header_done()) {
      out.end = replay_end::incomplete;
      return out;
    }
    // 2. Route and admission.
    const auto target = p.get().target();
    const auto m = routes->match(p.get().method(), target.substr(0, target.find('?')));
    const auto verdict = http::admit(bytes.substr(head_start, pos - head_start), p.get(), p, m, {body_limit});
    if (verdict.refuse) return refuse(verdict.refuse);
    p.body_limit(verdict.body_limit);
    // 3. Body.
    p.eager(true);
    while (!p.is_done()) {
      const auto n = p.put(boost::asio::buffer(bytes.data() + pos, bytes.size() - pos), ec);
      pos += n;
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) return refuse(http::body_failure(ec, false));
      if (n == 0 && !p.is_done()) {  // no progress: the rest of the body never came
        out.end = replay_end::incomplete;
        return out;
      }
    }
    auto& msg = p.get();
    out.requests.push_back(
        {std::string(msg.method_string()), std::string(msg.target()), msg.body(), msg.keep_alive() && !verdict.close});
    out.consumed = pos;
    // 4. What follows: an upgrade may hand the socket over; a close ends it.
    if (boost::beast::websocket::is_upgrade(msg)) {
      out.end = replay_end::upgrade;
      return out;
    }
    if (!out.requests.back().keep_alive) {
      out.end = replay_end::close;
      return out;
    }
  }
  out.end = replay_end::close;  // max_requests_per_connection
  return out;
}

inline std::string_view to_string(replay_end e) {
  switch (e) {
    case replay_end::eof:
      return "eof";
    case replay_end::close:
      return "close";
    case replay_end::refused:
      return "refused";
    case replay_end::incomplete:
      return "incomplete";
    case replay_end::upgrade:
      return "upgrade";
  }
  return "?";
}

}  // namespace enfinito::test
