// inbound::headers_for (pure): a kept file's stored type and hash reach the response headers
// only when they are safe header values; an unusable type is served as octet-stream.
#include <enfinito/inbound/kept_media.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(inbound_kept_headers)

BOOST_AUTO_TEST_CASE(safe_values_are_served_and_others_replaced) {
  struct row {
    std::string mime, sha, content_type, served_sha;
  };
  const row rows[] = {
      {"image/jpeg", "q1w2e3==", "image/jpeg", "q1w2e3=="},
      {"jpeg", "q1w2e3==", "application/octet-stream", "q1w2e3=="},
      {"", "", "application/octet-stream", ""},
      {"image/jpeg\r\nX-Evil: 1", "a\nb", "application/octet-stream", ""},
      {"image/" + std::string(200, 'x'), std::string(201, 'a'), "application/octet-stream", ""},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.mime) {
      store::media::media_file f;
      f.mime_type = r.mime;
      f.sha256 = r.sha;
      const auto h = inbound::headers_for(f);
      BOOST_TEST(h.content_type == r.content_type);
      BOOST_TEST(h.sha256 == r.served_sha);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
