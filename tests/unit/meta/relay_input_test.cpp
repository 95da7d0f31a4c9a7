// meta::relay_input: the pure checks of the Meta passthrough routes (templates, business
// profile, mark as read, upload media types), without a server.
#include <enfinito/meta/relay_input.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace {
using namespace enfinito;
namespace json = boost::json;

json::value body(std::string_view s) { return json::parse(s); }

const meta::input_problem& problem(const std::optional<meta::input_problem>& p) {
  BOOST_REQUIRE(p.has_value());
  return *p;
}

constexpr std::string_view good_template =
    R"({"name":"order_update","language":"en_US","category":"utility",
        "components":[{"type":"HEADER","format":"TEXT","text":"Hi"},{"type":"BODY","text":"Your order {{1}}"}]})";
}  // namespace

BOOST_AUTO_TEST_SUITE(meta_relay_input)

BOOST_AUTO_TEST_CASE(a_template_passes_with_unknown_keys_and_any_case) {
  BOOST_TEST(!meta::check_template(body(good_template)).has_value());
  auto v = body(good_template);
  v.as_object()["parameter_format"] = "named";
  v.as_object()["allow_category_change"] = true;  // passes through: Meta reviews it
  BOOST_TEST(!meta::check_template(v).has_value());
}

BOOST_AUTO_TEST_CASE(a_template_names_its_first_bad_field) {
  BOOST_TEST(problem(meta::check_template(body("[]"))).code == "invalid_body");
  auto missing = problem(meta::check_template(body(R"({"language":"en_US"})")));
  BOOST_TEST(missing.field == "name");
  BOOST_TEST(missing.code == "missing_field");
  auto v = body(good_template);
  v.as_object()["name"] = "Order-Update";
  BOOST_TEST(problem(meta::check_template(v)).field == "name");
  v = body(good_template);
  v.as_object()["category"] = "promo";
  BOOST_TEST(problem(meta::check_template(v)).field == "category");
  v = body(good_template);
  v.as_object()["parameter_format"] = "free";
  BOOST_TEST(problem(meta::check_template(v)).field == "parameter_format");
  v = body(good_template);
  v.as_object()["components"].as_array().push_back(json::object{{"type", "body"}});
  auto two = problem(meta::check_template(v));
  BOOST_TEST(two.field == "components[2].type");
  BOOST_TEST(two.detail == "a template has one BODY");
  v = body(good_template);
  v.as_object()["components"] = json::array{json::object{{"type", "FOOTER"}}};
  BOOST_TEST(problem(meta::check_template(v)).detail == "a template needs a BODY component");
  v.as_object()["components"] = json::array{json::object{{"text", "x"}}};
  BOOST_TEST(problem(meta::check_template(v)).field == "components[0].type");
  v.as_object()["components"] = json::array(11, json::object{{"type", "BODY"}});
  BOOST_TEST(problem(meta::check_template(v)).field == "components");
}

BOOST_AUTO_TEST_CASE(the_template_query_is_bounded_and_normalised) {
  meta::template_query q;
  BOOST_TEST(
      !meta::read_template_query({.limit = "100", .after = "QVFIUk=", .status = "approved", .language = "pt_BR"}, q));
  BOOST_TEST(q.limit == 100u);
  BOOST_TEST(q.after == "QVFIUk=");
  BOOST_TEST(q.status == "APPROVED");
  BOOST_TEST(q.language == "pt_BR");
  for (const char* bad : {"0", "101", "1000", "", "x", "-1"}) {
    meta::template_query r;
    BOOST_TEST(problem(meta::read_template_query({.limit = bad}, r)).field == "limit");
  }
  meta::template_query r;
  BOOST_TEST(problem(meta::read_template_query({.after = "a", .before = "b"}, r)).field == "before");
  meta::template_query s;
  BOOST_TEST(problem(meta::read_template_query({.status = "GONE"}, s)).field == "status");
  meta::template_query t;
  BOOST_TEST(problem(meta::read_template_query({.after = "a b"}, t)).field == "after");
}

