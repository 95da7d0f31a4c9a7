// Unit tests for the send routes' pure checks (api::check_send_body in messages_routes.cpp,
// api::check_graph_message_body in graph_routes.cpp), run over the message fuzzer's seed
// corpus: the seeds must mean what their names say, so the fuzzer starts from accepted
// bodies of every type and not only from refusals.
#include <enfinito/api/graph_routes.hpp>
#include <enfinito/api/messages_routes.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

using namespace enfinito;

namespace {

struct checked {
  std::variant<meta::checked_message, http::response> rest, graph;
};

checked check_both(const std::string& body) {
  http::beast_request msg{http::verb::post, "/v1/instances/ins_x/messages", 11};
  msg.set(http::bhttp::field::content_type, "application/json");
  msg.body() = body;
  http::request req{msg, "/v1/instances/ins_x/messages", {}, {}, "test", {}, 0, nullptr};
  const http::json_limits limits{32, 100'000};
  return {api::check_send_body(req, limits), api::check_graph_message_body(req, limits)};
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_send_body)

BOOST_AUTO_TEST_CASE(the_message_seed_corpus_means_what_its_names_say) {
  const std::set<std::string> types = {"text",     "image",    "video",    "audio",       "document", "sticker",
                                       "location", "contacts", "reaction", "interactive", "template"};
  std::set<std::string> seen;
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(ENFINITO_SOURCE_DIR "/tests/fuzz/corpus/message")) {
    const std::string name = e.path().stem().string();
    const std::string prefix = name.substr(0, name.find('_'));
    ++files;
    BOOST_TEST_CONTEXT(name) {
      auto c = check_both(read_file(e.path()));
      const auto* rest = std::get_if<meta::checked_message>(&c.rest);
      const auto* graph = std::get_if<meta::checked_message>(&c.graph);
      if (prefix == "bad") {
        BOOST_TEST(!rest);
        BOOST_TEST(!graph);
        if (!rest) BOOST_TEST(std::get<http::response>(c.rest).result_int() == 400u);
      } else if (name == "mark_read" || name == "typing_indicator") {
        BOOST_TEST(!rest);  // not a message on the REST route
        BOOST_REQUIRE(graph);
        BOOST_TEST((graph->what == meta::checked_message::kind::mark_read));
        BOOST_TEST(graph->typing_indicator == (name == "typing_indicator"));
      } else {
        BOOST_REQUIRE(rest);
        BOOST_REQUIRE(graph);
        BOOST_TEST(rest->body == graph->body);
        if (types.count(prefix)) {
          BOOST_TEST(rest->type == prefix);
          seen.insert(prefix);
        }
      }
    }
  }
  BOOST_TEST(files >= 30u);
  BOOST_TEST(seen == types, "every message type has an accepted seed");
}

BOOST_AUTO_TEST_CASE(refusals_are_the_routes_own) {
  // REST: problem+json naming the field; Graph: Meta's envelope with 131008 for a missing one.
  auto c = check_both(R"({"type":"text","text":{"body":"x"}})");
  const auto& rest = std::get<http::response>(c.rest);
  BOOST_TEST(rest.result_int() == 400u);
  BOOST_TEST(rest.body().find(R"("field":"to")") != std::string::npos);
  const auto& graph = std::get<http::response>(c.graph);
  BOOST_TEST(graph.body().find(R"("code":131008)") != std::string::npos);
  // Not JSON at all.
  c = check_both("{\"to\":");
  BOOST_TEST(std::get<http::response>(c.rest).body().find("invalid_json") != std::string::npos);
  BOOST_TEST(std::get<http::response>(c.graph).body().find(R"("code":100)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
