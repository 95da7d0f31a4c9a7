// instances::explain_refusal: every failed credential check names what to fix, or says that
// nothing was checked.
#include <enfinito/instances/refusal.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(instances_refusal)

BOOST_AUTO_TEST_CASE(each_refused_credential_names_its_field) {
  using o = meta::verify_outcome;
  const struct {
    o outcome;
    std::string_view field, code;
  } cases[] = {{o::token_invalid, "access_token", "meta_token_invalid"},
               {o::no_permission, "access_token", "meta_no_permission"},
               {o::unknown_phone_number, "phone_number_id", "meta_unknown_phone_number"},
               {o::not_a_phone_number, "phone_number_id", "meta_not_a_phone_number"},
               {o::unknown_waba, "waba_id", "meta_unknown_waba"},
               {o::waba_not_owner, "waba_id", "meta_waba_not_owner"}};
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.code) {
      const auto r = instances::explain_refusal(c.outcome);
      BOOST_TEST((r.what == instances::refusal::kind::fix_input));
      BOOST_TEST(r.field == c.field);
      BOOST_TEST(r.code == c.code);
      BOOST_TEST(!r.detail.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(meta_not_answering_is_not_the_callers_fault) {
  const auto down = instances::explain_refusal(meta::verify_outcome::upstream_unavailable);
  BOOST_TEST((down.what == instances::refusal::kind::unavailable));
  BOOST_TEST(down.field.empty());
  BOOST_TEST(down.code == "meta_unavailable");
  const auto odd = instances::explain_refusal(meta::verify_outcome::upstream_error);
  BOOST_TEST((odd.what == instances::refusal::kind::meta_error));
  BOOST_TEST(odd.code == "meta_error");
}

BOOST_AUTO_TEST_SUITE_END()
