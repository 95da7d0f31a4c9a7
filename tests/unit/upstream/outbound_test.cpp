// upstream::outbound (P5): the list of reasons the daemon connects out is closed — every enum
// value is listed once, with a unique name, and the list is exactly the one docs/security.md
// promises — and connections are recorded per purpose and endpoint, bounded.
#include <enfinito/upstream/outbound.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(outbound_purposes)

BOOST_AUTO_TEST_CASE(the_list_of_purposes_is_closed_and_named_once_each) {
  const auto all = upstream::purposes();
  std::set<std::string> names;
  std::size_t index = 0;
  for (const auto& p : all) {
    BOOST_TEST(static_cast<std::size_t>(p.what) == index++, p.name);  // enum order, no gap
    BOOST_TEST(names.insert(std::string(p.name)).second, p.name);
    BOOST_TEST(upstream::name(p.what) == p.name);
  }
  // Adding a purpose is a change to the privacy promise: this list, docs/security.md ("Where
  // the daemon connects") and the P5 integration check change with it, on purpose.
  const std::set<std::string> promised{"meta_graph", "meta_media", "google", "smtp", "customer_webhook", "dev_sandbox"};
  BOOST_TEST((names == promised));
  // One past the last value is no purpose.
  BOOST_TEST(upstream::name(static_cast<upstream::purpose>(all.size())) == "unnamed");
}

BOOST_AUTO_TEST_CASE(connections_are_recorded_per_purpose_and_endpoint_and_bounded) {
  upstream::forget_connections();
  upstream::note_connect(upstream::purpose::meta_graph, "graph.facebook.com", "443");
  upstream::note_connect(upstream::purpose::meta_graph, "graph.facebook.com", "443");
  upstream::note_connect(upstream::purpose::smtp, "smtp.example.org", "587");
  upstream::note_unnamed_connect("127.0.0.1", "9");
  auto seen = upstream::connections();
  BOOST_REQUIRE(seen.size() == 3u);
  std::set<std::string> rows;
  for (const auto& e : seen) rows.insert(e.purpose + " " + e.host + ":" + e.port + " x" + std::to_string(e.connects));
  const std::set<std::string> expected{"meta_graph graph.facebook.com:443 x2", "smtp smtp.example.org:587 x1",
                                       "unnamed 127.0.0.1:9 x1"};
  BOOST_TEST((rows == expected));
  for (std::size_t i = 0; i < upstream::max_endpoints + 10; ++i)
    upstream::note_connect(upstream::purpose::customer_webhook, "hook" + std::to_string(i) + ".example.org", "443");
  BOOST_TEST(upstream::connections().size() == upstream::max_endpoints);
  BOOST_TEST(upstream::connections_not_itemised() == 13u);  // 3 were itemised before
  upstream::forget_connections();
  BOOST_TEST(upstream::connections().empty());
}

BOOST_AUTO_TEST_SUITE_END()
