// broadcasts::csv_field and append_outcomes_csv: RFC 4180 quoting, formula-safe fields, and
// one CRLF line per outcome; broadcasts::view's counts.
#include <enfinito/broadcasts/report.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(broadcasts_report)

BOOST_AUTO_TEST_CASE(csv_fields_are_quoted_and_formula_safe) {
  struct row {
    std::string in, out;
  };
  const row rows[] = {
      {"plain", "plain"},
      {"", ""},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"two\r\nlines", "\"two\r\nlines\""},
      {"=SUM(A1)", "\"'=SUM(A1)\""},
      {"+1555", "\"'+1555\""},
      {"-2", "\"'-2\""},
      {"@x", "\"'@x\""},
      {"a=b", "a=b"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.in) {
      std::string out;
      broadcasts::csv_field(out, r.in);
      BOOST_TEST(out == r.out);
    }
  }
}

BOOST_AUTO_TEST_CASE(outcome_lines) {
  std::vector<store::broadcasts::outcome_row> rows(2);
  rows[0].message_id = "msg_1";
  rows[0].peer = "15551234567";
  rows[0].status = "sent";
  rows[0].wamid = "wamid.X";
  rows[0].updated_at = 42;
  rows[1].message_id = "msg_2";
  rows[1].peer = "15557654321";
  rows[1].status = "failed";
  rows[1].error_code = 131026;
  rows[1].error_title = "Message undeliverable, \"really\"";
  rows[1].updated_at = 43;
  std::string out;
  broadcasts::append_outcomes_csv(out, rows);
  BOOST_TEST(out ==
             "msg_1,15551234567,sent,wamid.X,,,42\r\n"
             "msg_2,15557654321,failed,,131026,\"Message undeliverable, \"\"really\"\"\",43\r\n");
}

BOOST_AUTO_TEST_CASE(view_counts_fold_statuses) {
  store::broadcasts::broadcast b;
  b.id = "brd_1";
  store::broadcasts::counts n;
  n.by_status = {{"accepted", 2}, {"sending", 1}, {"failed", 3}, {"dead", 1}, {"read", 5}};
  n.failed_by_code = {{"131026", 3}};
  const auto o = broadcasts::view(b, &n);
  const auto& c = o.at("counts").as_object();
  BOOST_TEST(c.at("queued").as_int64() == 3);
  BOOST_TEST(c.at("failed").as_int64() == 4);
  BOOST_TEST(c.at("read").as_int64() == 5);
  BOOST_TEST(c.at("sent").as_int64() == 0);
  BOOST_TEST(c.at("failed_by_code").as_object().at("131026").as_int64() == 3);
  BOOST_TEST(o.at("expires_at").is_null());
  BOOST_TEST(!broadcasts::view(b, nullptr).contains("counts"));
}

BOOST_AUTO_TEST_CASE(a_full_page_gives_the_last_created_at_as_cursor) {
  std::vector<store::broadcasts::broadcast> rows(2);  // newest first, as the store lists them
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].id = "brd_" + std::to_string(rows.size() - i);
    rows[i].created_at = 100 * static_cast<std::int64_t>(rows.size() - i);
  }
  const std::vector<store::broadcasts::counts> counts(2);
  const auto full = broadcasts::list_json(rows, counts, 2);
  BOOST_TEST(full.begin()->key() == "object");
  BOOST_TEST(full.at("object").as_string() == "list");
  BOOST_TEST(full.at("data").as_array().size() == 2u);
  BOOST_TEST(full.at("data").as_array()[0].as_object().contains("counts"));
  BOOST_TEST(full.at("next_cursor").as_string() == "100");
  BOOST_TEST(broadcasts::list_json(rows, counts, 3).at("next_cursor").is_null());
}

BOOST_AUTO_TEST_SUITE_END()
