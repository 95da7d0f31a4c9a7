// feed::client_reader: the live feed's handling of client messages (the first-message resume
// request), free of I/O. The protocol is described in feed/client_message.hpp.
#include <enfinito/feed/client_message.hpp>

#include <enfinito/core/json_strict.hpp>

#include <boost/json/value.hpp>

namespace enfinito::feed {
namespace {

// A resume request is a small object; anything nested deeper is not one.
constexpr std::size_t max_depth = 8;

client_action close(std::uint16_t code, std::string_view reason) {
  return client_action{client_action::kind::close, 0, code, reason};
}

// The `resume_after` member of a JSON object text, if the text is one and has it.
const boost::json::value* resume_member(const boost::json::value& doc) {
  const auto* o = doc.if_object();
  return o ? o->if_contains("resume_after") : nullptr;
}

}  // namespace

client_action client_reader::on_message(std::string_view payload, bool text) {
  const bool first = !seen_;
  seen_ = true;
  if (payload.size() > max_bytes_) return close(1009, reason_too_big);
  const bool could_resume = may_resume_ && first;
  may_resume_ = false;  // whatever this message is, the next one is not first
  if (!text) return {};
  // Cheap filter before parsing: a JSON object starts with '{' after optional whitespace.
  const auto start = payload.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || payload[start] != '{') return {};

  // Strict, as every client text (core/json_strict.hpp): `resume_after` named twice is not
  // a request we can read one way only, so it is ignored like any other non-request.
  const auto parsed = core::parse_json_strict(payload, {}, {.max_depth = max_depth});
  if (parsed.error) return {};
  const auto* v = resume_member(*parsed.value);
  if (!v || v->is_null()) return {};  // not a resume request, or "start now"
  std::int64_t id = -1;
  if (v->is_int64()) id = v->get_int64();
  if (id < 0) return close(1008, reason_bad_resume);
  if (!could_resume) return close(1008, reason_late_resume);
  return client_action{client_action::kind::resume, id, 0, {}};
}

}  // namespace enfinito::feed
