// instances::media_slot: the process-wide cap on media transfers, and the headers a download
// repeats, without a server.
#include <enfinito/instances/media_transfer.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(instances_media_transfer)

BOOST_AUTO_TEST_CASE(slots_are_capped_and_come_back_when_released) {
  std::vector<std::unique_ptr<instances::media_slot>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<instances::media_slot>(3));
    BOOST_TEST(held.back()->held());
  }
  {
    instances::media_slot over(3);
    BOOST_TEST(!over.held());  // refused, and not counted
  }
  instances::media_slot still_over(3);
  BOOST_TEST(!still_over.held());
  held.pop_back();
  instances::media_slot again(3);
  BOOST_TEST(again.held());
  // A larger cap counts the same transfers: three run, so one more fits under 4, not two.
  instances::media_slot wider(4);
  BOOST_TEST(wider.held());
  instances::media_slot wider_still(4);
  BOOST_TEST(!wider_still.held());
}

BOOST_AUTO_TEST_CASE(a_download_repeats_only_safe_header_values) {
  meta::media_info lookup;
  lookup.mime_type = "image/png";
  lookup.sha256 = "abc123";
  auto h = instances::headers_for("image/jpeg; q=1", lookup);
  BOOST_TEST(h.content_type == "image/jpeg; q=1");
  BOOST_TEST(h.sha256 == "abc123");
  h = instances::headers_for("binary", lookup);  // no '/': the lookup's type
  BOOST_TEST(h.content_type == "image/png");
  lookup.mime_type = "text/plain\r\nX-Evil: 1";
  lookup.sha256 = std::string(201, 'a');
  h = instances::headers_for("", lookup);
  BOOST_TEST(h.content_type == "application/octet-stream");
  BOOST_TEST(h.sha256.empty());
}

BOOST_AUTO_TEST_SUITE_END()
