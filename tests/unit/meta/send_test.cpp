// meta::graph send additions (sans-I/O): the send request and Meta's send answer.
#include <enfinito/meta/graph.hpp>

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace enfinito;
using namespace enfinito::meta;

namespace {
std::string fixture(const std::string& name) {
  return test::read_file(std::filesystem::path(ENFINITO_SHARED_DIR) / "meta" / "fixtures" / name);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(meta_send)

BOOST_AUTO_TEST_CASE(builds_the_send_request) {
  auto r = send_message("v23.0", "106540352242922", R"({"to":"1"})");
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.target == "/v23.0/106540352242922/messages");
  BOOST_TEST(r.body == R"({"to":"1"})");
  BOOST_TEST(r.content_type == "application/json");
  // The id is a path segment: nothing in it can change the path.
  BOOST_TEST(send_message("v23.0", "1/../x?y", "{}").target == "/v23.0/1%2F..%2Fx%3Fy/messages");
}

BOOST_AUTO_TEST_CASE(parses_the_send_answer) {
  auto body = fixture("send-response.json");
  if (body.empty())
    body = R"({"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],)"
           R"("messages":[{"id":"wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"}]})";
  auto r = parse_send_response(body);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->wamid == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA");
  BOOST_TEST(r->wa_id == "16505551234");
  BOOST_TEST(r->input == "+16505551234");
  BOOST_TEST(r->message_status.empty());

  auto paced = fixture("send-template-response-paced.json");
  if (!paced.empty()) {
    auto p = parse_send_response(paced);
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->message_status == "accepted");
  }
  // Without contacts it still has the id.
  auto bare = parse_send_response(R"({"messages":[{"id":"wamid.A"}]})");
  BOOST_REQUIRE(bare.has_value());
  BOOST_TEST(bare->wa_id.empty());
}

BOOST_AUTO_TEST_CASE(refuses_answers_without_a_message_id) {
  BOOST_TEST((parse_send_response("not json").error() == parse_failure::not_json));
  BOOST_TEST((parse_send_response("[]").error() == parse_failure::wrong_shape));
  BOOST_TEST((parse_send_response(R"({"messages":[]})").error() == parse_failure::wrong_shape));
  BOOST_TEST((parse_send_response(R"({"messages":[{"id":""}]})").error() == parse_failure::wrong_shape));
  BOOST_TEST((parse_send_response(R"({"messages":[{"id":5}]})").error() == parse_failure::wrong_shape));
  BOOST_TEST((parse_send_response(R"({"success":true})").error() == parse_failure::wrong_shape));
}

BOOST_AUTO_TEST_CASE(error_titles_are_our_own_words) {
  BOOST_TEST(error_title(131026) == "Message undeliverable");
  BOOST_TEST(error_title(130429) == "Message throughput reached");
  BOOST_TEST(error_title(987654321) == "Graph API error");
}

BOOST_AUTO_TEST_SUITE_END()
