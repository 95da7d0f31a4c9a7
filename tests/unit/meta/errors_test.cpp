// meta::errors: the one table of Graph error codes (titles for the log, explanations and
// actions for GET /v1/meta/errors and the web app).
#include <enfinito/meta/errors.hpp>
#include <enfinito/meta/graph.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(meta_errors)

BOOST_AUTO_TEST_CASE(every_row_is_complete_sorted_and_unique) {
  const auto t = meta::error_table();
  BOOST_TEST(t.size() >= 40u);
  std::set<std::int64_t> seen;
  for (const auto& e : t) {
    BOOST_TEST_CONTEXT(e.code) {
      BOOST_TEST(!e.title.empty());
      BOOST_TEST(!e.explanation.empty());
      BOOST_TEST(!e.action.empty());
      BOOST_TEST(e.explanation.back() == '.');  // plain sentences
      BOOST_TEST(e.action.back() == '.');
      BOOST_TEST(seen.insert(e.code).second);
    }
  }
  BOOST_TEST(std::is_sorted(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.code < b.code; }));
}

BOOST_AUTO_TEST_CASE(every_code_the_send_queue_treats_specially_is_explained) {
  // The queue acts on meta::classify (retry, pause for a new token) and on the throttle codes
  // of outbound/pacing.cpp; a customer who sees one of them must find it in the table. Every
  // code classify does not call permanent is found by asking it, so a code added there and
  // forgotten here fails this test.
  for (std::int64_t code = 0; code < 200000; ++code) {
    meta::graph_error e;
    e.envelope = true;
    e.code = code;
    if (meta::classify(e) != meta::disposition::permanent) BOOST_TEST_CONTEXT(code) {
        BOOST_TEST(meta::find_error(code) != nullptr);
      }
  }
  for (std::int64_t code : {4, 17, 341, 80007, 130429, 131056})  // outbound/pacing.cpp's throttles
    BOOST_TEST_CONTEXT(code) { BOOST_TEST(meta::find_error(code) != nullptr); }
  // And the ones the web contract names.
  for (std::int64_t code : {131047, 131026, 131051, 131056, 132000, 132001, 132005, 132007, 132012, 132015, 132016,
                            133010, 130429, 131048, 131049, 190,    10,     100,    200,    368,    4,      80007,
                            2,      131000, 131008, 131009, 131030, 131031, 131042, 131045, 131053})
    BOOST_TEST_CONTEXT(code) { BOOST_TEST(meta::find_error(code) != nullptr); }
}

BOOST_AUTO_TEST_CASE(the_log_titles_come_from_the_table) {
  for (const auto& e : meta::error_table()) BOOST_TEST(meta::error_title(e.code) == e.title);
  BOOST_TEST(meta::find_error(987654321) == nullptr);
  BOOST_TEST(meta::error_title(987654321) == "Graph API error");
  BOOST_TEST(meta::find_error(131047)->action.find("template") != std::string_view::npos);
  BOOST_TEST(meta::find_error(190)->action.find("access token") != std::string_view::npos);
}

BOOST_AUTO_TEST_SUITE_END()
