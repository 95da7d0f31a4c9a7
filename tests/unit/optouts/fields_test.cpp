// optouts::read_add_body (pure): the body of POST …/optouts read into the number's list key,
// and each refusal naming its field and code.
#include <enfinito/optouts/fields.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(optouts_fields)

BOOST_AUTO_TEST_CASE(a_wa_id_is_read_as_its_list_key) {
  std::string wa_id;
  auto bad = optouts::read_add_body(json::parse(R"({"wa_id":"+49 151 2345678"})"), wa_id);
  BOOST_TEST(!bad);
  BOOST_TEST(wa_id == optouts::wa_id_key("+49 151 2345678"));
  BOOST_TEST(!wa_id.empty());
}

BOOST_AUTO_TEST_CASE(bad_bodies_are_refused_by_field) {
  struct row {
    const char* body;
    std::string field, code;
  };
  const row rows[] = {
      {R"([1])", "", "invalid_body"},
      {R"("x")", "", "invalid_body"},
      {R"({})", "wa_id", "invalid_field"},
      {R"({"wa_id":"12345678901234567890123456789012345678901234567890123456789012345"})", "wa_id",
       "invalid_field"},  // 65 characters
      {R"({"wa_id":15551234567})", "wa_id", "invalid_field"},
      {R"({"wa_id":""})", "wa_id", "invalid_field"},
      {R"({"phone":"15551234567"})", "phone", "unknown_field"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.body) {
      std::string wa_id;
      auto bad = optouts::read_add_body(json::parse(r.body), wa_id);
      BOOST_TEST_REQUIRE(bad.has_value());
      BOOST_TEST(bad->field == r.field);
      BOOST_TEST(bad->code == r.code);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
