// auth::guard: access by role and key, session validity at its timeouts, the Bearer scheme,
// the CSRF verdicts, the enrolment-only session's reach, cookie parsing and Set-Cookie shapes.
#include <enfinito/auth/guard.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;

BOOST_TEST_DONT_PRINT_LOG_VALUE(enfinito::auth::access_refusal)
BOOST_TEST_DONT_PRINT_LOG_VALUE(enfinito::auth::csrf_verdict)

BOOST_AUTO_TEST_SUITE(auth_guard)

BOOST_AUTO_TEST_CASE(admins_reach_admin_routes_and_read_only_keys_only_read) {
  auth::principal user{"usr_1", "user"};
  auth::principal admin{"usr_2", "admin"};
  BOOST_TEST(auth::check_access(user, auth::access::write) == auth::access_refusal::none);
  BOOST_TEST(auth::check_access(user, auth::access::admin) == auth::access_refusal::admin_only);
  BOOST_TEST(auth::check_access(admin, auth::access::admin) == auth::access_refusal::none);
  auth::principal key{"usr_1", "user", true, "key_1", true};
  BOOST_TEST(auth::check_access(key, auth::access::read) == auth::access_refusal::none);
  BOOST_TEST(auth::check_access(key, auth::access::write) == auth::access_refusal::read_only_key);
  key.role = "admin";
  BOOST_TEST(auth::check_access(key, auth::access::admin) == auth::access_refusal::read_only_key);
}

BOOST_AUTO_TEST_CASE(a_key_limited_to_instances_reaches_only_those) {
  auth::principal p{"usr_1", "user"};
  BOOST_TEST(p.may_use_instance("ins_a"));
  p.instance_ids = {"ins_a"};
  BOOST_TEST(p.may_use_instance("ins_a"));
  BOOST_TEST(!p.may_use_instance("ins_b"));
}

BOOST_AUTO_TEST_CASE(a_session_ends_at_its_absolute_or_idle_timeout_or_with_its_user) {
  // expires at 1000, last seen at 500, idle timeout 300: usable until 799.
  BOOST_TEST(auth::session_usable("active", 1000, 500, 300, 799));
  BOOST_TEST(!auth::session_usable("active", 1000, 500, 300, 800));
  BOOST_TEST(auth::session_usable("active", 1000, 900, 300, 999));
  BOOST_TEST(!auth::session_usable("active", 1000, 900, 300, 1000));
  BOOST_TEST(!auth::session_usable("suspended", 1000, 500, 300, 600));
  BOOST_TEST(!auth::session_usable("pending", 1000, 500, 300, 600));
}

BOOST_AUTO_TEST_CASE(only_the_bearer_scheme_carries_a_key) {
  BOOST_TEST(*auth::bearer_token("Bearer enf_live_x") == "enf_live_x");
  BOOST_TEST(*auth::bearer_token("bearer  enf_live_x ") == "enf_live_x");
  BOOST_TEST(!auth::bearer_token("Basic abc").has_value());
  BOOST_TEST(!auth::bearer_token("Bearer").has_value());
  BOOST_TEST(!auth::bearer_token("BEARER x").has_value());
}

BOOST_AUTO_TEST_CASE(csrf_needs_json_and_our_origin_and_no_cross_site) {
  const std::string ours = "https://gw.example.com";
  auth::request_origin ok{true, true, "application/json; charset=utf-8", ours, "same-origin"};
  BOOST_TEST(auth::check_csrf(ok, ours) == auth::csrf_verdict::ok);
  auto form = ok;
  form.content_type = "application/x-www-form-urlencoded";
  BOOST_TEST(auth::check_csrf(form, ours) == auth::csrf_verdict::not_json);
  auto upper = ok;
  upper.content_type = "Application/JSON";
  BOOST_TEST(auth::check_csrf(upper, ours) == auth::csrf_verdict::ok);
  // A DELETE without a body needs no content type, but still our origin.
  auth::request_origin del{false, false, std::nullopt, ours, std::nullopt};
  BOOST_TEST(auth::check_csrf(del, ours) == auth::csrf_verdict::ok);
  del.origin = "https://evil.example";
  BOOST_TEST(auth::check_csrf(del, ours) == auth::csrf_verdict::wrong_origin);
  del.origin = std::nullopt;
  BOOST_TEST(auth::check_csrf(del, ours) == auth::csrf_verdict::wrong_origin);
  auto cross = ok;
  cross.fetch_site = "cross-site";
  BOOST_TEST(auth::check_csrf(cross, ours) == auth::csrf_verdict::cross_site);
  cross.fetch_site = "none";
  BOOST_TEST(auth::check_csrf(cross, ours) == auth::csrf_verdict::ok);
  // A file upload passes as multipart only when the browser says it is same-origin.
  auth::request_origin upload{true, true, "multipart/form-data; boundary=x", ours, "same-origin"};
  BOOST_TEST(auth::check_csrf(upload, ours) == auth::csrf_verdict::ok);
  upload.fetch_site = std::nullopt;
  BOOST_TEST(auth::check_csrf(upload, ours) == auth::csrf_verdict::not_json);
}

BOOST_AUTO_TEST_CASE(the_public_origin_drops_the_path) {
  BOOST_TEST(auth::public_origin("https://gw.example.com/base/") == "https://gw.example.com");
  BOOST_TEST(auth::public_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080");
}

BOOST_AUTO_TEST_CASE(an_enrolment_only_session_reaches_only_me_totp_and_signout) {
  BOOST_TEST(auth::enrolment_route("/v1/me", true));
  BOOST_TEST(auth::enrolment_route("/v1/me?x=1", true));
  BOOST_TEST(!auth::enrolment_route("/v1/me", false));
  BOOST_TEST(auth::enrolment_route("/v1/me/totp", false));
  BOOST_TEST(auth::enrolment_route("/v1/me/totp/confirm", false));
  BOOST_TEST(auth::enrolment_route("/v1/auth/signout", false));
  BOOST_TEST(!auth::enrolment_route("/v1/me/totpx", false));
  BOOST_TEST(!auth::enrolment_route("/v1/api-keys", true));
  BOOST_TEST(!auth::enrolment_route("/v1/admin/users", true));
}

BOOST_AUTO_TEST_CASE(cookies_are_found_by_exact_name) {
  const std::string header = "a=1; enfinito_session = tok ;other=x; bare";
  BOOST_TEST(*auth::cookie_value(header, "enfinito_session") == "tok");
  BOOST_TEST(*auth::cookie_value(header, "a") == "1");
  BOOST_TEST(!auth::cookie_value(header, "enfinito").has_value());
  BOOST_TEST(!auth::cookie_value(header, "bare").has_value());
  BOOST_TEST(!auth::cookie_value("", "a").has_value());
}

BOOST_AUTO_TEST_CASE(set_cookie_is_http_only_lax_and_secure_with_a_host_name_under_tls) {
  BOOST_TEST(auth::session_cookie_name(false) == "enfinito_session");
  BOOST_TEST(auth::session_cookie_name(true) == "__Host-enfinito_session");
  BOOST_TEST(auth::binding_cookie_name(false) == "enfinito_oauth");
  BOOST_TEST(auth::binding_cookie_name(true) == "__Host-enfinito_oauth");
  BOOST_TEST(auth::set_cookie("n", "v", 60, false) == "n=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
  BOOST_TEST(auth::set_cookie("n", "", 0, true) == "n=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure");
}

BOOST_AUTO_TEST_SUITE_END()
