// The personal-data export's parts about fair shares and notices (issue 20, P8): the tenant's
// usage per day (flushed and not yet flushed), the limits and quotas in force with the
// administrator's override, and the policy notices mailed to the user; no secret among them and
// nothing of another tenant.
#include "support/daemon.hpp"
#include "support/http_client.hpp"
#include "support/tenants.hpp"

#include <enfinito/api/auth_guard.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/limits/usage.hpp>
#include <enfinito/store/events.hpp>
#include <enfinito/store/limits.hpp>
#include <enfinito/store/notices.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;

}  // namespace

BOOST_AUTO_TEST_SUITE(export_extras)

BOOST_AUTO_TEST_CASE(the_export_holds_usage_limits_in_force_and_notices_without_secrets) {
  running_app app([](config::settings& s) {
    s.quotas.instances = 7;
    s.rate_limits.key_per_s = 11;
    s.rate_limits.key_burst = 22;
  });
  auto& db = app.get().database();
  auto a = make_tenant(db, "alice@example.com");
  auto b = make_tenant(db, "bob@example.com");
  auto ses = make_session(db, a.user_id);
  const std::string yesterday_notice = "ntc_0123456789abcdef0123456789abcdef";
  BOOST_REQUIRE(!db.write_sync([&](store::connection& c) -> core::error_code {
    // Messages through the change stream (counted, not yet flushed), as the send path makes them.
    for (auto [user, type, n] :
         {std::tuple{a.user_id, "message.accepted", 4}, std::tuple{a.user_id, "message.received", 3},
          std::tuple{b.user_id, "message.accepted", 9}})
      for (int i = 0; i < n; ++i) {
        store::events::event e{0, user, "", type, "{}", 0};
        if (auto ec = store::events::append(c, e)) return ec;
      }
    // An earlier day already flushed.
    const auto today = limits::utc_day(core::wall_ms());
    if (auto ec = store::limits::add_usage(c, a.user_id, store::limits::usage_day{today - 2, 5, 6})) return ec;
    store::limits::overrides o;
    o.max_api_keys = 3;
    if (auto ec = store::limits::put(c, a.user_id, o)) return ec;
    if (auto ec = store::notices::record(c, yesterday_notice, a.user_id, 1'700'000'000)) return ec;
    return store::notices::record(c, "ntc_ffffffffffffffffffffffffffffffff", b.user_id, 1'700'000'000);
  }));

  auto r = http_request("127.0.0.1", app.port(), "GET", "/v1/me/export",
                        {{"Cookie", api::session_cookie_name(app.settings) + "=" + ses.token}});
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.header("Cache-Control") == "no-store");
  auto doc = json::parse(r.body).as_object();

  // Usage: the flushed day and today's unflushed counts; bob's nine are not here.
  const auto& usage = doc.at("usage").as_array();
  BOOST_REQUIRE_EQUAL(usage.size(), 2u);
  BOOST_TEST(usage[0].at("sent").as_int64() == 5);
  BOOST_TEST(usage[0].at("received").as_int64() == 6);
  BOOST_TEST(usage[1].at("sent").as_int64() == 4);
  BOOST_TEST(usage[1].at("received").as_int64() == 3);
  BOOST_TEST(usage[1].at("date").as_string().size() == 10u);  // YYYY-MM-DD

  // Limits in force: the settings under the override, with what is used.
  const auto& lim = doc.at("limits").as_object();
  BOOST_TEST(lim.at("user_id").as_string() == a.user_id);
  BOOST_TEST(lim.at("quotas").at("instances").at("limit").as_int64() == 7);
  BOOST_TEST(lim.at("quotas").at("api_keys").at("limit").as_int64() == 3);
  BOOST_TEST(lim.at("quotas").at("api_keys").at("used").as_int64() == 1);
  BOOST_TEST(lim.at("overrides").at("max_api_keys").as_int64() == 3);
  BOOST_TEST(lim.at("rate_limits").at("key").at("per_second").as_int64() == 11);
  BOOST_TEST(lim.at("rate_limits").at("key").at("burst").as_int64() == 22);

  // Notices: the one mailed to alice, when.
  const auto& notices = doc.at("policy_notices").as_array();
  BOOST_REQUIRE_EQUAL(notices.size(), 1u);
  BOOST_TEST(notices[0].at("notice_id").as_string() == yesterday_notice);
  BOOST_TEST(notices[0].at("queued_at").as_string().starts_with("2023-11-14T"));

  // No secret, nobody else's data.
  BOOST_TEST(r.body.find(a.key) == std::string::npos);
  BOOST_TEST(r.body.find(ses.token) == std::string::npos);
  BOOST_TEST(r.body.find("hash") == std::string::npos);
  BOOST_TEST(r.body.find(b.user_id) == std::string::npos);
  BOOST_TEST(r.body.find("ntc_ffff") == std::string::npos);

  // Bob's export has his own figures and no notice of alice's.
  auto bob =
      json::parse(
          http_request("127.0.0.1", app.port(), "GET", "/v1/me/export", {{"Authorization", "Bearer " + b.key}}).body)
          .as_object();
  BOOST_TEST(bob.at("usage").as_array().size() == 1u);
  BOOST_TEST(bob.at("usage").as_array()[0].at("sent").as_int64() == 9);
  BOOST_TEST(bob.at("limits").at("quotas").at("api_keys").at("limit").as_int64() == 100);
  BOOST_TEST(bob.at("policy_notices").as_array().size() == 1u);
  BOOST_TEST(bob.at("policy_notices").as_array()[0].at("notice_id").as_string() != yesterday_notice);
}

BOOST_AUTO_TEST_SUITE_END()
