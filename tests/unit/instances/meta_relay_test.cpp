// instances::media_not_found: which of Meta's errors on a media id mean "not this number's
// media" (a 404 to our caller, never a token problem).
#include <enfinito/instances/meta_relay.hpp>

#include "support/graph_error.hpp"

#include <boost/test/unit_test.hpp>

using namespace enfinito;
using test::graph_error_of;

BOOST_AUTO_TEST_SUITE(instances_meta_relay)

BOOST_AUTO_TEST_CASE(unknown_or_foreign_media_is_not_found) {
  BOOST_TEST(instances::media_not_found(graph_error_of(100, 400, 33)));
  BOOST_TEST(instances::media_not_found(graph_error_of(100)));
  BOOST_TEST(instances::media_not_found(graph_error_of(10)));
  BOOST_TEST(instances::media_not_found(graph_error_of(200)));
  BOOST_TEST(instances::media_not_found(graph_error_of(299)));
}

BOOST_AUTO_TEST_CASE(other_errors_are_not_a_missing_media) {
  BOOST_TEST(!instances::media_not_found(graph_error_of(100, 400, 2018001)));  // another invalid parameter
  BOOST_TEST(!instances::media_not_found(graph_error_of(190)));                // the token: needs_reauth instead
  BOOST_TEST(!instances::media_not_found(graph_error_of(300)));
  BOOST_TEST(!instances::media_not_found(graph_error_of(4)));  // throttled
  meta::graph_error not_graph;                                 // an answer without Graph's envelope
  not_graph.code = 100;
  not_graph.subcode = 33;
  BOOST_TEST(!instances::media_not_found(not_graph));
}

BOOST_AUTO_TEST_SUITE_END()
