// Unit tests for feed frames (daemon/lib/feed/frames.cpp): the RFC 6455 text frames of the
// feed's gathered writes and how many queued events one write takes. Bytes are checked
// against the RFC's layout by hand; that Beast's client parses them is in
// tests/integration/feed_test.cpp (feed/coalesced_*).
#include <enfinito/feed/frames.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace enfinito::feed;

namespace {
std::vector<unsigned> bytes(const std::string& s, std::size_t n) {
  std::vector<unsigned> out;
  for (std::size_t i = 0; i < n && i < s.size(); ++i) out.push_back(static_cast<unsigned char>(s[i]));
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(feed_frames)

BOOST_AUTO_TEST_CASE(a_short_payload_has_a_two_byte_unmasked_final_text_header) {
  std::string out;
  append_text_frame(out, R"({"id":1})");
  BOOST_TEST(out.size() == 2u + 8u);
  BOOST_TEST(bytes(out, 2) == (std::vector<unsigned>{0x81, 8}), boost::test_tools::per_element());
  BOOST_TEST(out.substr(2) == R"({"id":1})");
  std::string empty;
  append_text_frame(empty, "");
  BOOST_TEST(bytes(empty, 9) == (std::vector<unsigned>{0x81, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(length_encodings_switch_at_126_and_65536) {
  struct row {
    std::size_t n;
    std::vector<unsigned> header;
  };
  const row rows[] = {
      {125, {0x81, 125}},
      {126, {0x81, 126, 0x00, 126}},
      {65535, {0x81, 126, 0xFF, 0xFF}},
      {65536, {0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}},
      {0x01020304, {0x81, 127, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.n) {
      std::string out;
      append_text_frame_header(out, r.n);
      BOOST_TEST(out.size() == r.header.size());
      BOOST_TEST(text_frame_header_size(r.n) == r.header.size());
      BOOST_TEST(bytes(out, out.size()) == r.header, boost::test_tools::per_element());
      // The mask bit is never set: a client must fail a masked server frame (RFC 6455 5.1).
      BOOST_TEST((static_cast<unsigned char>(out[1]) & 0x80u) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(frames_concatenate_in_queue_order) {
  std::string out;
  for (const char* p : {"a", "bb", "ccc"}) append_text_frame(out, p);
  BOOST_TEST(out == std::string("\x81\x01"
                                "a"
                                "\x81\x02"
                                "bb"
                                "\x81\x03"
                                "ccc"));
}

BOOST_AUTO_TEST_CASE(a_gather_takes_the_first_then_what_fits_in_the_bound) {
  auto size = [](std::size_t n) { return n; };
  const std::vector<std::size_t> none;
  BOOST_TEST(plan_gather(none.begin(), none.end(), 1000, size) == 0u);
  // Frames of 100 bytes are 102 on the wire.
  const std::vector<std::size_t> small(10, 100);
  BOOST_TEST(plan_gather(small.begin(), small.end(), 1020, size) == 10u);  // exactly the bound
  BOOST_TEST(plan_gather(small.begin(), small.end(), 1019, size) == 9u);
  BOOST_TEST(plan_gather(small.begin(), small.end(), 102, size) == 1u);
  // The first is always taken, however large (it goes alone, as Beast would write it).
  const std::vector<std::size_t> big_first{100'000, 10, 10};
  BOOST_TEST(plan_gather(big_first.begin(), big_first.end(), 64 * 1024, size) == 1u);
  // A gather stops at the first event that does not fit: order is never changed.
  const std::vector<std::size_t> big_middle{10, 100'000, 10};
  BOOST_TEST(plan_gather(big_middle.begin(), big_middle.end(), 64 * 1024, size) == 1u);
  const std::vector<std::size_t> one{10};
  BOOST_TEST(plan_gather(one.begin(), one.end(), 0, size) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
