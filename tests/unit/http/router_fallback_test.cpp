// http::router::set_fallback: consulted only when no pattern knows the path, and only when its
// predicate agrees; it stays out of the OpenAPI list and never matches like a pattern.
#include <enfinito/http/router.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>

using namespace enfinito;
using http::verb;

namespace {
http::handler nop() {
  return [](http::request&) -> net::awaitable<http::response> { co_return http::no_content(); };
}
}  // namespace

BOOST_AUTO_TEST_SUITE(http_router_fallback)

BOOST_AUTO_TEST_CASE(only_for_unknown_paths_it_accepts) {
  http::router r;
  r.add(verb::get, "/healthz", "ops.healthz", nop());
  r.add(verb::get, "/v1/instances/{id}", "instances.get", nop());
  const auto& fb = r.set_fallback("web.app", [](verb m, std::string_view p) { return m == verb::get && !p.starts_with("/v1/"); },
                                  nop());
  BOOST_TEST(!fb.options.public_doc);
  BOOST_TEST(fb.index == 2u);  // in the table: metrics count it under its name

  BOOST_TEST(r.match(verb::get, "/healthz").found->name == "ops.healthz");  // routes first
  BOOST_TEST(r.match(verb::get, "/").found == &fb);
  BOOST_TEST(r.match(verb::get, "/instances/x/conversations").found == &fb);
  BOOST_TEST(r.match(verb::get, "/v1/instances/x").found->name == "instances.get");
  BOOST_TEST(!r.match(verb::get, "/v1/nope").found);   // the predicate says no
  BOOST_TEST(!r.match(verb::post, "/anything").found);  // likewise
  auto known = r.match(verb::delete_, "/healthz");     // a known path keeps its 405
  BOOST_TEST(!known.found);
  BOOST_TEST(known.path_known);
  BOOST_TEST(known.allow == "GET");
  BOOST_TEST(r.match(verb::get, "/x").params.empty());
}

BOOST_AUTO_TEST_CASE(never_matches_as_a_pattern_and_is_set_once) {
  http::router r;
  r.set_fallback("web.app", [](verb, std::string_view) { return false; }, nop());
  // A target that is no path ("*", absolute-form) splits to nothing: still no match.
  BOOST_TEST(!r.match(verb::get, "*").found);
  BOOST_TEST(!r.match(verb::get, "").found);
  BOOST_CHECK_THROW(r.set_fallback("again", [](verb, std::string_view) { return true; }, nop()),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
