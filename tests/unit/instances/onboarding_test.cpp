// instances::onboarding's pure parts: Meta's debug_token answer read, every missing permission
// named, the override only where Meta can reach the URL, and the requests' shapes.
#include <enfinito/instances/onboarding.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;
using namespace enfinito::instances;

namespace {

constexpr std::int64_t now_s = 1'800'000'000;
constexpr std::int64_t week = 7 * 86400;

// A debug_token answer as Graph gives it for a system-user token.
std::string answer(std::string scopes, std::string granular, std::int64_t expires_at = 0,
                   std::string type = "SYSTEM_USER") {
  return R"({"data":{"app_id":"1","type":")" + type +
         R"(","application":"Enfinito","data_access_expires_at":0,)"
         R"("expires_at":)" +
         std::to_string(expires_at) + R"(,"is_valid":true,"issued_at":1700000000,"scopes":[)" + scopes +
         R"(],"granular_scopes":[)" + granular + R"(],"user_id":"100"}})";
}

const std::string both = R"("whatsapp_business_management","whatsapp_business_messaging","business_management")";
const std::string granted = R"({"scope":"whatsapp_business_management","target_ids":["111"]},)"
                            R"({"scope":"whatsapp_business_messaging","target_ids":["111"]})";

std::vector<token_problem> problems_of(const std::string& body, std::int64_t now = now_s) {
  auto t = parse_debug_token(body);
  BOOST_REQUIRE(t);
  return inspect_token(*t, "111", now, week);
}

