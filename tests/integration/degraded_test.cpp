// Degraded dependencies (issue 7): each outside service Enfinito talks to fails in turn, and
// only its own feature may suffer. The real daemon in-process, a real database file, the fake
// Graph API as Meta; every figure is compared with a baseline measured in the same test and
// printed (run with --log_level=message).
//
// degraded_smtp: the SMTP server is healthy, then stopped (port closed), then a blackhole (takes
//   the connection, never speaks). Password-reset requests and sign-ups still answer quickly,
//   the send path keeps its latency, every mail waits in the outbox and is delivered once the
//   server is back.
// degraded_google: Google's token endpoint refuses connections, then hangs. The callback fails
//   fast with 502 google_unavailable (bounded by google.timeout_ms), and the send path keeps its
//   latency while callbacks hang.
// (Slow customer webhook endpoints: webhooks_out_test.cpp, many_hanging_endpoints_…)
#include "support/blackhole.hpp"
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/latency.hpp"
#include "support/oidc_provider.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/store/store.hpp>

#include <fake_graph/core.hpp>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <thread>

namespace {

namespace json = boost::json;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr const char* phone = "106540352280077";
constexpr const char* waba = "102290129380077";
constexpr const char* token = "EAAGdegradedTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3";
constexpr const char* app_secret = "degradedSECRET4d9c2b7e1f0a3b";

// How many sends make one latency figure (each a new connection, as most API clients do).
constexpr int sends_per_figure = 150;

std::string fake_config() {
  return fake_graph::one_number_config(phone, waba, token,
                                       {{"display_phone_number", "15550180077"}, {"verified_name", "Degraded Shop"}});
}

// The daemon in-process with the fake as Meta, one tenant and one instance; `tweak` wires the
// dependency under test.
struct rig {
  fake_meta meta{fake_config()};
  running_app app;
  tenant owner;
  std::string instance;
  int sent = 0;

  explicit rig(const std::function<void(config::settings&)>& tweak)
      : app([this, &tweak](config::settings& s) {
          s.meta.base_url = meta.base_url();
          if (tweak) tweak(s);
        }) {
    owner = make_tenant(app.get().database(), "degraded-owner@example.com");
    const meta_credentials c{
        .phone_number_id = phone, .waba_id = waba, .access_token = token, .app_secret = app_secret, .name = "Degraded"};
    instance = std::string(connect_instance(app.port(), owner.key, c).at("id").as_string());
  }

