// accounts::read_key_instances: a new key's instance scope, read from its body or refused with
// what to say (accounts/api_keys.hpp).
#include <enfinito/accounts/api_keys.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(accounts_api_keys)

BOOST_AUTO_TEST_CASE(absent_or_null_is_every_instance) {
  std::vector<std::string> ids;
  BOOST_TEST(!accounts::read_key_instances(nullptr, ids));
  const boost::json::value null_value;
  BOOST_TEST(!accounts::read_key_instances(&null_value, ids));
  BOOST_TEST(ids.empty());
}

BOOST_AUTO_TEST_CASE(an_array_of_ids_is_read) {
  std::vector<std::string> ids;
  const auto v = boost::json::parse(R"(["ins_a", "ins_b-2"])");
  BOOST_TEST(!accounts::read_key_instances(&v, ids));
  BOOST_TEST(ids == (std::vector<std::string>{"ins_a", "ins_b-2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(refusals_name_what_is_wrong) {
  struct row {
    std::string body;
    std::string detail;
    std::string code;
  };
  std::string many = "[";
  for (std::size_t i = 0; i <= accounts::max_key_instances; ++i)
    many += (i ? ",\"ins_" : "\"ins_") + std::to_string(i) + "\"";
  many += "]";
  for (const auto& r : {row{R"("ins_a")", "must be an array of instance ids", "invalid_type"},
                        row{many, "too many instances", "invalid_field"},
                        row{R"(["ins_a", 7])", "must hold instance ids", "invalid_field"},
                        row{R"([""])", "must hold instance ids", "invalid_field"},
                        row{R"(["a/b"])", "must hold instance ids", "invalid_field"},
                        row{"[\"" + std::string(65, 'a') + "\"]", "must hold instance ids", "invalid_field"}}) {
    BOOST_TEST_CONTEXT(r.body.substr(0, 40)) {
      std::vector<std::string> ids;
      const auto v = boost::json::parse(r.body);
      auto bad = accounts::read_key_instances(&v, ids);
      BOOST_REQUIRE(bad);
      BOOST_TEST(bad->detail == r.detail);
      BOOST_TEST(bad->code == r.code);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
