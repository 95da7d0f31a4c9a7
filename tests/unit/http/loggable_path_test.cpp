// http::loggable_path and crypto::log_tag: the access log's path keeps its shape and our ids,
// but never a customer's identifier (Phone Number ID, WABA ID, App ID, a phone number, a
// Meta media id), in routes and in paths no route matched.
#include <enfinito/crypto/log_tag.hpp>
#include <enfinito/http/loggable_path.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

using namespace enfinito;

namespace {
// A visible stand-in for the keyed hash: the test reads what was replaced.
std::string mark(std::string_view id) { return "<" + std::string(id) + ">"; }
}  // namespace

BOOST_AUTO_TEST_SUITE(loggable_path)

BOOST_AUTO_TEST_CASE(identifiers_in_routes_become_tags_and_our_ids_stay) {
  BOOST_TEST(http::loggable_path("/graph/v21.0/106540352290001/messages", mark) ==
             "/graph/v21.0/<106540352290001>/messages");
  BOOST_TEST(http::loggable_path("/v1/instances/ins_0193abc12345678Zx/conversations/4915112345678", mark) ==
             "/v1/instances/ins_0193abc12345678Zx/conversations/<4915112345678>");
  BOOST_TEST(http::loggable_path("/v1/instances/ins_abc/conversations/+4915112345678/read", mark) ==
             "/v1/instances/ins_abc/conversations/<4915112345678>/read");
  BOOST_TEST(http::loggable_path("/v1/instances/ins_abc/conversations/%2B4915112345678", mark) ==
             "/v1/instances/ins_abc/conversations/<4915112345678>");
  BOOST_TEST(http::loggable_path("/graph/v21.0/1234567890123/media", mark) == "/graph/v21.0/<1234567890123>/media");
  BOOST_TEST(http::loggable_path("/v1/messages/msg_0193ab123456789012", mark) == "/v1/messages/msg_0193ab123456789012");
  BOOST_TEST(http::loggable_path("/webhooks/meta/ins_12345678901", mark) == "/webhooks/meta/ins_12345678901");
}

BOOST_AUTO_TEST_CASE(paths_no_route_matched_are_redacted_by_shape) {
  BOOST_TEST(http::loggable_path("/graph/v21.0/x106540352290001y/whatever", mark) ==
             "/graph/v21.0/x<106540352290001>y/whatever");
  BOOST_TEST(http::loggable_path("/nope/tel:+4915112345678", mark) == "/nope/tel:<4915112345678>");
  // Short numbers (versions, pages) are not identifiers.
  BOOST_TEST(http::loggable_path("/graph/v21.0/1234/messages", mark) == "/graph/v21.0/1234/messages");
  BOOST_TEST(http::loggable_path("/", mark) == "/");
  BOOST_TEST(http::loggable_path("", mark) == "");
  BOOST_TEST(http::loggable_path("//a//", mark) == "//a//");
}

BOOST_AUTO_TEST_CASE(tags_are_short_keyed_and_stable_within_a_run) {
  const std::array<unsigned char, 32> k1{1}, k2{2};
  const auto a = crypto::log_tag(k1, "106540352290001");
  BOOST_TEST(a.size() == 13u);
  BOOST_TEST(a.front() == '#');
  BOOST_TEST(a == crypto::log_tag(k1, "106540352290001"));
  BOOST_TEST(a != crypto::log_tag(k2, "106540352290001"));  // another key, another tag
  BOOST_TEST(a != crypto::log_tag(k1, "106540352290002"));
  BOOST_TEST(crypto::log_tag("106540352290001") == crypto::log_tag("106540352290001"));
  const auto logged = http::loggable_path("/graph/v21.0/106540352290001/messages");
  BOOST_TEST(logged.find("106540352290001") == std::string::npos);
  BOOST_TEST(logged == "/graph/v21.0/" + crypto::log_tag("106540352290001") + "/messages");
}

BOOST_AUTO_TEST_SUITE_END()
