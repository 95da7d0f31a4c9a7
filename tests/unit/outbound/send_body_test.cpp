// outbound::check_send (pure): a REST send's parsed body gets Meta's envelope defaults, gives
// up its scheduling fields, and is refused with the field named (a mark-as-read included).
#include <enfinito/outbound/accept.hpp>
#include <enfinito/outbound/send_body.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;
namespace json = boost::json;

namespace {

const std::int64_t now = 1'700'000'000'000;

std::variant<meta::checked_message, core::field_refusal> check(std::string_view text, outbound::schedule* when) {
  return outbound::check_send(json::parse(text), now, when);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outbound_send_body)

BOOST_AUTO_TEST_CASE(a_text_without_envelope_passes_and_its_schedule_is_taken_out) {
  outbound::schedule when;
  auto got = check(R"({"to":"15551234567","type":"text","text":{"body":"hi"},"send_at":1700000060000})", &when);
  BOOST_TEST_REQUIRE(std::holds_alternative<meta::checked_message>(got));
  const auto& m = std::get<meta::checked_message>(got);
  BOOST_TEST(m.type == "text");
  BOOST_TEST(m.to == "15551234567");
  BOOST_TEST(when.send_at == 1'700'000'060'000);
}

BOOST_AUTO_TEST_CASE(refusals_name_the_field_and_code) {
  struct row {
    const char* body;
    std::string field, code;
  };
  const row rows[] = {
      {R"({"to":"15551234567","type":"text"})", "text", "missing_field"},
      {R"({"to":"15551234567","type":"text","text":{"body":"hi"},"send_at":-5})", "send_at", "invalid_field"},
      {R"({"status":"read","message_id":"wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"})", "status",
       "not_a_message"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.body) {
      outbound::schedule when;
      auto got = check(r.body, &when);
      BOOST_TEST_REQUIRE(std::holds_alternative<core::field_refusal>(got));
      BOOST_TEST(std::get<core::field_refusal>(got).field == r.field);
      BOOST_TEST(std::get<core::field_refusal>(got).code == r.code);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
