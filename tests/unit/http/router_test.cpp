// http::router: matching, parameters, literal priority, 405 with Allow, bad encoding; and the
// fallback (set_fallback): consulted only when no pattern knows the path and its predicate
// agrees, out of the OpenAPI list, never matching like a pattern; and mounts (mount): a prefix
// served before any pattern, for GET and HEAD only, that no pattern may lie under.
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

BOOST_AUTO_TEST_SUITE(http_router)

BOOST_AUTO_TEST_CASE(matches_literals_and_parameters) {
  http::router r;
  r.add(verb::get, "/v1/instances", "instances.list", nop());
  r.add(verb::get, "/v1/instances/{id}", "instances.get", nop());
  r.add(verb::delete_, "/v1/instances/{id}", "instances.delete", nop());
  r.add(verb::get, "/v1/instances/{id}/messages", "messages.list", nop());

  auto m = r.match(verb::get, "/v1/instances/abc%20d");
  BOOST_REQUIRE(m.found);
  BOOST_TEST(m.found->name == "instances.get");
  BOOST_REQUIRE(m.params.size() == 1u);
  BOOST_TEST(m.params[0].first == "id");
  BOOST_TEST(m.params[0].second == "abc d");

  m = r.match(verb::get, "/v1/instances/7/messages");
  BOOST_REQUIRE(m.found);
  BOOST_TEST(m.found->name == "messages.list");

  BOOST_TEST(!r.match(verb::get, "/v1/instances/7/nope").found);
  BOOST_TEST(!r.match(verb::get, "/v1/instances/7/nope").path_known);
  BOOST_TEST(!r.match(verb::get, "/v1/instances/").found);  // empty parameter
  BOOST_TEST(!r.match(verb::get, "").found);
}

BOOST_AUTO_TEST_CASE(literal_beats_parameter) {
  http::router r;
  r.add(verb::get, "/v1/users/{id}", "users.get", nop());
  r.add(verb::get, "/v1/users/me", "users.me", nop());
  BOOST_TEST(r.match(verb::get, "/v1/users/me").found->name == "users.me");
  BOOST_TEST(r.match(verb::get, "/v1/users/42").found->name == "users.get");
}

BOOST_AUTO_TEST_CASE(method_not_allowed_lists_allow) {
  http::router r;
  r.add(verb::get, "/v1/me", "me.get", nop());
  r.add(verb::patch, "/v1/me", "me.patch", nop());
  auto m = r.match(verb::post, "/v1/me");
  BOOST_TEST(!m.found);
  BOOST_TEST(m.path_known);
  BOOST_TEST(m.allow == "GET, PATCH");
}

BOOST_AUTO_TEST_CASE(bad_percent_encoding_is_flagged) {
  http::router r;
  r.add(verb::get, "/v1/x/{id}", "x", nop());
  BOOST_TEST(r.match(verb::get, "/v1/x/%zz").bad_encoding);
  BOOST_TEST(r.match(verb::get, "/v1/x/%4").bad_encoding);
  BOOST_TEST(r.match(verb::get, "/v1/x/a%00b").bad_encoding);             // NUL
  BOOST_TEST(r.match(verb::get, "/v1/x/a+b").params[0].second == "a+b");  // '+' is literal in paths
}

