// feed frames: RFC 6455 text-frame headers for the feed's gathered writes (feed/frames.hpp).
#include <enfinito/feed/frames.hpp>

namespace enfinito::feed {

void append_text_frame_header(std::string& out, std::size_t n) {
  constexpr unsigned char fin_text = 0x81;  // FIN, no RSV bits, opcode 1 (text)
  out.push_back(static_cast<char>(fin_text));
  // The mask bit (0x80 of the second byte) stays clear: servers do not mask.
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>((n >> 8) & 0xFF));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    const auto v = static_cast<std::uint64_t>(n);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

void append_text_frame(std::string& out, std::string_view payload) {
  append_text_frame_header(out, payload.size());
  out.append(payload);
}

}  // namespace enfinito::feed
