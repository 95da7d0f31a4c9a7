// core::parse_json_strict (I-JSON: duplicates, numbers that would change, limits, the path of
// the member at fault) and core::finite_json_text (the store's scan), as tables.
#include <enfinito/core/json_strict.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <limits>
#include <string>
#include <vector>

using namespace enfinito;
using core::json_strict_errc;
namespace json = boost::json;

namespace {

std::string long_object(int members, const std::string& extra) {
  std::string s = "{";
  for (int i = 0; i < members; ++i) s += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  return s + extra + "}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_json_strict)

BOOST_AUTO_TEST_CASE(refuses_with_the_path_of_the_member_at_fault) {
  struct row {
    std::string text;
    json_strict_errc code;
    std::string pointer, field;
  };
  const std::vector<row> rows = {
      // Duplicate member names, at the root, at depth, in arrays of objects, after unescaping.
      {R"({"to":"4915112345678","to":"4915199999999"})", json_strict_errc::duplicate_key, "/to", "to"},
      {R"({"a":{"b":{"c":1,"d":2,"c":3}}})", json_strict_errc::duplicate_key, "/a/b/c", "a.b.c"},
      {R"({"a":[{"x":1},{"y":1,"y":2}]})", json_strict_errc::duplicate_key, "/a/1/y", "a[1].y"},
      {R"([[{"k":1}],[{},{"k":1,"k":1}]])", json_strict_errc::duplicate_key, "/1/1/k", "[1][1].k"},
      {R"({"a":1,"\u0061":2})", json_strict_errc::duplicate_key, "/a", "a"},
      {R"({"a/b":{"~":1,"~":2}})", json_strict_errc::duplicate_key, "/a~1b/~0", "a/b.~"},
      {long_object(40, R"("k17":0)"), json_strict_errc::duplicate_key, "/k17", "k17"},  // the sorted path
      // Numbers that overflow, underflow to zero, or are integers past 64 bits.
      {R"({"n":1e999999})", json_strict_errc::bad_number, "/n", "n"},
      {R"({"n":-1e999999})", json_strict_errc::bad_number, "/n", "n"},
      {R"({"a":[0,1e-400]})", json_strict_errc::bad_number, "/a/1", "a[1]"},
      {R"({"n":-2.5E-999})", json_strict_errc::bad_number, "/n", "n"},
      {"18446744073709551616", json_strict_errc::bad_number, "", ""},  // 2^64
      {"18446744073709551617", json_strict_errc::bad_number, "", ""},  // 2^64 + 1
      {"-9223372036854775809", json_strict_errc::bad_number, "", ""},  // -2^63 - 1
      {R"({"x":{"y":[1,123456789012345678901234567890]}})", json_strict_errc::bad_number, "/x/y/1", "x.y[1]"},
      // Not JSON at all, and the limits.
      {R"({"a":)", json_strict_errc::syntax, "", ""},
      {"[1] 2", json_strict_errc::syntax, "", ""},
      {"", json_strict_errc::syntax, "", ""},
      {"{\"a\":\"\xff\"}", json_strict_errc::syntax, "", ""},
      {"[NaN]", json_strict_errc::syntax, "", ""},
      {std::string(40, '[') + std::string(40, ']'), json_strict_errc::too_deep, "", ""},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.text.substr(0, 60)) {
      const auto got = core::parse_json_strict(r.text);
      BOOST_TEST(!got.value);
      BOOST_TEST_REQUIRE(got.error.has_value());
      BOOST_TEST((got.error->code == r.code));
      BOOST_TEST(got.error->pointer == r.pointer);
      BOOST_TEST(got.error->field == r.field);
      BOOST_TEST(!got.error->detail.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(accepts_what_round_trips_and_builds_the_same_value) {
  const std::vector<std::string> ok = {
      "9223372036854775807",   // 2^63 - 1
      "9223372036854775808",   // 2^63: uint64
      "18446744073709551615",  // 2^64 - 1
      "-9223372036854775808",  // -2^63
      "0.1",
      "1.5e3",
      "-0",
      "-0.0",
      "0e-400",
      "0.000e-999",
      "1e300",
      "2.2250738585072014E-308",
      R"({"to":"4915112345678","type":"text","text":{"body":"x"}})",
      R"({"a":{"b":1},"b":{"a":1},"c":[{"a":1,"b":2},{"a":1,"b":2}]})",  // same names, different objects
      R"({"":1,"a":{"":2}})",
      long_object(40, R"("k40":0)"),
      R"(["\u00e9\ud83d\ude00", true, false, null, {}, []])",
  };
  for (const auto& text : ok) {
    BOOST_TEST_CONTEXT(text.substr(0, 60)) {
      const auto got = core::parse_json_strict(text);
      BOOST_TEST_REQUIRE(got.value.has_value());
      BOOST_TEST(!got.error);
      BOOST_TEST(*got.value == json::parse(text));  // where both accept, the same value
    }
  }
}

BOOST_AUTO_TEST_CASE(long_escaped_keys_arrive_in_parts_and_are_still_compared) {
  // Keys longer than the parser's scratch buffer come through on_key_part.
  std::string escaped, plain;
  for (int i = 0; i < 5000; ++i) {
    escaped += "\\u00e9";
    plain += "\xC3\xA9";
  }
  const auto got = core::parse_json_strict("{\"" + escaped + "\":1,\"" + plain + "\":2}");
  BOOST_TEST_REQUIRE(got.error.has_value());
  BOOST_TEST((got.error->code == json_strict_errc::duplicate_key));
  // The path names the key, cut short at a character boundary.
  BOOST_TEST(got.error->field.size() < 40u);
  BOOST_TEST(got.error->field.starts_with("\xC3\xA9\xC3\xA9"));
  BOOST_TEST(got.error->field.ends_with("\xE2\x80\xA6"));
}

BOOST_AUTO_TEST_CASE(a_deep_path_is_cut_from_the_front) {
  // 40 levels of 30-byte names: the refusal keeps the innermost part of the path only.
  const std::string name(30, 'n');
  std::string text;
  for (int i = 0; i < 40; ++i) text += "{\"" + name + "\":";
  text += "1e999999" + std::string(40, '}');
  const auto got = core::parse_json_strict(text, {}, {.max_depth = 64});
  BOOST_TEST_REQUIRE(got.error.has_value());
  BOOST_TEST((got.error->code == json_strict_errc::bad_number));
  BOOST_TEST(got.error->field.size() <= 123u);
  BOOST_TEST(got.error->pointer.size() <= 123u);
  BOOST_TEST(got.error->field.starts_with("\xE2\x80\xA6"));
  BOOST_TEST(got.error->pointer.ends_with("/" + name));
}

BOOST_AUTO_TEST_CASE(limits_depth_and_elements) {
  BOOST_TEST(core::parse_json_strict("[[[1]]]", {}, {.max_depth = 3}).value.has_value());
  BOOST_TEST((core::parse_json_strict("[[[[1]]]]", {}, {.max_depth = 3}).error->code == json_strict_errc::too_deep));
  // Values are counted, not keys: {"a":[1,2]} is 4 values.
  BOOST_TEST(core::parse_json_strict(R"({"a":[1,2]})", {}, {.max_depth = 8, .max_elements = 4}).value.has_value());
  const auto many = core::parse_json_strict(R"({"a":[1,2,3]})", {}, {.max_depth = 8, .max_elements = 4});
  BOOST_TEST_REQUIRE(many.error.has_value());
  BOOST_TEST((many.error->code == json_strict_errc::too_many));
}

BOOST_AUTO_TEST_CASE(builds_into_the_given_resource) {
  auto arena = json::make_shared_resource<json::monotonic_resource>();
  const auto got = core::parse_json_strict(R"({"a":["x",{"b":"y"}]})", arena);
  BOOST_TEST_REQUIRE(got.value.has_value());
  BOOST_TEST(got.value->storage().get() == arena.get());
  BOOST_TEST(got.value->at("a").at(1).at("b").storage().get() == arena.get());
}

BOOST_AUTO_TEST_CASE(finite_json_text_refuses_what_a_non_finite_double_serializes_to) {
  // What boost::json writes for the doubles a lax parser makes of 1e999999 and of NaN.
  const json::value inf = json::object{{"n", std::numeric_limits<double>::infinity()}};
  const json::value nan = json::array{std::numeric_limits<double>::quiet_NaN()};
  BOOST_TEST(!core::finite_json_text(json::serialize(inf)));
  BOOST_TEST(!core::finite_json_text(json::serialize(nan)));
  BOOST_TEST(!core::finite_json_text(R"([1,-Infinity])"));
  BOOST_TEST(core::finite_json_text(R"({"s":"Infinity \" NaN \\","n":[-1.5E3,0,true,false,null]})"));
  BOOST_TEST(core::finite_json_text(""));
}

BOOST_AUTO_TEST_SUITE_END()
