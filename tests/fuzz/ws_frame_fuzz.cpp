// Fuzz harness: the live feed's inbound WebSocket path. Arbitrary bytes arrive as the client's
// frames on a server-side Beast websocket stream configured as feed::session configures its
// own (message limit, no auto-fragment), over beast::test::stream in memory; every complete
// message goes through feed::client_reader, as the session's read loop does. The same bytes
// also go to client_reader directly, as text and as binary.
//
// Input: byte 0 holds flags (bit 0: the URL had after=, so no first-message resume; bit 1:
// a 16-byte message limit instead of the default 4096), the rest is the client's byte stream
// after the handshake. Checked beyond "no crash": actions keep the protocol's promises
// (resume only as the first message and only when allowed, ids never negative, close codes
// 1008/1009 with fixed reasons that fit a close frame, nothing read past the limit).
#include <enfinito/feed/client_message.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using enfinito::feed::client_action;
using enfinito::feed::client_reader;

namespace {

// Bounds the loop whatever the input: every read consumes at least a frame header.
constexpr int max_messages = 10'000;

void require(bool ok) {
  if (!ok) std::abort();
}

// The promises every action keeps; `could_resume`: this message may legitimately resume.
void check(const client_action& a, std::size_t size, std::size_t limit, bool could_resume) {
  switch (a.what) {
    case client_action::kind::ignore:
      require(size <= limit);
      break;
    case client_action::kind::resume:
      require(could_resume && a.resume_after >= 0 && size <= limit);
      break;
    case client_action::kind::close:
      require(a.close_code == 1008 || a.close_code == 1009);
      require(!a.reason.empty() && a.reason.size() <= 123);  // a close frame's reason room
      require((a.close_code == 1009) == (size > limit));
      break;
  }
}

// The pure function alone: the bytes as one text message and as one binary message.
void direct(std::string_view bytes, bool resume_allowed, std::size_t limit) {
  client_reader text(resume_allowed, limit);
  check(text.on_message(bytes, true), bytes.size(), limit, resume_allowed);
  // A second message can never resume.
  check(text.on_message(bytes, true), bytes.size(), limit, false);
  client_reader binary(resume_allowed, limit);
  const auto b = binary.on_message(bytes, false);
  require(b.what != client_action::kind::resume);
  check(b, bytes.size(), limit, false);
}

websocket::request_type upgrade_request() {
  websocket::request_type req{beast::http::verb::get, "/v1/stream", 11};
  req.set(beast::http::field::host, "localhost");
  req.set(beast::http::field::upgrade, "websocket");
  req.set(beast::http::field::connection, "Upgrade");
  req.set(beast::http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(beast::http::field::sec_websocket_version, "13");
  return req;
}

// The frames through Beast, then each message through the reader, as feed::session does.
void through_beast(std::string_view frames, bool resume_allowed, std::size_t limit) {
  boost::asio::io_context ioc;
  beast::test::stream peer(ioc);  // the client's end: takes the server's writes (101, pongs, close)
  websocket::stream<beast::test::stream> ws(ioc);
  ws.next_layer().connect(peer);
  ws.read_message_max(limit);
  ws.auto_fragment(false);
  beast::error_code ec;
  ws.accept(upgrade_request(), ec);
  require(!ec);
  ws.next_layer().append(frames);
  ws.next_layer().close_remote();  // end of input once the frames are consumed

  client_reader reader(resume_allowed, limit);
  beast::flat_buffer buf;
  bool first = true;
  for (int i = 0; i < max_messages; ++i) {
    ws.read(buf, ec);
    if (ec) break;  // end of input, a protocol error, the peer's close, or past the limit
    const std::string_view payload(static_cast<const char*>(buf.data().data()), buf.size());
    require(payload.size() <= limit);  // Beast enforces the limit before we see the message
    const auto a = reader.on_message(payload, ws.got_text());
    check(a, payload.size(), limit, first && resume_allowed && ws.got_text());
    first = false;
    buf.consume(buf.size());
    if (a.what == client_action::kind::close) break;  // the session closes here
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool url_after = data[0] & 1;
  const std::size_t limit = data[0] & 2 ? 16 : 4096;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  direct(rest, !url_after, limit);
  through_beast(rest, !url_after, limit);
  return 0;
}
