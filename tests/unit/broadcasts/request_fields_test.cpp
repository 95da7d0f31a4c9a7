// broadcasts::read_csv_query (pure): a CSV create request's query parameters read into the
// request, and each refusal naming its parameter.
#include <enfinito/broadcasts/request_fields.hpp>

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

using namespace enfinito;
using namespace enfinito::broadcasts;

namespace {

// The query parameters `params` as read_csv_query asks for them.
query_fn query_of(std::map<std::string, std::string, std::less<>> params) {
  return [params = std::move(params)](std::string_view name) -> std::optional<std::string> {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(broadcasts_request_fields)

BOOST_AUTO_TEST_CASE(csv_query_parameters_fill_the_request) {
  const store::instances::instance row;
  create_request rq{row, "usr_1", std::nullopt};
  given_times t;
  auto bad = read_csv_query(query_of({{"template", "order_update"},
                                      {"language", "en_US"},
                                      {"name", "May"},
                                      {"send_at", "1700000000000"},
                                      {"expires_at", "1700000600000"},
                                      {"skip_invalid", "true"}}),
                            rq, t);
  BOOST_TEST(!bad);
  BOOST_TEST(rq.tpl.name == "order_update");
  BOOST_TEST(rq.tpl.language == "en_US");
  BOOST_TEST(rq.name == "May");
  BOOST_TEST(t.send_at == 1700000000000);
  BOOST_TEST(t.expires_at == 1700000600000);
  BOOST_TEST(rq.skip_invalid);
}

BOOST_AUTO_TEST_CASE(absent_parameters_keep_their_defaults) {
  const store::instances::instance row;
  create_request rq{row, "usr_1", std::nullopt};
  given_times t;
  BOOST_TEST(!read_csv_query(query_of({}), rq, t));
  BOOST_TEST(rq.tpl.name.empty());
  BOOST_TEST(t.send_at == 0);
  BOOST_TEST(t.expires_at == 0);
  BOOST_TEST(!rq.skip_invalid);
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_refused_by_name) {
  struct row {
    std::string param, value;
  };
  const row rows[] = {
      {"send_at", ""},       {"send_at", "-1"},       {"send_at", "1234567890123456"}, {"expires_at", "12a"},
      {"expires_at", "1e3"}, {"skip_invalid", "yes"}, {"skip_invalid", "TRUE"},        {"skip_invalid", ""},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.param << "=" << r.value) {
      const store::instances::instance inst;
      create_request rq{inst, "usr_1", std::nullopt};
      given_times t;
      auto bad = read_csv_query(query_of({{r.param, r.value}}), rq, t);
      BOOST_TEST_REQUIRE(bad.has_value());
      BOOST_TEST(bad->field == r.param);
      BOOST_TEST(bad->code == "invalid_field");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