BOOST_AUTO_TEST_CASE(a_profile_change_keeps_to_metas_limits) {
  BOOST_TEST(!meta::check_business_profile(
                  body(R"({"about":"Open 9-17","email":"","websites":["https://example.com"],"vertical":"RETAIL"})"))
                  .has_value());
  // Characters, not bytes: 139 two-byte characters are fine.
  std::string about;
  for (int i = 0; i < 139; ++i) about += "\xC3\xA9";
  BOOST_TEST(!meta::check_business_profile(json::object{{"about", about}}).has_value());
  BOOST_TEST(problem(meta::check_business_profile(json::object{{"about", about + "x"}})).field == "about");
  BOOST_TEST(problem(meta::check_business_profile(body("{}"))).code == "invalid_body");
  BOOST_TEST(problem(meta::check_business_profile(body(R"({"email":"nobody"})"))).field == "email");
  BOOST_TEST(problem(meta::check_business_profile(body(R"({"websites":["ftp://x.example"]})"))).field == "websites");
  BOOST_TEST(problem(meta::check_business_profile(body(R"({"websites":["https://a b.example"]})"))).field ==
             "websites");
  BOOST_TEST(problem(meta::check_business_profile(body(R"({"vertical":"retail"})"))).field == "vertical");
  BOOST_TEST(problem(meta::check_business_profile(body(R"({"messaging_product":"sms"})"))).field ==
             "messaging_product");
  auto unknown = problem(meta::check_business_profile(body(R"({"about":"x","phone":"1"})")));
  BOOST_TEST(unknown.field == "phone");
  BOOST_TEST(unknown.code == "unknown_field");
}

BOOST_AUTO_TEST_CASE(mark_read_takes_only_a_typing_indicator) {
  BOOST_TEST(std::get<bool>(meta::read_mark_read_body(body(R"({"typing_indicator":true})"))));
  BOOST_TEST(!std::get<bool>(meta::read_mark_read_body(body("{}"))));
  BOOST_TEST(std::get<meta::input_problem>(meta::read_mark_read_body(body(R"({"typing_indicator":1})"))).field ==
             "typing_indicator");
  BOOST_TEST(std::get<meta::input_problem>(meta::read_mark_read_body(body(R"({"x":true})"))).code == "unknown_field");
  BOOST_TEST(std::get<meta::input_problem>(meta::read_mark_read_body(body("true"))).code == "invalid_body");
  BOOST_TEST(meta::wamid_like("wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"));
  BOOST_TEST(!meta::wamid_like(""));
  BOOST_TEST(!meta::wamid_like("wamid.a b"));
  BOOST_TEST(!meta::wamid_like(std::string(257, 'a')));
}

BOOST_AUTO_TEST_CASE(an_upload_type_comes_from_the_type_part_or_the_file_part) {
  BOOST_TEST(meta::media_essence("Image/PNG ; name=x") == "image/png");
  BOOST_TEST(std::get<std::string>(meta::upload_media_type("", "image/jpeg")) == "image/jpeg");
  BOOST_TEST(std::get<std::string>(meta::upload_media_type("image/png", "application/octet-stream")) == "image/png");
  BOOST_TEST(std::get<std::string>(meta::upload_media_type("IMAGE/PNG", "image/png; q=1")) == "image/png");
  auto clash = std::get<meta::input_problem>(meta::upload_media_type("image/png", "image/jpeg"));
  BOOST_TEST(clash.field == "type");
  auto none = std::get<meta::input_problem>(meta::upload_media_type("", "application/octet-stream"));
  BOOST_TEST(none.code == "missing_field");
  BOOST_TEST(meta::upload_filename_ok("report.pdf"));
  BOOST_TEST(!meta::upload_filename_ok(""));
  BOOST_TEST(!meta::upload_filename_ok(std::string(201, 'a')));
  BOOST_TEST(meta::size_text(16 * 1024 * 1024) == "16 MB");
  BOOST_TEST(meta::size_text(500 * 1024) == "500 KB");
}

BOOST_AUTO_TEST_CASE(an_upload_keeps_to_whatsapps_types_and_sizes) {
  using kind = meta::upload_refusal::kind;
  BOOST_TEST(!meta::check_upload_file("image/jpeg", "\xFF\xD8\xFF").has_value());
  BOOST_TEST(!meta::check_upload_file("application/pdf", "%PDF-1.7").has_value());
  BOOST_TEST((meta::check_upload_file("image/gif", "GIF89a")->what == kind::unsupported_type));
  BOOST_TEST((meta::check_upload_file("image/png", "")->what == kind::empty));
  // Images are limited to 5 MB.
  const std::string big(5 * 1024 * 1024 + 1, 'x');
  auto too_large = meta::check_upload_file("image/png", big);
  BOOST_REQUIRE(too_large.has_value());
  BOOST_TEST((too_large->what == kind::too_large));
  BOOST_TEST(too_large->detail.ends_with("files of this type are limited to 5 MB"));
  BOOST_TEST(!meta::check_upload_file("image/png", std::string_view(big).substr(1)).has_value());
}

BOOST_AUTO_TEST_CASE(graph_list_query_checks_and_encodes) {
  std::string q;
  BOOST_TEST(!meta::graph_list_query({"10", "QVFI+a/b=", std::nullopt, "id,name{x}"}, q));
  BOOST_TEST(q == "limit=10&after=QVFI%2Ba%2Fb%3D&fields=id%2Cname%7Bx%7D");
  for (const auto* limit : {"0", "101", "1000", "", "x"}) {
    BOOST_TEST_CONTEXT("limit " << limit) {
      std::string none;
      BOOST_TEST(*meta::graph_list_query({limit, std::nullopt, std::nullopt, std::nullopt}, none) == "limit");
    }
  }
  std::string bad;
  BOOST_TEST(*meta::graph_list_query({std::nullopt, std::nullopt, "a&b", std::nullopt}, bad) == "before");
  BOOST_TEST(*meta::graph_list_query({std::nullopt, std::nullopt, std::nullopt, "Name"}, bad) == "fields");
  BOOST_TEST(meta::fields_like(""));
  BOOST_TEST(!meta::fields_like("a b"));
}

BOOST_AUTO_TEST_CASE(keep_phone_numbers_keeps_only_the_given_ids) {
  auto doc = body(R"({"data":[{"id":"1"},{"id":"2"},{"x":1},"3"],"paging":{}})");
  BOOST_TEST(meta::keep_phone_numbers(doc, {"2", "3"}));
  BOOST_TEST(json::serialize(doc) == R"({"data":[{"id":"2"}],"paging":{}})");
  auto odd = body(R"({"data":{}})");
  BOOST_TEST(!meta::keep_phone_numbers(odd, {"1"}));
  auto not_object = body("[1]");
  BOOST_TEST(!meta::keep_phone_numbers(not_object, {"1"}));
}

BOOST_AUTO_TEST_CASE(an_upload_form_has_one_file_and_nothing_unknown) {
  const meta::form_part file{"file", "a.png", "image/png", "PNGDATA"};
  auto ok = meta::read_upload_form({file, {"messaging_product", "", "", "whatsapp"}});
  BOOST_REQUIRE(std::holds_alternative<meta::upload_input>(ok));
  BOOST_TEST(std::get<meta::upload_input>(ok).mime == "image/png");
  BOOST_TEST(std::get<meta::upload_input>(ok).filename == "a.png");
  BOOST_TEST(std::get<meta::upload_input>(ok).bytes == "PNGDATA");
  auto field_of = [](const std::variant<meta::upload_input, meta::input_problem>& r) {
    BOOST_REQUIRE(std::holds_alternative<meta::input_problem>(r));
    return std::get<meta::input_problem>(r);
  };
  BOOST_TEST(field_of(meta::read_upload_form({file, file})).field == "file");
  BOOST_TEST(field_of(meta::read_upload_form({})).code == "missing_field");
  BOOST_TEST(field_of(meta::read_upload_form({file, {"messaging_product", "", "", "sms"}})).field ==
             "messaging_product");
  BOOST_TEST(field_of(meta::read_upload_form({file, {"extra", "", "", "x"}})).code == "unknown_field");
}

BOOST_AUTO_TEST_SUITE_END()
