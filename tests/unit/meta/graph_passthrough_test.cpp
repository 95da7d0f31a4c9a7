// meta::graph, the passthrough block: request builders for mark-as-read, media, templates
// and the business profile; their answer parsers (on Meta's own samples); per-type media
// limits; and which download URLs may receive the instance's token.
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/graph.hpp>

#include "support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>

namespace {
using namespace enfinito;
using namespace enfinito::meta;
namespace json = boost::json;

std::string fixture(const std::string& name) {
  return test::read_file(std::filesystem::path(ENFINITO_SHARED_DIR) / "meta" / "fixtures" / name);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(meta_graph_passthrough)

BOOST_AUTO_TEST_CASE(mark_read_body_is_metas) {
  auto r = mark_read("v23.0", "106540352242922", "wamid.ABC=", false);
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.target == "/v23.0/106540352242922/messages");
  BOOST_TEST(r.content_type == "application/json");
  auto b = json::parse(r.body).as_object();
  BOOST_TEST(b.at("messaging_product") == "whatsapp");
  BOOST_TEST(b.at("status") == "read");
  BOOST_TEST(b.at("message_id") == "wamid.ABC=");
  BOOST_TEST(!b.contains("typing_indicator"));
  auto t = json::parse(mark_read("v23.0", "1", "w", true).body);
  BOOST_TEST(t.at("typing_indicator").at("type") == "text");
  // Same shape as Meta's typing-indicator sample.
  const auto sample = fixture("send-typing-indicator-request.json");
  if (!sample.empty()) {
    auto s = json::parse(sample).as_object();
    BOOST_TEST(s.at("typing_indicator") == t.at("typing_indicator"));
  }
}

BOOST_AUTO_TEST_CASE(upload_is_multipart_with_the_three_fields) {
  const std::string bytes("\x89PNG\r\n\x1a\n--not-the-boundary", 26);
  auto sent = upload_media("v23.0", "106540352242922", "image/PNG; charset=x", "my \"pic\"\r\n.png", bytes, "b0UND");
  // The file is borrowed, not copied: the body on the wire is body + borrowed + tail.
  BOOST_TEST(sent.borrowed.data() == bytes.data());
  auto r = sent;
  r.body = sent.body + std::string(sent.borrowed) + sent.tail;
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.target == "/v23.0/106540352242922/media");
  BOOST_TEST(r.content_type == "multipart/form-data; boundary=b0UND");
  BOOST_TEST(r.body.find("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n") != std::string::npos);
  BOOST_TEST(r.body.find("name=\"type\"\r\n\r\nimage/png\r\n") != std::string::npos);
  // The filename cannot break out of its quoted header value.
  BOOST_TEST(r.body.find("filename=\"my _pic___.png\"\r\nContent-Type: image/png\r\n\r\n") != std::string::npos);
  BOOST_TEST(r.body.find("\r\n\r\n" + bytes + "\r\n--b0UND--\r\n") != std::string::npos);
  BOOST_TEST(r.body.rfind("--b0UND\r\n", 0) == 0u);
  BOOST_TEST(upload_media("v1.0", "1", "text/plain", "", "x", "b").body.find("filename=\"file\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(media_templates_profile_targets) {
  BOOST_TEST(get_media("v23.0", "123", "999").target == "/v23.0/123?phone_number_id=999");
  BOOST_TEST(get_media("v23.0", "123", "999").method == "GET");
  auto d = delete_media("v23.0", "123", "999");
  BOOST_TEST(d.method == "DELETE");
  BOOST_TEST(d.target == "/v23.0/123?phone_number_id=999");
  // Ids are percent-encoded: a hostile id cannot add a path or query.
  BOOST_TEST(get_media("v23.0", "1/../x?y", "2").target == "/v23.0/1%2F..%2Fx%3Fy?phone_number_id=2");

  template_query q;
  BOOST_TEST(list_templates("v23.0", "102290129340398", q).target ==
             "/v23.0/102290129340398/message_templates?limit=25");
  q.limit = 5;
  q.after = "MjQZD";
  q.name = "hello world";
  q.status = "APPROVED";
  BOOST_TEST(list_templates("v23.0", "1", q).target ==
             "/v23.0/1/message_templates?limit=5&after=MjQZD&name=hello%20world&status=APPROVED");
  auto c = create_template("v23.0", "1", R"({"name":"x"})");
  BOOST_TEST(c.method == "POST");
  BOOST_TEST(c.target == "/v23.0/1/message_templates");
  BOOST_TEST(c.body == R"({"name":"x"})");

  auto g = get_business_profile("v23.0", "1");
  BOOST_TEST(g.target ==
             "/v23.0/1/"
             "whatsapp_business_profile?fields=about,address,description,email,profile_picture_url,websites,vertical");
  // The fields a Graph-compatible caller asked for, encoded (the route checked them).
  BOOST_TEST(get_business_profile("v23.0", "1", "about,vertical").target ==
             "/v23.0/1/whatsapp_business_profile?fields=about%2Cvertical");
  auto u = update_business_profile("v23.0", "1", json::object{{"about", "Succulents"}});
  BOOST_TEST(u.method == "POST");
  BOOST_TEST(u.target == "/v23.0/1/whatsapp_business_profile");
  auto ub = json::parse(u.body);
  BOOST_TEST(ub.at("messaging_product") == "whatsapp");
  BOOST_TEST(ub.at("about") == "Succulents");
}

BOOST_AUTO_TEST_CASE(parses_metas_answers) {
  const auto info_body = fixture("media-get-url-response.json");
  if (!info_body.empty()) {
    auto info = parse_media_info(info_body);
    BOOST_TEST_REQUIRE(info.has_value());
    BOOST_TEST(info->id == "1037543291543636");
    BOOST_TEST(info->mime_type == "image/jpeg");
    BOOST_TEST(info->file_size == 303833u);  // a string in Meta's example
    BOOST_TEST(info->url.rfind("https://lookaside.fbsbx.com/", 0) == 0u);
    BOOST_TEST(info->sha256 == "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=");
  }
  auto numeric = parse_media_info(R"({"url":"https://x.fbsbx.com/a","mime_type":"video/mp4","file_size":42,"id":"1"})");
  BOOST_TEST_REQUIRE(numeric.has_value());
  BOOST_TEST(numeric->file_size == 42u);  // a number in pywa's
  BOOST_TEST((parse_media_info("{}").error() == parse_failure::wrong_shape));
  BOOST_TEST((parse_media_info("nope").error() == parse_failure::not_json));

  const auto up = fixture("media-upload-response.json");
  if (!up.empty()) {
    auto id = parse_id(up);
    BOOST_TEST_REQUIRE(id.has_value());
    BOOST_TEST(*id == "1037543291543636");
  }
  BOOST_TEST(!parse_id(R"({"success":true})").has_value());

  BOOST_TEST(parse_success(R"({"success":true})"));
  BOOST_TEST(!parse_success(R"({"success":false})"));
  BOOST_TEST(!parse_success(R"({"success":"true"})"));
  BOOST_TEST(!parse_success("[]"));

  const auto list = fixture("message-templates-list-response.json");
  if (!list.empty()) {
    auto page = parse_template_page(list);
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->data.size() == 2u);
    BOOST_TEST(page->data[0].at("name") == "hello_world");
    // Meta's sample has cursors but no `next`: there is no further page.
    BOOST_TEST(page->after == "");
  }
  auto more = parse_template_page(
      R"({"data":[],"paging":{"cursors":{"before":"B","after":"A"},"next":"https://graph.facebook.com/x","previous":"p"}})");
  BOOST_TEST_REQUIRE(more.has_value());
  BOOST_TEST(more->after == "A");
  BOOST_TEST(more->before == "B");
  BOOST_TEST((parse_template_page(R"({"paging":{}})").error() == parse_failure::wrong_shape));

  const auto profile = fixture("business-profile-get-response.json");
  if (!profile.empty()) {
    auto p = parse_business_profile(profile);
    BOOST_TEST_REQUIRE(p.has_value());
    BOOST_TEST(p->at("about") == "Succulent specialists");
    BOOST_TEST(p->at("vertical") == "RETAIL");
    BOOST_TEST(!p->contains("messaging_product"));
  }
  BOOST_TEST((parse_business_profile(R"({"data":[]})").error() == parse_failure::wrong_shape));
}

BOOST_AUTO_TEST_CASE(media_limits_per_type) {
  constexpr std::size_t MB = 1024 * 1024;
  struct row {
    const char* mime;
    media_kind kind;
    std::size_t max;
  };
  const row rows[] = {
      {"image/jpeg", media_kind::image, 5 * MB},
      {"IMAGE/PNG", media_kind::image, 5 * MB},
      {"video/mp4", media_kind::video, 16 * MB},
      {"video/3gpp", media_kind::video, 16 * MB},
      {"audio/ogg; codecs=opus", media_kind::audio, 16 * MB},
      {"audio/mpeg", media_kind::audio, 16 * MB},
      {"audio/aac", media_kind::audio, 16 * MB},
      {"audio/amr", media_kind::audio, 16 * MB},
      {"audio/mp4", media_kind::audio, 16 * MB},
      {"application/pdf", media_kind::document, 100 * MB},
      {"text/plain", media_kind::document, 100 * MB},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", media_kind::document, 100 * MB},
      {"image/webp", media_kind::sticker, 100 * 1024},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.mime) {
      auto l = media_limit_for(r.mime);
      BOOST_TEST_REQUIRE(l.has_value());
      BOOST_TEST((l->kind == r.kind));
      BOOST_TEST(l->max_bytes == r.max);
    }
  }
  // An animated WebP (VP8X with the animation flag) may be 500 KB.
  std::string head = std::string("RIFF") + std::string(4, '\0') + "WEBPVP8X" + std::string(4, '\0') + '\x02';
  BOOST_TEST(media_limit_for("image/webp", head)->max_bytes == 500u * 1024);
  head.back() = '\x10';  // alpha only
  BOOST_TEST(media_limit_for("image/webp", head)->max_bytes == 100u * 1024);
  for (const char* no : {"image/gif", "application/zip", "video/quicktime", "", "image"}) BOOST_TEST_CONTEXT(no) {
      BOOST_TEST(!media_limit_for(no).has_value());
    }
  BOOST_TEST(to_string(media_kind::sticker) == "sticker");
}

BOOST_AUTO_TEST_CASE(download_urls_that_may_get_the_token) {
  const std::string graph = "https://graph.facebook.com";
  BOOST_TEST(media_url_allowed("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", graph));
  BOOST_TEST(media_url_allowed("https://graph.facebook.com/x", graph));
  BOOST_TEST(media_url_allowed("https://scontent.xx.fbcdn.net/v/t61/x.jpg", graph));
  BOOST_TEST(media_url_allowed("https://mmg.whatsapp.net/x", graph));
  BOOST_TEST(media_url_allowed("HTTPS://LOOKASIDE.FBSBX.COM/x", graph));
  // Not Meta: lookalikes, plain HTTP, userinfo tricks.
  BOOST_TEST(!media_url_allowed("https://evilfbsbx.com/x", graph));
  BOOST_TEST(!media_url_allowed("https://fbsbx.com.evil.example/x", graph));
  BOOST_TEST(!media_url_allowed("http://lookaside.fbsbx.com/x", graph));
  BOOST_TEST(!media_url_allowed("https://lookaside.fbsbx.com@evil.example/x", graph));
  BOOST_TEST(!media_url_allowed("https://evil.example/?lookaside.fbsbx.com", graph));
  BOOST_TEST(!media_url_allowed("ftp://lookaside.fbsbx.com/x", graph));
  BOOST_TEST(!media_url_allowed("not a url", graph));
  // The configured Graph origin itself (the fake, over plain HTTP in tests), and only it.
  BOOST_TEST(media_url_allowed("http://127.0.0.1:4000/_media/download?mid=1", "http://127.0.0.1:4000"));
  BOOST_TEST(!media_url_allowed("http://127.0.0.1:4001/_media/download?mid=1", "http://127.0.0.1:4000"));
  BOOST_TEST(!media_url_allowed("http://127.0.0.2:4000/x", "http://127.0.0.1:4000"));
}

// open_fetch() refuses a URL it cannot take apart safely before any connection is made.
// (Which hosts may receive the token is media_url_allowed's decision, tested above.)
BOOST_AUTO_TEST_CASE(fetch_refuses_odd_urls_without_connecting) {
  auto c = client::make({"http://127.0.0.1:9", "v23.0"});
  BOOST_TEST_REQUIRE(c.has_value());
  const core::secret_string token(std::string("EAAGsecretTOKEN"));
  for (const char* url :
       {"ftp://lookaside.fbsbx.com/x", "https://user@lookaside.fbsbx.com/x", "https:///x",
        "https://lookaside.fbsbx.com:99x/x", "https://lookaside.fbsbx.com/a b", "lookaside.fbsbx.com/x"}) {
    BOOST_TEST_CONTEXT(url) {
      boost::asio::io_context ioc;
      auto done = boost::asio::co_spawn(ioc, (*c)->open_fetch(url, token, {}), boost::asio::use_future);
      ioc.run();
      auto r = done.get();
      BOOST_TEST(!r.has_value());
      if (!r) BOOST_TEST((r.error() == error::bad_url));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
