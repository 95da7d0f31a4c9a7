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
  BOOST_TEST(!number_key("0555123456"));         // a national number: no country code
  BOOST_TEST(!number_key("+1555"));              // too short
  BOOST_TEST(!number_key("+1234567890123456"));  // 16 digits: longer than E.164
  BOOST_TEST(!number_key("+1555123456a"));
  BOOST_TEST(!number_key("1+5551234567"));  // '+' only first
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
      {2, "to"},    {3, "parameters"}, {4, "parameters[1]"}, {5, "to"},
      {6, "extra"}, {7, ""},           {8, "parameters[1]"}, {9, "parameters[1]"}};
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
  BOOST_TEST(read_csv("to\n").fatal.has_value());                         // no row
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

BOOST_AUTO_TEST_CASE(json_header_and_buttons_are_read_checked_and_the_same_on_every_row) {
  auto l = checked_json(R"([
    {"to": "+15551230001", "parameters": ["Ana"], "header": {"type": "document", "link": "https://example.com/a.pdf"},
     "buttons": [{"index": 1, "sub_type": "quick_reply", "payload": "stop-1"}, {"index": 0, "sub_type": "url", "text": "abc"}]},
    {"to": "+15551230002", "parameters": ["Bo"], "header": {"type": "document", "link": "ftp://example.com/b.pdf"},
     "buttons": [{"index": 0, "sub_type": "url", "text": "b"}, {"index": 1, "sub_type": "quick_reply", "payload": "s"}]},
    {"to": "+15551230003", "parameters": ["Cy"], "header": {"type": "image", "link": "https://example.com/c.png"},
     "buttons": [{"index": 0, "sub_type": "url", "text": "c"}, {"index": 1, "sub_type": "quick_reply", "payload": "s"}]},
    {"to": "+15551230004", "parameters": ["Di"], "header": {"type": "document", "link": "https://example.com/d.pdf"},
     "buttons": [{"index": 0, "sub_type": "url", "text": "d"}]},
    {"to": "+15551230005", "parameters": ["Ed"], "header": {"type": "document", "link": "https://example.com/e.pdf"},
     "buttons": [{"index": 0, "sub_type": "url", "text": "e"}, {"index": 1, "sub_type": "quick_reply", "payload": ""}]},
    {"to": "+15551230006", "parameters": ["Fa"], "header": {"type": "document", "url": "https://example.com/f.pdf"}},
    {"to": "+15551230007", "parameters": ["Gi"], "header": {"type": "document", "link": "https://example.com/g.pdf"},
     "buttons": [{"index": 10, "sub_type": "url", "text": "g"}]},
    {"to": "+15551230008", "parameters": ["Hu"], "header": {"type": "document", "link": "https://example.com/h.pdf"},
     "buttons": [{"index": 0, "sub_type": "copy_code", "text": "h"}]},
    {"to": "+15551230009", "parameters": ["Io"], "header": {"type": "document", "link": "https://example.com/i.pdf"},
     "buttons": [{"index": 0, "sub_type": "url", "text": "i"}, {"index": 0, "sub_type": "url", "text": "j"}]},
    {"to": "+15551230010", "parameters": ["Jo"], "header": {"type": "document", "link": "https://example.com/j.pdf"},
     "buttons": [{"index": 1, "sub_type": "quick_reply", "payload": "s"}, {"index": 0, "sub_type": "url", "text": "j"}]}
  ])");
  BOOST_REQUIRE(l.rows.size() == 2u);
  BOOST_TEST(l.rows[1].row == 10u);
  const auto& r = l.rows[0];
  BOOST_REQUIRE(r.header.has_value());
  BOOST_TEST(r.header->type == "document");
  BOOST_TEST(r.header->value == "https://example.com/a.pdf");
  BOOST_REQUIRE(r.buttons.size() == 2u);  // in index order, whatever the order given
  BOOST_TEST(r.buttons[0].index == 0u);
  BOOST_TEST(r.buttons[0].sub_type == "url");
  BOOST_TEST(r.buttons[1].value == "stop-1");
  const std::vector<std::pair<std::size_t, std::string>> want{
      {2, "header.link"},         {3, "header"},          {4, "buttons"},
      {5, "buttons[1].payload"},  {6, "header.url"},      {7, "buttons[0].index"},
      {8, "buttons[0].sub_type"}, {9, "buttons[1].index"}};
  BOOST_REQUIRE(l.rejected.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST_CONTEXT("rejection " << i) {
      BOOST_TEST(l.rejected[i].row == want[i].first);
      BOOST_TEST(l.rejected[i].field == want[i].second);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_text_header_follows_metas_rules) {
  auto l = checked_json(R"([
    {"to": "+15551230001", "header": {"type": "text", "text": "Summer"}},
    {"to": "+15551230002", "header": {"type": "text", "text": "a\nb"}},
    {"to": "+15551230003", "header": {"type": "text", "text": "0123456789012345678901234567890123456789012345678901234567890"}},
    {"to": "+15551230004", "header": {"type": "audio", "link": "https://example.com/x.ogg"}}
  ])");
  BOOST_TEST(l.rows.size() == 1u);
  BOOST_REQUIRE(l.rejected.size() == 3u);
  BOOST_TEST(l.rejected[0].field == "header.text");
  BOOST_TEST(l.rejected[1].field == "header.text");  // 61 bytes: Meta takes 60
  BOOST_TEST(l.rejected[2].field == "header.type");  // Meta has no audio header
}

