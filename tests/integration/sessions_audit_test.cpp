// The settings page's active sessions (GET /v1/me/sessions, DELETE /v1/me/sessions/{id}) and
// the admin audit log (GET /v1/admin/audit), through the session cookie as the web app sends
// it. Users and sessions are planted in the database (no password round trips).
#include "support/daemon.hpp"
#include "support/http_client.hpp"
#include "support/tenants.hpp"

#include <enfinito/api/auth_guard.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::value& v, std::string_view k) { return std::string(v.as_object().at(k).as_string()); }

struct sessions_fixture {
  running_app app;
  tenant alice = make_tenant(app.get().database(), "alice@example.com");
  tenant bob = make_tenant(app.get().database(), "bob@example.com");
  tenant admin = make_tenant(app.get().database(), "admin@example.com", tenant_options{{}, false, "admin", {}});

  struct signed_in {
    std::string id;
    std::string cookie;
  };
  // A session as a sign-in would create it; its cookie as the browser sends it.
  signed_in sign_in(const tenant& t) {
    auto s = make_session(app.get().database(), t.user_id);
    return {s.id, api::session_cookie_name(app.settings) + "=" + s.token};
  }
  // A same-origin request from the web app (cookie, JSON, Origin).
  http_result call(const std::string& cookie, const std::string& method, const std::string& target) {
    header_list h{{"cookie", cookie}, {"content-type", "application/json"}, {"origin", "http://127.0.0.1:8080"}};
    return http_request("127.0.0.1", app.port(), method, target, h);
  }
  http_result with_key(const tenant& t, const std::string& method, const std::string& target) {
    return http_request("127.0.0.1", app.port(), method, target, {{"authorization", "Bearer " + t.key}});
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sessions_audit)

BOOST_FIXTURE_TEST_CASE(a_user_lists_their_sessions_and_signs_one_out, sessions_fixture) {
  const auto laptop = sign_in(alice), phone = sign_in(alice), bobs = sign_in(bob);
  auto r = call(laptop.cookie, "GET", "/v1/me/sessions");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  auto data = body_of(r).at("data").as_array();
  BOOST_REQUIRE(data.size() == 2u);  // alice's only
  for (const auto& s : data) {
    BOOST_TEST(s.at("current").as_bool() == (str(s, "id") == laptop.id));
    BOOST_TEST(s.at("created_at").as_int64() > 1'000'000'000'000);  // unix ms
    BOOST_TEST(s.at("last_seen_at").as_int64() > 1'000'000'000'000);
    BOOST_TEST(r.body.find(laptop.cookie.substr(laptop.cookie.find('=') + 1)) == std::string::npos);  // never a token
  }
  // Programs cannot manage sessions.
  auto key = with_key(alice, "GET", "/v1/me/sessions");
  BOOST_TEST(key.status == 403u);
  BOOST_TEST(str(body_of(key), "code") == "session_required");

  // The phone is signed out from the laptop: its cookie no longer works.
  BOOST_TEST(call(phone.cookie, "GET", "/v1/me").status == 200u);
  auto del = call(laptop.cookie, "DELETE", "/v1/me/sessions/" + phone.id);
  BOOST_REQUIRE_MESSAGE(del.status == 204u, del.body);
  BOOST_TEST(del.header("set-cookie").empty());  // the laptop stays signed in
  BOOST_TEST(call(phone.cookie, "GET", "/v1/me").status == 401u);
  BOOST_TEST(body_of(call(laptop.cookie, "GET", "/v1/me/sessions")).at("data").as_array().size() == 1u);
  // Gone, someone else's, or not a session id: the same 404.
  for (const auto& id : {phone.id, bobs.id, std::string("nope")}) {
    auto x = call(laptop.cookie, "DELETE", "/v1/me/sessions/" + id);
    BOOST_TEST(x.status == 404u);
    BOOST_TEST(str(body_of(x), "code") == "session_not_found");
  }
  BOOST_TEST(call(bobs.cookie, "GET", "/v1/me").status == 200u);
  // Cross-site: refused before anything happens.
  auto csrf =
      http_request("127.0.0.1", app.port(), "DELETE", "/v1/me/sessions/" + bobs.id,
                   {{"cookie", bobs.cookie}, {"content-type", "application/json"}, {"origin", "https://evil.example"}});
  BOOST_TEST(csrf.status == 403u);
  // Signing this session out clears its cookie too.
  auto self = call(laptop.cookie, "DELETE", "/v1/me/sessions/" + laptop.id);
  BOOST_TEST(self.status == 204u);
  BOOST_TEST(self.header("set-cookie").find("Max-Age=0") != std::string::npos);
  BOOST_TEST(call(laptop.cookie, "GET", "/v1/me").status == 401u);
}

BOOST_FIXTURE_TEST_CASE(the_admin_pages_the_audit_log, sessions_fixture) {
  const auto a1 = sign_in(alice), a2 = sign_in(alice), adm = sign_in(admin);
  BOOST_REQUIRE(call(a1.cookie, "DELETE", "/v1/me/sessions/" + a2.id).status == 204u);

  auto r = call(adm.cookie, "GET", "/v1/admin/audit");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  auto all = body_of(r).at("data").as_array();
  BOOST_REQUIRE(!all.empty());
  const auto& newest = all[0].as_object();
  BOOST_TEST(str(newest, "action") == "session_revoked");
  BOOST_TEST(str(newest, "actor_user_id") == alice.user_id);
  BOOST_TEST(str(newest, "subject_user_id") == alice.user_id);
  BOOST_TEST(str(newest.at("detail"), "session") == a2.id);
  BOOST_TEST(newest.at("at").as_int64() > 1'000'000'000'000);
  for (std::size_t i = 1; i < all.size(); ++i) BOOST_TEST(all[i].at("id").as_int64() < all[i - 1].at("id").as_int64());

  // Filters, and paging one entry at a time through everything.
  auto by_action = body_of(call(adm.cookie, "GET", "/v1/admin/audit?action=session_revoked")).at("data").as_array();
  BOOST_TEST(by_action.size() == 1u);
  auto by_user = body_of(call(adm.cookie, "GET", "/v1/admin/audit?user=" + bob.user_id)).at("data").as_array();
  for (const auto& e : by_user)
    BOOST_TEST(
        (e.at("actor_user_id") == json::value(bob.user_id) || e.at("subject_user_id") == json::value(bob.user_id)));
  std::size_t paged = 0;
  std::string cursor;
  for (int i = 0; i < 1000; ++i) {
    auto p = body_of(call(adm.cookie, "GET", "/v1/admin/audit?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor)));
    paged += p.at("data").as_array().size();
    if (p.at("next_cursor").is_null()) break;
    cursor = std::string(p.at("next_cursor").as_string());
  }
  BOOST_TEST(paged == all.size());

  // Not an admin, or an admin's API key: refused. Bad parameters: 400 naming the field.
  BOOST_TEST(call(a1.cookie, "GET", "/v1/admin/audit").status == 403u);
  BOOST_TEST(with_key(admin, "GET", "/v1/admin/audit").status == 403u);
  for (const auto& bad : {"?limit=0", "?limit=201", "?cursor=abc", "?user=alice", "?action=a%20b"}) {
    auto x = call(adm.cookie, "GET", std::string("/v1/admin/audit") + bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(x.status == 400u);
      BOOST_TEST(body_of(x).contains("field"));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
