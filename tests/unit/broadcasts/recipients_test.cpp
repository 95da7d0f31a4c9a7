// broadcasts::recipients (pure): reading JSON and CSV lists, every row checked, rejections
// named by row (JSON position, CSV line), duplicates and parameter counts, and the template
// body each row becomes (it passes Meta's rules for a template message).
#include <enfinito/broadcasts/recipients.hpp>
#include <enfinito/meta/message_rules.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;
using namespace enfinito::broadcasts;
namespace json = boost::json;

namespace {

const template_ref tpl{"order_update", "en_US"};

recipient_list checked_json(std::string_view text) {
  auto l = read_json(json::parse(text));
  check_all(tpl, l);
  return l;
}

recipient_list checked_csv(std::string_view text) {
  auto l = read_csv(text);
  check_all(tpl, l);
  return l;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(broadcasts_recipients)

BOOST_AUTO_TEST_CASE(numbers_take_meta_punctuation_and_need_a_country_code) {
  BOOST_TEST(*number_key("+1 (555) 123-4567") == "15551234567");
  BOOST_TEST(*number_key("447700900123") == "447700900123");
  BOOST_TEST(!number_key("0555123456"));           // a national number: no country code
  BOOST_TEST(!number_key("+1555"));                // too short
  BOOST_TEST(!number_key("+1234567890123456"));    // 16 digits: longer than E.164
  BOOST_TEST(!number_key("+1555123456a"));
  BOOST_TEST(!number_key("1+5551234567"));         // '+' only first
}

BOOST_AUTO_TEST_CASE(json_rows_are_rejected_by_position_with_the_field) {
  auto l = checked_json(R"([
    {"to": "+15551230001", "parameters": ["Ana", "#1"]},
    {"to": "12", "parameters": ["Bo", "#2"]},
    {"to": "+15551230003", "parameters": ["Cy"]},
    {"to": "+15551230004", "parameters": ["Di", "line\nbreak"]},
    {"to": "+15551230001", "parameters": ["Ana", "#1"]},
    {"to": "+15551230006", "parameters": ["Ed", "#6"], "extra": 1},
    "not an object",
    {"to": "+15551230008", "parameters": ["Fa", "     five spaces"]},
    {"to": "+15551230009", "parameters": ["Gi", ""]},
    {"to": "+15551230010", "parameters": ["Hu", "#10"]}
  ])");
  BOOST_TEST(l.rows.size() == 2u);
  BOOST_TEST(l.rows[0].row == 1u);
  BOOST_TEST(l.rows[1].row == 10u);
  BOOST_TEST(l.rejected_count == 8u);
  BOOST_REQUIRE(l.rejected.size() == 8u);
  const std::vector<std::pair<std::size_t, std::string>> want{
      {2, "to"}, {3, "parameters"}, {4, "parameters[1]"}, {5, "to"},
      {6, "extra"}, {7, ""}, {8, "parameters[1]"}, {9, "parameters[1]"}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST_CONTEXT("rejection " << i) {
      BOOST_TEST(l.rejected[i].row == want[i].first);
      BOOST_TEST(l.rejected[i].field == want[i].second);
      BOOST_TEST(!l.rejected[i].detail.empty());
    }
  }
  // The detail never echoes the value.
  for (const auto& r : l.rejected) BOOST_TEST(r.detail.find("break") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(named_parameters_must_match_across_rows) {
  auto l = checked_json(R"([
    {"to": "+15551230001", "parameters": {"first_name": "Ana"}},
    {"to": "+15551230002", "parameters": {"name": "Bo"}},
    {"to": "+15551230003", "parameters": {"first_name": "Cy"}},
    {"to": "+15551230004", "parameters": {"Bad-Name": "Di"}}
  ])");
  BOOST_TEST(l.rows.size() == 2u);
  BOOST_REQUIRE(l.rejected.size() == 2u);
  BOOST_TEST(l.rejected[0].row == 2u);
  BOOST_TEST(l.rejected[1].row == 4u);
  BOOST_TEST(l.rejected[1].field == "parameters.Bad-Name");
}

BOOST_AUTO_TEST_CASE(csv_rows_are_rejected_by_line) {
  const std::string csv =
      "\xEF\xBB\xBFto,name,order\r\n"
      "+15551230001,Ana,#1\r\n"
      "not-a-number,Bo,#2\r\n"
      "\r\n"
      "+15551230004,\"Di, the second\",\"say \"\"hi\"\"\"\r\n"
      "+15551230005,Ed\r\n"
      "+15551230006,\"two\nlines\",#6\r\n"
      "+15551230007,Fa,#7\n";
  auto l = checked_csv(csv);
  BOOST_TEST(l.rows.size() == 3u);
  BOOST_TEST(l.rows[1].parameters[0] == "Di, the second");
  BOOST_TEST(l.rows[1].parameters[1] == "say \"hi\"");
  BOOST_TEST(l.rows[2].row == 9u);  // the quoted newline counts as a line
  BOOST_REQUIRE(l.rejected.size() == 3u);
  BOOST_TEST(l.rejected[0].row == 3u);
  BOOST_TEST(l.rejected[0].field == "to");
  BOOST_TEST(l.rejected[1].row == 6u);  // wrong column count
  BOOST_TEST(l.rejected[2].row == 7u);  // newline inside a parameter
}

BOOST_AUTO_TEST_CASE(an_unusable_list_is_refused_whole) {
  BOOST_TEST(read_json(json::parse("[]")).fatal.has_value());
  BOOST_TEST(read_json(json::parse("{}")).fatal.has_value());
  BOOST_TEST(read_csv("").fatal.has_value());
  BOOST_TEST(read_csv("name,to\n+15551230001,Ana\n").fatal.has_value());  // `to` first
  BOOST_TEST(read_csv("to\n").fatal.has_value());                          // no row
  std::string big = "to\n";
  for (std::size_t i = 0; i <= max_recipients; ++i) big += "+1555" + std::to_string(1000000 + i) + "\n";
  auto l = read_csv(big);
  BOOST_TEST(l.fatal.has_value());
  BOOST_TEST(l.rows.empty());
}

BOOST_AUTO_TEST_CASE(each_row_becomes_a_template_message_meta_accepts) {
  recipient r{1, "+15551230001", {"Ana", "#1"}, {}};
  auto checked = meta::check_message(json::parse(template_body(tpl, r)));
  BOOST_TEST(checked.ok);
  BOOST_TEST(checked.message.type == "template");
  auto v = json::parse(checked.message.body);
  const auto& params = v.at("template").at("components").at(0).at("parameters").as_array();
  BOOST_TEST(params.size() == 2u);
  BOOST_TEST(params[1].at("text").as_string() == "#1");
  recipient named{2, "+15551230002", {"Bo"}, {"first_name"}};
  auto n = json::parse(template_body(tpl, named));
  BOOST_TEST(n.at("template").at("components").at(0).at("parameters").at(0).at("parameter_name").as_string() ==
             "first_name");
  recipient none{3, "+15551230003", {}, {}};
  BOOST_TEST(!json::parse(template_body(tpl, none)).at("template").as_object().contains("components"));
}

BOOST_AUTO_TEST_SUITE_END()