BOOST_AUTO_TEST_CASE(csv_columns_name_the_header_and_buttons) {
  const std::string csv =
      "to,name,header_image,button_1_payload,order,button_0_url\n"
      "+15551230001,Ana,https://example.com/a.png,stop-1,#1,abc\n"
      "+15551230002,Bo,not a link,stop-2,#2,def\n"
      "+15551230003,Cy,https://example.com/c.png,,#3,ghi\n";
  auto l = checked_csv(csv);
  BOOST_REQUIRE(l.rows.size() == 1u);
  const auto& r = l.rows[0];
  BOOST_TEST(r.parameters == (std::vector<std::string>{"Ana", "#1"}));  // the other columns, in order
  BOOST_REQUIRE(r.header.has_value());
  BOOST_TEST(r.header->type == "image");
  BOOST_REQUIRE(r.buttons.size() == 2u);
  BOOST_TEST(r.buttons[0].sub_type == "url");
  BOOST_TEST(r.buttons[0].value == "abc");
  BOOST_TEST(r.buttons[1].index == 1u);
  BOOST_TEST(r.buttons[1].sub_type == "quick_reply");
  BOOST_REQUIRE(l.rejected.size() == 2u);
  BOOST_TEST(l.rejected[0].row == 3u);
  BOOST_TEST(l.rejected[0].field == "header.link");
  BOOST_TEST(l.rejected[1].row == 4u);
  BOOST_TEST(l.rejected[1].field == "buttons[1].payload");
  // A header line naming two headers, or one button twice, is refused whole.
  BOOST_TEST(read_csv("to,header_text,header_image\n+15551230001,a,https://x.example\n").fatal.has_value());
  BOOST_TEST(read_csv("to,button_0_url,button_0_payload\n+15551230001,a,b\n").fatal.has_value());
}

BOOST_AUTO_TEST_CASE(header_and_buttons_become_metas_template_components) {
  recipient r{1, "+15551230001", {"Ana", "#1"}, {}};
  r.header = header_param{"document", "https://example.com/a.pdf"};
  r.buttons = {{0, "url", "abc"}, {1, "quick_reply", "stop-1"}};
  auto checked = meta::check_message(json::parse(template_body(tpl, r)));
  BOOST_REQUIRE(checked.ok);
  // The normalized body is the text itself: broadcasts::create stores it without a second check.
  BOOST_TEST(checked.message.body == template_body(tpl, r));
  recipient named{2, "+15551230002", {"Bo"}, {"first_name"}};
  BOOST_TEST(meta::check_message(json::parse(template_body(tpl, named))).message.body == template_body(tpl, named));
  auto v = json::parse(checked.message.body);
  const auto& c = v.at("template").at("components").as_array();
  BOOST_REQUIRE(c.size() == 4u);
  BOOST_TEST(c[0].at("type").as_string() == "header");
  BOOST_TEST(c[0].at("parameters").at(0).at("type").as_string() == "document");
  BOOST_TEST(c[0].at("parameters").at(0).at("document").at("link").as_string() == "https://example.com/a.pdf");
  BOOST_TEST(c[1].at("type").as_string() == "body");
  BOOST_TEST(c[2].at("type").as_string() == "button");
  BOOST_TEST(c[2].at("sub_type").as_string() == "url");
  BOOST_TEST(c[2].at("index").as_string() == "0");
  BOOST_TEST(c[2].at("parameters").at(0).at("type").as_string() == "text");
  BOOST_TEST(c[2].at("parameters").at(0).at("text").as_string() == "abc");
  BOOST_TEST(c[3].at("sub_type").as_string() == "quick_reply");
  BOOST_TEST(c[3].at("index").as_string() == "1");
  BOOST_TEST(c[3].at("parameters").at(0).at("type").as_string() == "payload");
  BOOST_TEST(c[3].at("parameters").at(0).at("payload").as_string() == "stop-1");
  recipient text{2, "+15551230002", {}, {}};
  text.header = header_param{"text", "Summer"};
  auto t = json::parse(template_body(tpl, text));
  BOOST_TEST(t.at("template").at("components").at(0).at("parameters").at(0).at("text").as_string() == "Summer");
  BOOST_TEST(meta::check_message(std::move(t)).ok);
}