  http_result call(const std::string& method, const std::string& target, const std::string& body = {}) {
    header_list h{{"authorization", "Bearer " + owner.key}};
    if (!body.empty()) h.emplace_back("content-type", "application/json");
    return http_request("127.0.0.1", app.port(), method, target, h, body);
  }
  // One text message; the answer must be 202.
  void send_one() {
    json::object m{{"to", "1555700" + std::to_string(1000 + sent++ % 500)},
                   {"type", "text"},
                   {"text", json::object{{"body", "degraded"}}}};
    auto r = call("POST", "/v1/instances/" + instance + "/messages", json::serialize(m));
    BOOST_TEST(r.status == 202u, r.body);
  }
  latency sends(int n) {
    latency l;
    for (int i = 0; i < n; ++i)
      l.time([&] {
        send_one();
        return 0;
      });
    return l;
  }
  std::int64_t count(const std::string& sql) { return db_scalar(app.get().database(), sql); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(degraded_smtp)

BOOST_AUTO_TEST_CASE(smtp_down_or_hanging_keeps_signup_reset_and_sends_fast_and_mail_waits) {
  constexpr int mails_per_phase = 8;
  temp_dir mail_dir;
  const auto port = free_port();
  auto smtp = std::make_unique<smtp_server>(mail_dir.path(), port);
  BOOST_REQUIRE(smtp->start());
  rig r([&](config::settings& s) {
    use_test_smtp(s, port);
    s.smtp.timeout = 1000ms;  // a hanging server holds one attempt this long
  });
  // Active users whose reset mails the phases ask for (one user per request).
  std::vector<std::string> users;
  for (int i = 0; i < 3 * mails_per_phase; ++i) {
    users.push_back("reset" + std::to_string(i) + "@example.com");
    make_tenant(r.app.get().database(), users.back());
  }
  std::size_t next_user = 0;
  int next_signup = 0;
  struct phase {
    std::string name;
    latency send, forgot, signup;
  };
  const auto measure = [&](const std::string& name) {
    phase p{name, {}, {}, {}};
    for (int i = 0; i < mails_per_phase; ++i) {
      p.forgot.time([&] {
        auto res = http_request("127.0.0.1", r.app.port(), "POST", "/v1/auth/password/forgot",
                                {{"content-type", "application/json"}},
                                json::serialize(json::object{{"email", users.at(next_user++)}}));
        BOOST_TEST(res.status == 202u, name << ": " << res.body);
        return 0;
      });
    }
    // Sends and sign-ups while the sender works through those mails.
    for (int i = 0; i < sends_per_figure; ++i) {
      p.send.time([&] {
        r.send_one();
        return 0;
      });
      if (i % (sends_per_figure / mails_per_phase) == 0) {
        p.signup.time([&] {
          auto res = http_request(
              "127.0.0.1", r.app.port(), "POST", "/v1/auth/signup", {{"content-type", "application/json"}},
              signup_body("New", "new" + std::to_string(next_signup++) + "@example.com", "a long enough password"));
          BOOST_TEST(res.status == 202u, name << ": " << res.body);
          return 0;
        });
      }
    }
    BOOST_TEST_MESSAGE("smtp " << name << ": sends " << p.send.summary() << "; password/forgot " << p.forgot.summary()
                               << "; signup " << p.signup.summary());
    return p;
  };
  const auto outbox = [&] { return r.count("SELECT COUNT(*) FROM mail_outbox"); };
  const auto tried = [&] { return r.count("SELECT COUNT(*) FROM mail_outbox WHERE attempts >= 1"); };
  const auto attempts = [&] { return r.count("SELECT COALESCE(SUM(attempts), 0) FROM mail_outbox"); };

  auto healthy = measure("healthy");
  BOOST_TEST(smtp->wait_for(mails_per_phase).size() == static_cast<std::size_t>(mails_per_phase));
  BOOST_TEST(wait_until([&] { return outbox() == 0; }, 10s));

  smtp->stop();
  smtp.reset();
  auto refused = measure("refused (port closed)");
  // Every mail tried, failed and kept.
  BOOST_TEST(wait_until([&] { return tried() == mails_per_phase; }, 10s), tried());
  BOOST_TEST(outbox() == mails_per_phase);

  std::vector<phase> faults;
  std::int64_t kept_while_hanging = 0;
  {
    blackhole hang(port);
    const auto attempts_before = attempts();
    auto hanging = measure("hanging (accepts, never speaks)");
    // The sender keeps trying (each attempt waits smtp.timeout for a greeting), and gives up
    // on nothing.
    BOOST_TEST(wait_until([&] { return attempts() >= attempts_before + 2; }, 10s), attempts());
    kept_while_hanging = outbox();
    faults.push_back(refused);
    faults.push_back(hanging);
  }
  BOOST_TEST(kept_while_hanging == 2 * mails_per_phase);

  // The server is back on the same port: the outbox drains, nothing was dropped.
  smtp = std::make_unique<smtp_server>(mail_dir.path(), port);
  BOOST_REQUIRE(smtp->start());
  const auto t_back = clock_type::now();
  const auto delivered = smtp->wait_for(3 * mails_per_phase, 40s).size();
  const auto drain_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t_back).count();
  BOOST_TEST(wait_until([&] { return outbox() == 0; }, 10s));
  BOOST_TEST_MESSAGE("smtp: " << kept_while_hanging << " mails kept in the outbox during the outage, " << delivered
                              << " of " << 3 * mails_per_phase << " delivered " << drain_ms
                              << " ms after the server came back; dead-lettered "
                              << r.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mail_undeliverable'"));
  BOOST_TEST(delivered == static_cast<std::size_t>(3 * mails_per_phase));
  BOOST_TEST(r.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mail_undeliverable'") == 0);

  for (const auto& f : faults) {
    BOOST_TEST_CONTEXT(f.name) {
#if ENFTEST_TIMING_BOUNDS
      BOOST_TEST(within_twice(f.send.pct(50), healthy.send.pct(50), 2.0), f.send.summary()
                                                                              << " vs " << healthy.send.summary());
      BOOST_TEST(within_twice(f.send.pct(99), healthy.send.pct(99), 15.0), f.send.summary()
                                                                               << " vs " << healthy.send.summary());
#endif
      // The reset answer never waits on SMTP: it only queues the mail.
#if ENFTEST_TIMING_BOUNDS
      BOOST_TEST(within_twice(f.forgot.pct(99), healthy.forgot.pct(99), 20.0),
                 f.forgot.summary() << " vs " << healthy.forgot.summary());
#endif
      BOOST_TEST(f.forgot.max() < 500.0);
      // Sign-up hashes the password on the blocking pool, which SMTP attempts share (one
      // thread of two at most: the sender submits one mail at a time). Never a wait for
      // SMTP: well under smtp.timeout.
#if ENFTEST_TIMING_BOUNDS
      BOOST_TEST(within_twice(f.signup.pct(50), healthy.signup.pct(50), 20.0),
                 f.signup.summary() << " vs " << healthy.signup.summary());
#endif
      BOOST_TEST(f.signup.max() < 500.0);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// "name=value" of the Set-Cookie for `name` in a response, or "".
std::string cookie_from(const http_result& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (boost::iequals(k, "Set-Cookie") && v.rfind(name + "=", 0) == 0) return v.substr(0, v.find(';'));
  return "";
}

// The value of query parameter `key` in a URL (tokens here are URL-safe), or "".
std::string query_value(const std::string& url, const std::string& key) {
  auto at = url.find("?" + key + "=");
  if (at == std::string::npos) at = url.find("&" + key + "=");
  if (at == std::string::npos) return "";
  at += key.size() + 2;
  return url.substr(at, url.find('&', at) - at);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(degraded_google)

BOOST_AUTO_TEST_CASE(google_unreachable_fails_fast_and_the_api_keeps_its_latency) {
  constexpr auto google_timeout = 1500ms;
  constexpr int callbacks = 8;  // per phase; /start allows 30 per client address
  temp_dir provider_dir;
  oidc_provider provider(provider_dir.path());  // its CA file only: Google itself is never reached
  blackhole hang;
  const auto closed_port = free_port();
  struct target {
    std::string name;
    unsigned short port;
    double bound_ms;  // how fast the failure must come
  };
  for (const auto& t : {target{"refused", closed_port, 500.0},
                        target{"hanging", hang.port(), static_cast<double>(google_timeout.count()) + 1000.0}}) {
    BOOST_TEST_CONTEXT(t.name) {
      const std::string base = "https://127.0.0.1:" + std::to_string(t.port);
      rig r([&](config::settings& s) {
        s.google.enabled = true;
        s.google.client_id = oidc_provider::client_id;
        s.google.authorization_endpoint = provider.base_url() + "/authorize";
        s.google.token_endpoint = base + "/token";
        s.google.jwks_uri = base + "/jwks";
        s.google.ca_file = provider.ca_file().string();
        s.google.timeout = google_timeout;
        write_file(std::filesystem::path(s.secrets_dir) / "google.client_secret",
                   std::string(oidc_provider::client_secret) + "\n", 0600);
      });
      auto baseline = r.sends(sends_per_figure);
      // Flows started by "browsers", then their callbacks all at once, while sends go on.
      std::vector<std::pair<std::string, std::string>> flows;  // (state, binding cookie)
      for (int i = 0; i < callbacks; ++i) {
        auto start = http_request("127.0.0.1", r.app.port(), "GET", "/v1/auth/google/start");
        BOOST_TEST_REQUIRE(start.status == 302u);
        flows.emplace_back(query_value(start.header("Location"), "state"), cookie_from(start, "enfinito_oauth"));
        BOOST_TEST_REQUIRE(!flows.back().first.empty());
        BOOST_TEST_REQUIRE(!flows.back().second.empty());
      }
      std::vector<http_result> answers(callbacks);
      latency callback_ms;
      std::mutex mu;
      std::vector<std::thread> browsers;
      for (int i = 0; i < callbacks; ++i)
        browsers.emplace_back([&, i] {
          const auto t0 = clock_type::now();
          auto a = http_request("127.0.0.1", r.app.port(), "GET",
                                "/v1/auth/google/callback?code=abc" + std::to_string(i) + "&state=" + flows[i].first,
                                {{"Cookie", flows[i].second}}, {}, 10s);
          std::lock_guard lock(mu);
          callback_ms.add(clock_type::now() - t0);
          answers[i] = std::move(a);
        });
      auto during = r.sends(sends_per_figure);
      for (auto& b : browsers) b.join();
      BOOST_TEST_MESSAGE("google " << t.name << ": callbacks " << callback_ms.summary() << " (bound " << t.bound_ms
                                   << " ms); sends before " << baseline.summary() << ", during " << during.summary());
      for (const auto& a : answers) {
        BOOST_TEST(a.status == 502u, a.body);
        BOOST_TEST(a.header("content-type") == "application/problem+json");
        BOOST_TEST(a.body.find("google_unavailable") != std::string::npos, a.body);
      }
      BOOST_TEST(callback_ms.max() < t.bound_ms);
#if ENFTEST_TIMING_BOUNDS
      BOOST_TEST(within_twice(during.pct(50), baseline.pct(50), 2.0), during.summary() << " vs " << baseline.summary());
      BOOST_TEST(within_twice(during.pct(99), baseline.pct(99), 15.0), during.summary()
                                                                           << " vs " << baseline.summary());
#endif
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