BOOST_AUTO_TEST_CASE(bad_patterns_are_refused_at_startup) {
  http::router r;
  r.add(verb::get, "/a/{b}", "a", nop());
  BOOST_CHECK_THROW(r.add(verb::get, "/a/{b}", "dup", nop()), std::invalid_argument);
  BOOST_CHECK_THROW(r.add(verb::get, "no-slash", "x", nop()), std::invalid_argument);
  BOOST_CHECK_THROW(r.add(verb::get, "/a/{b", "x", nop()), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_router_fallback)

BOOST_AUTO_TEST_CASE(only_for_unknown_paths_it_accepts) {
  http::router r;
  r.add(verb::get, "/healthz", "ops.healthz", nop());
  r.add(verb::get, "/v1/instances/{id}", "instances.get", nop());
  const auto& fb = r.set_fallback(
      "web.app", [](verb m, std::string_view p) { return m == verb::get && !p.starts_with("/v1/"); }, nop());
  BOOST_TEST(!fb.options.public_doc);
  BOOST_TEST(fb.index == 2u);  // in the table: metrics count it under its name

  BOOST_TEST(r.match(verb::get, "/healthz").found->name == "ops.healthz");  // routes first
  BOOST_TEST(r.match(verb::get, "/").found == &fb);
  BOOST_TEST(r.match(verb::get, "/instances/x/conversations").found == &fb);
  BOOST_TEST(r.match(verb::get, "/v1/instances/x").found->name == "instances.get");
  BOOST_TEST(!r.match(verb::get, "/v1/nope").found);    // the predicate says no
  BOOST_TEST(!r.match(verb::post, "/anything").found);  // likewise
  auto known = r.match(verb::delete_, "/healthz");      // a known path keeps its 405
  BOOST_TEST(!known.found);
  BOOST_TEST(known.path_known);
  BOOST_TEST(known.allow == "GET");
  BOOST_TEST(r.match(verb::get, "/x").params.empty());
}

BOOST_AUTO_TEST_CASE(never_matches_as_a_pattern_and_is_set_once) {
  http::router r;
  r.set_fallback(
      "web.app", [](verb, std::string_view) { return false; }, nop());
  // A target that is no path ("*", absolute-form) splits to nothing: still no match.
  BOOST_TEST(!r.match(verb::get, "*").found);
  BOOST_TEST(!r.match(verb::get, "").found);
  BOOST_CHECK_THROW(r.set_fallback(
                        "again", [](verb, std::string_view) { return true; }, nop()),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_router_mount)

BOOST_AUTO_TEST_CASE(serves_get_and_head_under_its_prefix_before_any_pattern) {
  http::router r;
  r.add(verb::get, "/healthz", "ops.healthz", nop());
  r.add(verb::get, "/{a}/{b}/{c}", "params.three", nop());  // would match asset paths by shape
  const auto& m = r.mount("/assets/", "web.assets", nop());
  r.set_fallback(
      "web.app", [](verb, std::string_view) { return true; }, nop());
  BOOST_TEST(!m.options.public_doc);
  BOOST_TEST(m.index == 2u);  // in the table: metrics count it under its name
  BOOST_TEST(r.match(verb::get, "/assets/0123abcd/app.js").found == &m);
  BOOST_TEST(r.match(verb::head, "/assets/0123abcd/lib/api.js").found == &m);
  BOOST_TEST(r.match(verb::get, "/assets/").found == &m);  // the handler answers its 404
  BOOST_TEST(r.match(verb::get, "/assets/0123abcd/app.js").params.empty());
  // Other methods under it are not the mount's: here the shape-alike pattern knows the path.
  auto post = r.match(verb::post, "/assets/x/y");
  BOOST_TEST(!post.found);
  BOOST_TEST(post.path_known);
  // Outside the prefix the table and the fallback work as before.
  BOOST_TEST(r.match(verb::get, "/assets").found->name == "web.app");
  BOOST_TEST(r.match(verb::get, "/assetsx/a/b").found->name == "params.three");
  BOOST_TEST(r.match(verb::get, "/healthz").found->name == "ops.healthz");
}

BOOST_AUTO_TEST_CASE(no_pattern_lies_under_a_mount) {
  http::router r;
  r.add(verb::get, "/assets/logo.svg", "logo", nop());
  BOOST_CHECK_THROW(r.mount("/assets/", "web.assets", nop()), std::invalid_argument);
  http::router r2;
  r2.mount("/assets/", "web.assets", nop());
  BOOST_CHECK_THROW(r2.add(verb::get, "/assets/{x}", "x", nop()), std::invalid_argument);
  BOOST_CHECK_THROW(r2.mount("assets/", "bad", nop()), std::invalid_argument);
  BOOST_CHECK_THROW(r2.mount("/files", "bad", nop()), std::invalid_argument);
  BOOST_CHECK_THROW(r2.mount("/{x}/", "bad", nop()), std::invalid_argument);
}

// The table is scored only among patterns of the path's length: every length still works, and
// the first of equal scores wins as before.
BOOST_AUTO_TEST_CASE(patterns_of_every_length_match_as_before) {
  http::router r;
  r.add(verb::get, "/a", "one", nop());
  r.add(verb::get, "/a/{x}", "two.param", nop());
  r.add(verb::get, "/a/b", "two.literal", nop());
  r.add(verb::get, "/a/b/c/d/e/f", "six", nop());
  BOOST_TEST(r.match(verb::get, "/a").found->name == "one");
  BOOST_TEST(r.match(verb::get, "/a/b").found->name == "two.literal");
  BOOST_TEST(r.match(verb::get, "/a/q").found->name == "two.param");
  BOOST_TEST(r.match(verb::get, "/a/b/c/d/e/f").found->name == "six");
  BOOST_TEST(!r.match(verb::get, "/a/b/c/d/e/f/g/h/i/j").found);
  BOOST_TEST(!r.match(verb::get, "/a/b/c").path_known);
}

BOOST_AUTO_TEST_SUITE_END()