BOOST_AUTO_TEST_SUITE_END()

// The JSON list read row by row from the body's text (read_json_text, split_recipients): the
// same rows and rejections as the parsed array, and the same strict I-JSON rules per row.
BOOST_AUTO_TEST_SUITE(broadcasts_recipients_text)

namespace {

const char* mixed = R"([
    {"to": "+15551230001", "parameters": ["Ana", "#1"]},
    {"to": "12", "parameters": ["Bo", "#2"]},
    {"to": "+15551230003", "parameters": ["Cy"]},
    {"to": "+15551230001", "parameters": ["Ana", "[#1]"]},
    {"to": "+15551230006", "parameters": ["Ed", "#6"], "extra": 1},
    "not an object", 7, null,
    {"to": "+15551230008", "parameters": {"first_name": "Fa"}},
    {"to": "+15551230009", "parameters": ["Gi \"quoted\" ]}", "#9"],
     "header": {"type": "text", "text": "Hi"}},
    {"to":"+15551230010","parameters":["Hu","#10"],"buttons":[{"index":0,"sub_type":"url","text":"a"}]}
  ])";

std::string fatal_of(std::string_view array) {
  auto l = read_json_text(array);
  BOOST_TEST(l.rows.empty());
  BOOST_TEST(l.rejected.empty());
  return l.fatal.value_or("(not fatal)");
}

}  // namespace

BOOST_AUTO_TEST_CASE(rows_read_from_the_text_equal_the_parsed_arrays) {
  auto a = read_json(json::parse(mixed));
  auto b = read_json_text(mixed);
  BOOST_TEST(!b.fatal);
  BOOST_REQUIRE(a.rows.size() == b.rows.size());
  BOOST_TEST(b.rows.size() == 7u);
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    BOOST_TEST(a.rows[i].row == b.rows[i].row);
    BOOST_TEST(a.rows[i].to == b.rows[i].to);
    BOOST_TEST(a.rows[i].parameters == b.rows[i].parameters, boost::test_tools::per_element());
    BOOST_TEST(a.rows[i].names == b.rows[i].names, boost::test_tools::per_element());
    BOOST_TEST(a.rows[i].header.has_value() == b.rows[i].header.has_value());
    BOOST_TEST(a.rows[i].buttons.size() == b.rows[i].buttons.size());
  }
  BOOST_TEST(b.rows[5].parameters[0] == "Gi \"quoted\" ]}");  // brackets and quotes inside a string
  BOOST_REQUIRE(a.rejected.size() == b.rejected.size());
  BOOST_TEST(b.rejected.size() == 4u);  // "extra", "not an object", 7, null
  for (std::size_t i = 0; i < a.rejected.size(); ++i) {
    BOOST_TEST(a.rejected[i].row == b.rejected[i].row);
    BOOST_TEST(a.rejected[i].field == b.rejected[i].field);
  }
  BOOST_TEST(b.rejected[1].row == 6u);
  // check_all then judges them as before: 12 is no number, "Cy" one parameter short, row 4
  // the same number as row 1, row 9 named parameters where row 1 has positional ones, rows
  // 10 and 11 a header or buttons row 1 has not.
  check_all(tpl, b);
  BOOST_TEST(b.rows.size() == 1u);
  BOOST_TEST(b.rejected_count == 10u);
  BOOST_TEST(b.rejected[2].row == 4u);
  BOOST_TEST(b.rejected[2].detail == "the same number as row 1");
}

