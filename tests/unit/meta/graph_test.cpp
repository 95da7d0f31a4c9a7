// meta::graph (sans-I/O): Meta's error envelopes from the shared fixtures, the retry policy,
// request targets and the phone-number parsers.
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/graph.hpp>

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

namespace {
using namespace enfinito;
using namespace enfinito::meta;

std::string fixture(const std::string& name) {
  return test::read_file(std::filesystem::path(ENFINITO_SHARED_DIR) / "meta" / "fixtures" / name);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(meta_graph)

BOOST_AUTO_TEST_CASE(parses_the_error_envelope) {
  const auto body = fixture("error-190-token-expired.json");
  if (body.empty()) return;  // fixtures not present on this machine
  auto e = parse_error(401, body);
  BOOST_TEST(e.envelope);
  BOOST_TEST(e.http_status == 401u);
  BOOST_TEST(e.code == 190);
  BOOST_TEST(e.subcode == 463);
  BOOST_TEST(e.type == "OAuthException");
  BOOST_TEST(e.fbtrace_id == "AGLO-gYHwGe9Sv0wbcURNot");
  BOOST_TEST(to_string(classify(e)) == "needs_reauth");

  auto rate = parse_error(400, fixture("error-130429.json"));
  BOOST_TEST(rate.code == 130429);
  BOOST_TEST(rate.details.find("throughput") != std::string::npos);
  BOOST_TEST(to_string(classify(rate)) == "retryable");
}

BOOST_AUTO_TEST_CASE(classifies_by_code_not_status) {
  struct row {
    const char* file;
    disposition want;
  };
  const row rows[] = {
      {"error-190-token-invalid.json", disposition::needs_reauth},
      {"error-104-token-missing.json", disposition::permanent},
      {"error-2-service-unavailable.json", disposition::retryable},
      {"error-4-app-rate-limit.json", disposition::retryable},
      {"error-80007-waba-rate-limit.json", disposition::retryable},
      {"error-131056.json", disposition::retryable},
      {"error-131000-unknown.json", disposition::retryable},
      {"error-100-invalid-parameter.json", disposition::permanent},
      {"error-131047.json", disposition::permanent},
      {"error-132001.json", disposition::permanent},
      {"error-368-policy-block.json", disposition::permanent},
      {"error-10-permission-denied.json", disposition::permanent},
  };
  for (const auto& r : rows) {
    const auto body = fixture(r.file);
    if (body.empty()) continue;
    BOOST_TEST_CONTEXT(r.file) {
      // The same body under a misleading status: the code decides.
      BOOST_TEST(to_string(classify(parse_error(400, body))) == to_string(r.want));
      BOOST_TEST(to_string(classify(parse_error(500, body))) == to_string(r.want));
    }
  }
}

// Issue 23: an answer that is not I-JSON cannot be read with certainty: not an envelope, not
// a send answer (the queue then retries it flagged as a possible duplicate).
BOOST_AUTO_TEST_CASE(answers_that_are_not_i_json_are_unreadable) {
  BOOST_TEST(parse_error(400, R"({"error":{"code":100,"message":"m"}})").envelope);
  BOOST_TEST(!parse_error(400, R"({"error":{"code":100,"code":190}})").envelope);
  BOOST_TEST(!parse_error(400, R"({"error":{"code":1e999999}})").envelope);
  BOOST_TEST(parse_send_response(R"({"messages":[{"id":"wamid.A"}]})").has_value());
  BOOST_TEST(!parse_send_response(R"({"messages":[{"id":"wamid.A","id":"wamid.B"}]})"));
  BOOST_TEST(!parse_send_response(R"({"messages":[{"id":"wamid.A"}],"n":123456789012345678901234567890})"));
}

BOOST_AUTO_TEST_CASE(non_envelopes_fall_back_to_the_status) {
  BOOST_TEST(!parse_error(502, "<html>Bad gateway</html>").envelope);
  BOOST_TEST(to_string(classify(parse_error(502, "<html>"))) == "retryable");
  BOOST_TEST(to_string(classify(parse_error(503, ""))) == "retryable");
  BOOST_TEST(to_string(classify(parse_error(429, "{}"))) == "retryable");
  BOOST_TEST(to_string(classify(parse_error(401, "nope"))) == "needs_reauth");
  BOOST_TEST(to_string(classify(parse_error(404, "{\"error\":\"x\"}"))) == "permanent");
  auto t = parse_error(400, R"({"error":{"code":"1","is_transient":true,"message":"m"}})");
  BOOST_TEST(t.code == 1);
  BOOST_TEST(to_string(classify(parse_error(400, R"({"error":{"code":99999,"is_transient":true}})"))) == "retryable");
}

BOOST_AUTO_TEST_CASE(builds_targets_without_the_token) {
  auto r = get_phone_number("v23.0", "106540352242922");
  BOOST_TEST(r.method == "GET");
  BOOST_TEST(r.target ==
             "/v23.0/106540352242922?fields=id,display_phone_number,verified_name,quality_rating,throughput,"
             "whatsapp_business_manager_messaging_limit");
  auto l = list_waba_phone_numbers("v23.0", "102290129340398", "QVFI a&b");
  BOOST_TEST(l.target == "/v23.0/102290129340398/phone_numbers?limit=100&after=QVFI%20a%26b");
  // Path injection is encoded away.
  BOOST_TEST(get_phone_number("v23.0", "1/../me").target.find("/../") == std::string::npos);
  BOOST_TEST(valid_version("v23.0"));
  BOOST_TEST(!valid_version("23.0"));
  BOOST_TEST(!valid_version("v23"));
  BOOST_TEST(!valid_version("v23.x"));
}

BOOST_AUTO_TEST_CASE(parses_phone_numbers) {
  const auto body = fixture("phone-number-get-response.json");
  if (!body.empty()) {
    auto n = parse_phone_number(body);
    BOOST_REQUIRE(n.has_value());
    BOOST_TEST(n->id == "106540352242922");
    BOOST_TEST(n->display_phone_number == "15550783881");
    BOOST_TEST(n->verified_name == "Lucky Shrub");
    BOOST_TEST(n->quality_rating == "GREEN");
    BOOST_TEST(n->throughput_level == "STANDARD");  // the fixture's `throughput.level`
  }
  // Meta's level is kept as given when it looks like one; anything else is ignored.
  auto high = parse_phone_number(R"({"id":"1","display_phone_number":"15550001111","throughput":{"level":"HIGH"}})");
  BOOST_REQUIRE(high.has_value());
  BOOST_TEST(high->throughput_level == "HIGH");
  for (const char* odd : {R"({"level":"high; DROP"})", R"({"level":42})", R"("HIGH")", R"({})"}) {
    auto n = parse_phone_number(std::string(R"({"id":"1","display_phone_number":"1","throughput":)") + odd + "}");
    BOOST_REQUIRE(n.has_value());
    BOOST_TEST(n->throughput_level.empty(), odd);
  }
  // The messaging limit tier [D-ML]: kept when it looks like a tier name, else ignored.
  auto tier = parse_phone_number(
      R"({"id":"1","display_phone_number":"1","whatsapp_business_manager_messaging_limit":"TIER_2K"})");
  BOOST_REQUIRE(tier.has_value());
  BOOST_TEST(tier->messaging_limit_tier == "TIER_2K");
  for (const char* odd : {R"("tier_2k")", R"("TIER_")", R"("TIER_1K; x")", R"(250)", R"("BIG")"}) {
    auto n = parse_phone_number(
        std::string(R"({"id":"1","display_phone_number":"1","whatsapp_business_manager_messaging_limit":)") + odd +
        "}");
    BOOST_REQUIRE(n.has_value());
    BOOST_TEST(n->messaging_limit_tier.empty(), odd);
  }
  // A WABA object (what Graph returns when a WABA id is used as a phone number id).
  auto waba = parse_phone_number(R"({"id":"102290129340398","name":"Lucky Shrub","currency":"USD"})");
  BOOST_TEST((!waba && waba.error() == parse_failure::wrong_shape));
  auto junk = parse_phone_number("not json");
  BOOST_TEST((!junk && junk.error() == parse_failure::not_json));

  const auto page_body = fixture("waba-phone-numbers-response.json");
  if (!page_body.empty()) {
    auto page = parse_phone_number_page(page_body);
    BOOST_REQUIRE(page.has_value());
    BOOST_TEST(!page->numbers.empty());
    BOOST_TEST(page->numbers.front().id == "1906385232743451");
  }
  auto more =
      parse_phone_number_page(R"({"data":[{"id":"1"}],"paging":{"cursors":{"after":"abc"},"next":"https://x"}})");
  BOOST_REQUIRE(more.has_value());
  BOOST_TEST(more->after == "abc");
  auto last = parse_phone_number_page(R"({"data":[],"paging":{"cursors":{"after":"abc"}}})");
  BOOST_TEST(last->after.empty());
  BOOST_TEST(!parse_phone_number_page(R"({"nodata":1})").has_value());
}

BOOST_AUTO_TEST_CASE(client_accepts_only_an_origin) {
  BOOST_TEST(client::make({"https://graph.facebook.com", "v23.0"}).has_value());
  BOOST_TEST(client::make({"http://127.0.0.1:8080", "v23.0"}).has_value());
  BOOST_TEST(client::make({"http://[::1]:8080", "v23.0"}).has_value());
  BOOST_TEST(!client::make({"ftp://graph.facebook.com", "v23.0"}).has_value());
  BOOST_TEST(!client::make({"https://graph.facebook.com/v23.0", "v23.0"}).has_value());
  BOOST_TEST(!client::make({"https://user@graph.facebook.com", "v23.0"}).has_value());
  BOOST_TEST(!client::make({"https://graph.facebook.com:99999", "v23.0"}).has_value());
  BOOST_TEST(!client::make({"https://", "v23.0"}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
