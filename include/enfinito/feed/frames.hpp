#pragma once
/**
 * @file feed frames: the server's WebSocket text frames built below Beast, so that several
 * queued events leave in one socket write (issue 22, "coalesced writes").
 *
 * Each event stays its own WebSocket message: one final (FIN) text frame per event, RFC 6455
 * §5.2 framing, unmasked as a server's frames must be, no extension bits (the feed never
 * negotiates permessage-deflate). `plan_gather` decides how many queued events one write
 * carries: always the first (however large: it is written as Beast would, alone), then the
 * following ones while the frames together stay within the byte bound.
 */
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace enfinito::feed {

/** Bytes of the frame header for a payload of `payload_size` bytes (2, 4 or 10). */
constexpr std::size_t text_frame_header_size(std::size_t payload_size) noexcept {
  return payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
}

/** Bytes on the wire for one event of `payload_size` bytes. */
constexpr std::size_t text_frame_size(std::size_t payload_size) noexcept {
  return text_frame_header_size(payload_size) + payload_size;
}

/** Appends the header of a final, unmasked text frame of `payload_size` bytes. */
void append_text_frame_header(std::string& out, std::size_t payload_size);

/** Appends one complete final, unmasked text frame carrying `payload`. */
void append_text_frame(std::string& out, std::string_view payload);

/**
 * How many of the queued events [first, last) one write takes: 0 for an empty range, else 1
 * plus each following event while the total frame bytes stay within `max_bytes`.
 * `size_of(*it)` is an event's payload size.
 */
template <class It, class SizeOf>
std::size_t plan_gather(It first, It last, std::size_t max_bytes, SizeOf size_of) {
  if (first == last) return 0;
  std::size_t n = 1;
  std::size_t bytes = text_frame_size(size_of(*first));
  for (++first; first != last; ++first, ++n) {
    const std::size_t next = text_frame_size(size_of(*first));
    if (bytes + next > max_bytes) break;
    bytes += next;
  }
  return n;
}

}  // namespace enfinito::feed
