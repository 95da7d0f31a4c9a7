// http::admit: the server's decisions about a request before its body (admission.hpp), and
// the answers to a head or body that could not be read.
#include <enfinito/http/admission.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <system_error>

namespace enfinito::http {

namespace {

namespace bhttp = boost::beast::http;

std::uint64_t body_limit_of(const match_result& m, const admission_limits& limits) {
  if (m.found && m.found->options.body_limit) return m.found->options.body_limit;
  return limits.body_bytes;
}

// The answer when no route takes the request (the router tells why).
refusal route_miss(const match_result& m) {
  if (m.found) return {};
  if (m.bad_encoding) return {400, "malformed_path", "Malformed percent-encoding in the path", false, {}};
  if (m.path_known) return {405, "method_not_allowed", "Method not allowed", false, m.allow};
  return {404, "not_found", "No such resource", false, {}};
}

}  // namespace

admission admit(std::string_view raw, const beast::http::request_header<>& head,
                const beast::http::basic_parser<true>& p, const match_result& m, const admission_limits& limits) {
  admission a;
  a.body_limit = body_limit_of(m, limits);
  // Framing first: one framing only, the one Beast will read; the bytes after a refused head
  // are never parsed as a request (request smuggling).
  a.framing = admit_head(raw, head, p, a.body_limit);
  if (!a.framing.ok()) {
    a.refuse = {a.framing.status, a.framing.code, a.framing.reason, false, {}};
    a.close = true;
    return a;
  }
  a.close = a.framing.close;
  a.miss = route_miss(m);
  if (p.is_done()) return a;  // the head was the whole request
  a.body = m.found && !m.found->options.spool_dir.empty() ? body_plan::spool : body_plan::memory;
  a.send_continue = bhttp::token_list(head[bhttp::field::expect]).exists("100-continue");
  return a;
}

refusal head_failure(const core::error_code& ec, bool timed_out, bool got_bytes) {
  if (timed_out && ec == net::error::operation_aborted) {
    if (!got_bytes) return {};  // an idle connection's keep-alive ran out
    return {408, "request_timeout", "Request headers took too long", false, {}};
  }
  if (ec == bhttp::error::header_limit)
    return {431, "headers_too_large", "Request line and headers are too large", false, {}};
  if (core::is_benign(ec)) return {};
  return {400, "malformed_http", "Malformed HTTP request", false, {}};
}

refusal body_failure(const core::error_code& ec, bool timed_out) {
  if (timed_out && ec == net::error::operation_aborted)
    return {408, "request_timeout", "Request body stalled", false, {}};
  if (ec == bhttp::error::body_limit) return {413, "body_too_large", "Request body is too large", false, {}};
  if (ec == std::errc::no_space_on_device || ec == std::errc::file_too_large)
    return {503, "storage_full", "No room to take this upload now", true, {}};
  if (core::is_benign(ec)) return {};
  return {400, "malformed_http", "Malformed HTTP request body", false, {}};
}

}  // namespace enfinito::http
