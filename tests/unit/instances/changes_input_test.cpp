// instances::read_changes: an instance's create / update body checked field by field, without
// a server; a credential's value never appears in a problem.
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/instances/changes_input.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace {
using namespace enfinito;
namespace json = boost::json;

constexpr std::string_view full =
    R"({"name":"Shop","phone_number_id":"1234567","waba_id":"7654321","app_id":"55555",
        "access_token":"EAAGtokentokentokentoken","app_secret":"abcdef0123456789"})";

std::optional<meta::input_problem> read(std::string_view body, bool create, instances::changes& in) {
  return instances::read_changes(json::parse(body), create, in);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(instances_changes_input)

BOOST_AUTO_TEST_CASE(a_full_create_body_fills_every_credential) {
  instances::changes in;
  BOOST_TEST(!read(full, true, in));
  BOOST_TEST(*in.name == "Shop");
  BOOST_TEST(in.values[crypto::f_phone]->reveal() == "1234567");
  BOOST_TEST(in.values[crypto::f_token]->reveal() == "EAAGtokentokentokentoken");
}

BOOST_AUTO_TEST_CASE(create_requires_every_credential_update_does_not) {
  instances::changes in;
  auto p = read(R"({"phone_number_id":"1234567"})", true, in);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->code == "missing_field");
  BOOST_TEST(p->field == "waba_id");
  instances::changes up;
  BOOST_TEST(!read(R"({"phone_number_id":"1234567"})", false, up));
}

BOOST_AUTO_TEST_CASE(status_only_on_update) {
  instances::changes in;
  BOOST_TEST(!read(R"({"status":"disabled"})", false, in));
  BOOST_TEST(*in.status == "disabled");
  BOOST_TEST(read(R"({"status":"paused"})", false, in)->field == "status");
  BOOST_TEST(read(R"({"status":"active"})", true, in)->code == "unknown_field");
}

BOOST_AUTO_TEST_CASE(bad_values_name_their_field_never_their_value) {
  BOOST_TEST_CONTEXT("bad credential values") {
    for (const auto* b : {R"({"phone_number_id":"12ab"})", R"({"access_token":"short"})",
                          R"({"app_secret":"with space 0123456789"})", R"({"app_id":7})"}) {
      instances::changes in;
      auto p = read(b, false, in);
      BOOST_REQUIRE(p);
      BOOST_TEST(p->code == "invalid_field");
      BOOST_TEST(p->detail.find("12ab") == std::string::npos);
      BOOST_TEST(p->detail.find("short") == std::string::npos);
    }
  }
  instances::changes in;
  BOOST_TEST(read(R"({"name":""})", false, in)->field == "name");
  BOOST_TEST(read(R"({"name":"a\u0001b"})", false, in)->field == "name");
  BOOST_TEST(read(R"({"media_fetch":"yes"})", false, in)->field == "media_fetch");
  BOOST_TEST(read(R"({"color":"red"})", false, in)->code == "unknown_field");
  BOOST_TEST(read(R"([1])", false, in)->code == "invalid_body");
}

BOOST_AUTO_TEST_CASE(a_window_policy_outside_the_four_has_its_own_code) {
  instances::changes in;
  BOOST_TEST(!read(R"({"window_policy":"warn"})", false, in));
  BOOST_TEST(*in.window_policy == "warn");
  auto p = read(R"({"window_policy":"sometimes"})", false, in);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->code == instances::invalid_window_policy);
  BOOST_TEST(p->field == "window_policy");
}

BOOST_AUTO_TEST_CASE(the_phone_number_id_must_not_be_the_waba_id) {
  instances::changes in;
  auto p = read(R"({"phone_number_id":"1234567","waba_id":"1234567"})", false, in);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->code == "phone_number_id_is_waba_id");
}

BOOST_AUTO_TEST_CASE(digits_bounds) {
  BOOST_TEST(instances::digits("100", 1, 3));
  BOOST_TEST(!instances::digits("1000", 1, 3));
  BOOST_TEST(!instances::digits("", 1, 3));
  BOOST_TEST(!instances::digits("1a", 1, 3));
}

BOOST_AUTO_TEST_SUITE_END()