bool names(const std::vector<token_problem>& ps, std::string_view code, std::string_view scope = {}) {
  for (const auto& p : ps)
    if (p.code == code && (scope.empty() || p.scope == scope)) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(instances_onboarding)

BOOST_AUTO_TEST_CASE(a_complete_system_user_token_has_no_problem) {
  auto t = parse_debug_token(answer(both, granted));
  BOOST_REQUIRE(t);
  BOOST_TEST(t->valid);
  BOOST_TEST(t->type == "SYSTEM_USER");
  BOOST_TEST(*t->expires_at == 0);
  BOOST_TEST(t->granular.size() == 2u);
  BOOST_TEST(inspect_token(*t, "111", now_s, week).empty());
}

BOOST_AUTO_TEST_CASE(a_missing_scope_is_named_and_blocks_sending_only_for_messaging) {
  auto ps = problems_of(answer(R"("whatsapp_business_management")", granted));
  BOOST_REQUIRE(ps.size() == 1u);
  BOOST_TEST(ps[0].code == "scope_missing");
  BOOST_TEST(ps[0].scope == "whatsapp_business_messaging");
  BOOST_TEST(ps[0].blocks_sending);
  BOOST_TEST(ps[0].detail.find("whatsapp_business_messaging") != std::string::npos);

  ps = problems_of(answer(R"("whatsapp_business_messaging")", granted));
  BOOST_REQUIRE(ps.size() == 1u);
  BOOST_TEST(ps[0].scope == "whatsapp_business_management");
  BOOST_TEST(!ps[0].blocks_sending);
}

BOOST_AUTO_TEST_CASE(a_scope_whose_targets_leave_out_the_waba_is_named) {
  const std::string other = R"({"scope":"whatsapp_business_management"},)"
                            R"({"scope":"whatsapp_business_messaging","target_ids":["222","333"]})";
  auto ps = problems_of(answer(both, other));
  BOOST_REQUIRE(ps.size() == 1u);
  BOOST_TEST(ps[0].code == "waba_not_granted");
  BOOST_TEST(ps[0].scope == "whatsapp_business_messaging");
  BOOST_TEST(ps[0].detail.find("111") != std::string::npos);
  BOOST_TEST(ps[0].blocks_sending);
}

BOOST_AUTO_TEST_CASE(an_expiry_is_flagged_and_soon_within_the_warning) {
  auto ps = problems_of(answer(both, granted, now_s + 30 * 86400, "USER"));
  BOOST_TEST(names(ps, "token_expires"));
  BOOST_TEST(!names(ps, "token_expires_soon"));
  ps = problems_of(answer(both, granted, now_s + 6 * 86400, "USER"));
  BOOST_TEST(names(ps, "token_expires_soon"));
  BOOST_TEST(!ps[0].blocks_sending);
}

BOOST_AUTO_TEST_CASE(an_invalid_or_wrong_kind_of_token_blocks) {
  auto t = parse_debug_token(
      R"({"data":{"error":{"code":190,"subcode":463,"message":"expired"},"is_valid":false,"scopes":[]}})");
  BOOST_REQUIRE(t);
  auto ps = inspect_token(*t, "111", now_s, week);
  BOOST_REQUIRE(ps.size() == 1u);
  BOOST_TEST(ps[0].code == "token_invalid");
  BOOST_TEST(ps[0].detail.find("expired") != std::string::npos);
  BOOST_TEST(ps[0].blocks_sending);
  ps = problems_of(answer(both, granted, 0, "APP"));
  BOOST_TEST(names(ps, "token_type"));
}

BOOST_AUTO_TEST_CASE(answers_without_data_are_not_read) {
  BOOST_TEST(!parse_debug_token("{}"));
  BOOST_TEST(!parse_debug_token("not json"));
  BOOST_TEST(!parse_debug_token(R"({"data":[]})"));
}

BOOST_AUTO_TEST_CASE(meta_reaches_only_public_https_urls) {
  BOOST_TEST(reachable_by_meta("https://gw.example.com"));
  BOOST_TEST(reachable_by_meta("https://gw.example.com:8443/base"));
  BOOST_TEST(reachable_by_meta("https://8.8.8.8"));
  BOOST_TEST(!reachable_by_meta("http://gw.example.com"));
  BOOST_TEST(!reachable_by_meta("https://127.0.0.1:8080"));
  BOOST_TEST(!reachable_by_meta("https://10.1.2.3"));
  BOOST_TEST(!reachable_by_meta("https://[::1]"));
  BOOST_TEST(!reachable_by_meta("https://localhost"));
  BOOST_TEST(!reachable_by_meta("https://gw.internal"));
  BOOST_TEST(!reachable_by_meta("https://intranet"));
  BOOST_TEST(!reachable_by_meta(""));
}

BOOST_AUTO_TEST_CASE(the_override_follows_the_mode) {
  BOOST_TEST(decide_override("auto", "https://gw.example.com").use);
  auto d = decide_override("auto", "http://127.0.0.1:8080");
  BOOST_TEST(!d.use);
  BOOST_TEST(d.why_not.find("public_url") != std::string::npos);
  BOOST_TEST(decide_override("always", "http://127.0.0.1:8080").use);
  BOOST_TEST(!decide_override("never", "https://gw.example.com").use);
}

BOOST_AUTO_TEST_CASE(requests_have_meta_s_shapes) {
  const core::secret_string token(std::string("EAAB+token/x"));
  auto r = debug_token_request("v23.0", token);
  BOOST_TEST(r.method == "GET");
  BOOST_TEST(r.target == "/v23.0/debug_token?input_token=EAAB%2Btoken%2Fx");
  r = subscribe_request("v23.0", "111");
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.target == "/v23.0/111/subscribed_apps");
  BOOST_TEST(r.body.empty());
  const core::secret_string verify(std::string("vt"));
  r = subscribe_request("v23.0", "111", "https://gw.example.com/webhooks/meta/ins_1", &verify);
  auto body = boost::json::parse(r.body).as_object();
  BOOST_TEST(body.at("override_callback_uri").as_string() == "https://gw.example.com/webhooks/meta/ins_1");
  BOOST_TEST(body.at("verify_token").as_string() == "vt");
  BOOST_TEST(r.content_type == "application/json");
  BOOST_TEST(callback_url("https://gw.example.com/", "ins_1") == "https://gw.example.com/webhooks/meta/ins_1");
}

BOOST_AUTO_TEST_SUITE_END()