BOOST_AUTO_TEST_CASE(the_body_is_split_around_the_top_level_recipients_array) {
  const std::string body =
      R"({"name": "x \"recipients\": [1]", "template": {"name": "t", "recipients": [2]},
          "recipients" : [ {"to": "+15551230001", "parameters": ["a]"]} ] , "skip_invalid": true})";
  auto s = split_recipients(body);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->recipients == R"([ {"to": "+15551230001", "parameters": ["a]"]} ])");
  auto rest = json::parse(s->rest).as_object();
  BOOST_TEST(rest.at("recipients").as_array().empty());
  BOOST_TEST(rest.at("skip_invalid").as_bool());
  BOOST_TEST(rest.at("template").at("recipients").as_array().size() == 1u);  // not the top level's
  BOOST_TEST(read_json_text(s->recipients).rows.size() == 1u);

  // A second top-level recipients stays in the rest, where the strict parse refuses the duplicate.
  auto twice = split_recipients(R"({"recipients": [{"to": "1"}], "recipients": [{"to": "2"}]})");
  BOOST_REQUIRE(twice.has_value());
  BOOST_TEST(twice->rest == R"({"recipients": [], "recipients": [{"to": "2"}]})");
  // Not an object, no array, or broken: nothing (the caller parses the whole text and says why).
  BOOST_TEST(!split_recipients("[1, 2]"));
  BOOST_TEST(!split_recipients(R"({"recipients": "a string"})"));
  BOOST_TEST(!split_recipients(R"({"recipients": [{"to": "1"})"));
  BOOST_TEST(!split_recipients(R"({"name": "unterminated)"));
  BOOST_TEST(!split_recipients(R"({"recipients": [] "name": "x"})"));
}

BOOST_AUTO_TEST_CASE(each_row_is_strict_i_json) {
  // I-JSON: a member named twice, numbers that would change meaning.
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001"}, {"to": "+15551230002", "to": "+15551230003"}])")
                 .starts_with("recipients: row 2 is not I-JSON"));
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001", "n": 1e999}])").starts_with("recipients: row 1 is not I-JSON"));
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001", "n": 18446744073709551616}])").find("64-bit") != std::string::npos);
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001", "n": 1e-400}])").find("become 0") != std::string::npos);
  BOOST_TEST(fatal_of(R"([{"a": {"b": {"c": {"d": {"e": {"f": {}}}}}}}])").starts_with("recipients: row 1"));
  // Syntax: between rows and inside one; bad UTF-8.
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001"} {"to": "+15551230002"}])").starts_with("recipients: row 1"));
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001"},])").starts_with("recipients: row 2"));
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001"}, tru])").starts_with("recipients: row 2"));
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001",}])").starts_with("recipients: row 1"));
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001"}, {"to": "x)"
                      "\xff"
                      R"("}])")
                 .starts_with("recipients: row 2"));
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001"})") == "recipients: not a JSON array");
  // A row at the depth limit is read (the body's 8 levels, less the body and the array).
  auto deep = read_json_text(R"([{"to": "+15551230001", "buttons": [{"x": [[[]]]}]}])");
  BOOST_TEST(!deep.fatal);
  BOOST_TEST(deep.rejected_count == 1u);  // a wrong button, not a wrong text
  BOOST_TEST(fatal_of(R"([{"to": "+15551230001", "buttons": [{"x": [[[[]]]]}]}])").starts_with("recipients: row 1"));
}

BOOST_AUTO_TEST_CASE(the_list_has_limits) {
  BOOST_TEST(fatal_of("[ ]") == "recipients: at least one");
  std::string many = "[";
  for (std::size_t i = 0; i <= max_recipients; ++i) many += i ? ",1" : "1";
  many += "]";
  BOOST_TEST(fatal_of(many) == "recipients: at most 100000");
  std::string wide = R"([{"to": "+15551230001", "parameters": [)";
  for (std::size_t i = 0; i < max_row_values; ++i) wide += i ? ",\"p\"" : "\"p\"";
  wide += "]}]";
  BOOST_TEST(fatal_of(wide).starts_with("recipients: row 1 is not I-JSON"));
  // The rows' values together: each row under its own limit, the list over max_list_values.
  std::string row = R"({"to": "+15551230001", "parameters": [)";
  for (std::size_t i = 0; i < 4000; ++i) row += i ? ",1" : "1";
  row += "]}";
  std::string heavy = "[";
  const std::size_t rows = max_list_values / 4003 + 1;
  for (std::size_t i = 0; i < rows; ++i) heavy += (i ? "," : "") + row;
  heavy += "]";
  BOOST_TEST(fatal_of(heavy).starts_with("recipients: row " + std::to_string(rows) + " is not I-JSON"));
  heavy.resize(heavy.size() - 1 - row.size() - 1);  // one row fewer: within the limit
  heavy += "]";
  auto within = read_json_text(heavy);
  BOOST_TEST(!within.fatal);
  BOOST_TEST(within.rejected_count == rows - 1);  // numbers, not strings: each row rejected
}

BOOST_AUTO_TEST_SUITE_END()
