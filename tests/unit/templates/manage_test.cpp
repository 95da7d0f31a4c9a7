// templates::list_filter: a checked list query becomes the copy's filter; a cursor this API
// never gave is named, not served. templates::page_json: a page with the REST API's paging;
// graph_list_body: a page in Meta's list shape.
#include <enfinito/templates/manage.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(templates_manage)

BOOST_AUTO_TEST_CASE(a_page_in_metas_list_shape) {
  templates::copy_page empty;
  auto o = templates::graph_list_body(empty, "https://gw/next?after=");
  BOOST_TEST(o.at("data").as_array().empty());
  BOOST_TEST(!o.contains("paging"));  // no data: no cursors

  templates::copy_page first;
  first.data.push_back(boost::json::object{{"name", "a"}});
  first.next = "6e";
  o = templates::graph_list_body(first, "https://gw/next?after=");
  BOOST_TEST(o.at("data").as_array().size() == 1u);
  const auto& paging = o.at("paging").as_object();
  BOOST_TEST(paging.at("cursors").as_object().at("before").is_null());
  BOOST_TEST(paging.at("cursors").as_object().at("after").as_string() == "6e");
  BOOST_TEST(paging.at("next").as_string() == "https://gw/next?after=6e");

  templates::copy_page last;
  last.data.push_back(boost::json::object{{"name", "b"}});
  last.previous = "70";
  o = templates::graph_list_body(last, "https://gw/next?after=");
  BOOST_TEST(o.at("paging").as_object().at("cursors").as_object().at("before").as_string() == "70");
  BOOST_TEST(o.at("paging").as_object().at("cursors").as_object().at("after").is_null());
  BOOST_TEST(!o.at("paging").as_object().contains("next"));
}

BOOST_AUTO_TEST_CASE(a_query_becomes_the_filter) {
  store::templates::row r;
  r.name = "order_update";
  r.language = "en_US";
  meta::template_query q;
  q.limit = 7;
  q.name = "order_update";
  q.status = "APPROVED";
  q.language = "en_US";
  q.after = templates::cursor_after(r);
  store::templates::filter f;
  BOOST_TEST(!templates::list_filter(q, f));
  BOOST_TEST(f.limit == 7u);
  BOOST_TEST(f.name == "order_update");
  BOOST_TEST(f.status == "APPROVED");
  BOOST_TEST(f.language == "en_US");
  BOOST_TEST(!f.after.empty());
  BOOST_TEST(f.before.empty());
}

BOOST_AUTO_TEST_CASE(a_foreign_cursor_is_named) {
  meta::template_query q;
  q.after = "zz";
  store::templates::filter f;
  BOOST_TEST(*templates::list_filter(q, f) == "after");
  meta::template_query b;
  b.before = "6869";  // hex of "hi": no separator, not one of ours
  store::templates::filter g;
  BOOST_TEST(*templates::list_filter(b, g) == "before");
}

BOOST_AUTO_TEST_CASE(a_page_carries_graph_paging) {
  templates::copy_page page;
  page.data.push_back(boost::json::object{{"name", "order_update"}});
  page.next = "c1";
  const auto o = templates::page_json(page);
  BOOST_TEST(o.at("data").as_array().size() == 1u);
  BOOST_TEST(o.at("paging").as_object().at("after").as_string() == "c1");
  BOOST_TEST(o.at("paging").as_object().at("before").is_null());
  BOOST_TEST(templates::page_json({}).at("paging").as_object().at("after").is_null());
}

BOOST_AUTO_TEST_SUITE_END()
