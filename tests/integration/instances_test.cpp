// Instances end to end: the real daemon (in-process, or as a child process for restarts and
// its log), a real database file, and the fake Graph API in-process as Meta. Users and API
// keys are planted with the accounts store functions (the accounts feature is tested on its
// own); everything about instances goes through the public API.
#include "fake_graph/server.hpp"
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/fake_numbers.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/test_certs.hpp"

#include <enfinito/core/log.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/keyring.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

namespace {

namespace json = boost::json;
using enfinito::test::http_result;
using namespace enfinito;
using namespace enfinito::test;

constexpr const char* app_id = "1234567890123";
// Canaries: unique strings planted as credentials that must never show up in a log, an API
// response or the database file.
constexpr const char* token = "EAAGcanaryTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8Cc0Dd5Ee";
constexpr const char* token2 = "EAAGcanarySECONDtokenH2j4K6l8Z0x1C3v5B7n9M1";
constexpr const char* secret = "canarySECRET4d9c2b7e1f0a3b8c";

std::string fake_config() {
  return fake_graph_config(
      {{phone_a, waba_a},
       {phone_b,
        waba_b,
        {{"display_phone_number", "15550001111"}, {"verified_name", "Other Shop"}, {"quality_rating", "YELLOW"}}}},
      {token, token2});
}

// The fake Graph API with this file's numbers and tokens (support/fake_graph_server.hpp).
struct fake_shop : test::fake_meta {
  explicit fake_shop(const cert_files* tls = nullptr) : test::fake_meta(fake_config(), tls) {}
};

// Every API answer the test saw, for the canary check.
struct api {
  std::uint16_t port;
  std::string* seen = nullptr;
  http_result call(const tenant& t, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
    header_list h{{"authorization", "Bearer " + t.key}};
    if (!body.empty() || method == "POST" || method == "PATCH") h.emplace_back("content-type", "application/json");
    auto r = http_request("127.0.0.1", port, method, target, h, body);
    if (seen) *seen += r.body + "\n";
    return r;
  }
};

json::object creds(const char* phone = phone_a, const char* waba = waba_a, const char* tok = token) {
  return {{"name", "Shop"},      {"phone_number_id", phone}, {"waba_id", waba},
          {"access_token", tok}, {"app_secret", secret},     {"app_id", app_id}};
}

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::object& o, const char* k) { return std::string(o.at(k).as_string()); }

// A running daemon pointed at the fake.
struct instances_fixture {
  fake_shop meta;
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.meta.timeout = std::chrono::milliseconds(5000);
    s.server.public_url = "https://gw.example.com";
  }};
  api client{app.port()};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(instances)

BOOST_FIXTURE_TEST_CASE(create_verifies_with_meta_and_shows_no_secret, instances_fixture) {
  auto t = make_tenant(app.get().database(), "a@example.com");
  auto r = client.call(t, "POST", "/v1/instances", json::serialize(creds()));
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  auto o = body_of(r);
  const auto id = str(o, "id");
  BOOST_TEST(id.rfind("ins_", 0) == 0u);
  BOOST_TEST(str(o, "phone_number_id") == phone_a);
  BOOST_TEST(str(o, "waba_id") == waba_a);
  BOOST_TEST(str(o, "app_id") == app_id);
  BOOST_TEST(str(o, "access_token") == "****" + std::string(token).substr(std::strlen(token) - 4));
  BOOST_TEST(str(o, "display_phone_number") == "15550783881");
  BOOST_TEST(str(o, "verified_name") == "Lucky Shrub");
  BOOST_TEST(str(o, "quality_rating") == "GREEN");
  BOOST_TEST(str(o, "status") == "active");
  const auto& hook = o.at("webhook").as_object();
  BOOST_TEST(str(hook, "callback_url") == "https://gw.example.com/webhooks/meta/" + id);
  BOOST_TEST(str(hook, "verify_token").size() >= 24u);
  BOOST_TEST(r.body.find(token) == std::string::npos);
  BOOST_TEST(r.body.find(secret) == std::string::npos);

  auto one = client.call(t, "GET", "/v1/instances/" + id);
  BOOST_REQUIRE_EQUAL(one.status, 200u);
  BOOST_TEST(str(body_of(one), "phone_number_id") == phone_a);
  BOOST_TEST(str(body_of(one).at("webhook").as_object(), "verify_token") == str(hook, "verify_token"));
  auto all = client.call(t, "GET", "/v1/instances");
  BOOST_REQUIRE_EQUAL(all.status, 200u);
  BOOST_TEST(body_of(all).at("data").as_array().size() == 1u);

  // The personal-data export lists it, without credentials.
  auto exp = client.call(t, "GET", "/v1/me/export");
  BOOST_REQUIRE_EQUAL(exp.status, 200u);
  const auto exported = body_of(exp);
  const auto& listed = exported.at("instances").as_array();
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(str(listed[0].as_object(), "id") == id);
  BOOST_TEST(exp.body.find(token) == std::string::npos);
  BOOST_TEST(exp.body.find(secret) == std::string::npos);

  // The same number twice: refused.
  auto again = client.call(t, "POST", "/v1/instances", json::serialize(creds()));
  BOOST_TEST(again.status == 409u);
  BOOST_TEST(str(body_of(again), "code") == "phone_number_in_use");
}

BOOST_FIXTURE_TEST_CASE(bad_credentials_are_clear_errors, instances_fixture) {
  auto t = make_tenant(app.get().database(), "b@example.com");
  auto expect = [&](json::object body, unsigned status, const std::string& code, const std::string& field) {
    auto r = client.call(t, "POST", "/v1/instances", json::serialize(body));
    BOOST_TEST_CONTEXT(code) {
      BOOST_TEST(r.status == status);
      BOOST_TEST(r.header("content-type") == "application/problem+json");
      auto o = body_of(r);
      BOOST_TEST(str(o, "code") == code);
      if (!field.empty()) BOOST_TEST(str(o, "field") == field);
      BOOST_TEST(r.body.find(secret) == std::string::npos);
    }
  };
  // Wrong token (Meta: 190).
  expect(creds(phone_a, waba_a, "EAAGwrongTOKENwrongTOKENwrong123"), 422, "meta_token_invalid", "access_token");
  // A WABA id given as the phone number id (another WABA: Graph answers with the WABA object).
  expect(creds(waba_b, waba_a), 422, "meta_not_a_phone_number", "phone_number_id");
  // The same id in both fields: caught before asking Meta.
  expect(creds(waba_a, waba_a), 400, "phone_number_id_is_waba_id", "phone_number_id");
  // The WABA does not own the number.
  expect(creds(phone_a, waba_b), 422, "meta_waba_not_owner", "waba_id");
  // Unknown phone number id.
  expect(creds("106540352240000", waba_a), 422, "meta_unknown_phone_number", "phone_number_id");
  // Field validation, each naming its field.
  auto bad = creds();
  bad["phone_number_id"] = "12ab5678";
  expect(bad, 400, "invalid_field", "phone_number_id");
  bad = creds();
  bad["waba_id"] = "123";
  expect(bad, 400, "invalid_field", "waba_id");
  bad = creds();
  bad["access_token"] = "short";
  expect(bad, 400, "invalid_field", "access_token");
  bad = creds();
  bad["access_token"] = "EAAG has spaces in it, which are not allowed";
  expect(bad, 400, "invalid_field", "access_token");
  bad = creds();
  bad["app_secret"] = "not-alnum-secret-value!";
  expect(bad, 400, "invalid_field", "app_secret");
  bad = creds();
  bad["app_id"] = 12345;
  expect(bad, 400, "invalid_field", "app_id");
  bad = creds();
  bad["name"] = "";
  expect(bad, 400, "invalid_field", "name");
  bad = creds();
  bad.erase("app_secret");
  expect(bad, 400, "missing_field", "app_secret");
  bad = creds();
  bad["admin"] = true;
  expect(bad, 400, "unknown_field", "admin");
  // Nothing was stored.
  auto all = client.call(t, "GET", "/v1/instances");
  BOOST_TEST(body_of(all).at("data").as_array().empty());
}

BOOST_FIXTURE_TEST_CASE(expired_token_means_needs_reauth_until_replaced, instances_fixture) {
  auto t = make_tenant(app.get().database(), "c@example.com");
  auto r = client.call(t, "POST", "/v1/instances", json::serialize(creds()));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  const auto id = str(body_of(r), "id");

  meta.admin("tokens", {{"token", token}, {"state", "expired"}});
  auto v = client.call(t, "POST", "/v1/instances/" + id + "/verify");
  BOOST_REQUIRE_MESSAGE(v.status == 200u, v.body);
  auto o = body_of(v);
  BOOST_TEST(str(o, "status") == "needs_reauth");
  BOOST_TEST(str(o, "status_reason").find("190") != std::string::npos);
  // The state is stored, not just reported.
  BOOST_TEST(str(body_of(client.call(t, "GET", "/v1/instances/" + id)), "status") == "needs_reauth");

  // Re-activating with the same (expired) token is refused; a new token brings it back.
  auto still = client.call(t, "PATCH", "/v1/instances/" + id, R"({"status":"active"})");
  BOOST_TEST(still.status == 422u);
  auto fixed = client.call(t, "PATCH", "/v1/instances/" + id, json::serialize(json::object{{"access_token", token2}}));
  BOOST_REQUIRE_MESSAGE(fixed.status == 200u, fixed.body);
  BOOST_TEST(str(body_of(fixed), "status") == "active");
  BOOST_TEST(str(body_of(fixed), "access_token") == "****" + std::string(token2).substr(std::strlen(token2) - 4));

  // Rename and disable need no Meta call.
  auto off = client.call(t, "PATCH", "/v1/instances/" + id, R"({"name":"Renamed","status":"disabled"})");
  BOOST_REQUIRE_EQUAL(off.status, 200u);
  BOOST_TEST(str(body_of(off), "status") == "disabled");
  BOOST_TEST(str(body_of(off), "name") == "Renamed");

  // Every change of status is on the event log, in order (instances/status.hpp); the
  // refused re-activation and the rename changed none.
  auto events = body_of(client.call(t, "GET", "/v1/events?type=instance.status"));
  std::vector<std::string> seen;
  for (const auto& e : events.at("data").as_array()) {
    BOOST_TEST(str(e.as_object(), "instance_id") == id);
    seen.push_back(str(e.at("data").as_object(), "status"));
  }
  const std::vector<std::string> expected{"needs_reauth", "active", "disabled"};
  BOOST_TEST(seen == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(another_users_instance_is_404_whatever_the_id, instances_fixture) {
  auto& db = app.get().database();
  auto alice = make_tenant(db, "alice@example.com");
  auto bob = make_tenant(db, "bob@example.com");
  auto r = client.call(alice, "POST", "/v1/instances", json::serialize(creds()));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  const auto id = str(body_of(r), "id");
  for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/v1/instances/" + id, ""},
           {"PATCH", "/v1/instances/" + id, R"({"name":"mine now"})"},
           {"POST", "/v1/instances/" + id + "/verify", ""},
           {"DELETE", "/v1/instances/" + id, ""},
           {"GET", "/v1/instances/ins_doesnotexist", ""},
       }) {
    BOOST_TEST_CONTEXT(method << " " << target) {
      auto x = client.call(bob, method, target, body);
      BOOST_TEST(x.status == 404u);
      BOOST_TEST(str(body_of(x), "code") == "instance_not_found");
    }
  }
  BOOST_TEST(body_of(client.call(bob, "GET", "/v1/instances")).at("data").as_array().empty());
  // Alice's instance is untouched.
  BOOST_TEST(str(body_of(client.call(alice, "GET", "/v1/instances/" + id)), "name") == "Shop");

  // A key of Alice's limited to another instance sees nothing, and cannot create.
  auto scoped = make_tenant(db, "", {.instance_ids = {"ins_other"}, .existing_user_id = alice.user_id});
  BOOST_TEST(client.call(scoped, "GET", "/v1/instances/" + id).status == 404u);
  BOOST_TEST(body_of(client.call(scoped, "GET", "/v1/instances")).at("data").as_array().empty());
  BOOST_TEST(client.call(scoped, "POST", "/v1/instances", json::serialize(creds(phone_b, waba_b))).status == 403u);
}

BOOST_FIXTURE_TEST_CASE(delete_removes_everything, instances_fixture) {
  auto t = make_tenant(app.get().database(), "d@example.com");
  auto r = client.call(t, "POST", "/v1/instances", json::serialize(creds()));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  const auto id = str(body_of(r), "id");
  BOOST_TEST(client.call(t, "DELETE", "/v1/instances/" + id).status == 204u);
  BOOST_TEST(client.call(t, "GET", "/v1/instances/" + id).status == 404u);
  BOOST_TEST(client.call(t, "DELETE", "/v1/instances/" + id).status == 404u);
  BOOST_TEST(db_scalar(app.get().database(), "SELECT COUNT(*) FROM instances") == 0);
  // The number can be connected again.
  BOOST_TEST(client.call(t, "POST", "/v1/instances", json::serialize(creds())).status == 201u);
}

BOOST_AUTO_TEST_CASE(canaries_never_leave_memory_and_rotation_keeps_instances_usable) {
  fake_shop meta;
  temp_dir dir;
  const auto db_path = (dir / "enfinito.db").string();
  const std::string toml = process_toml(db_path, meta.base_url(),
                                        "[log]\nlevel = \"debug\"\n"
                                        "[webhooks_out]\nallow_http = true\nallow_ranges = \"127.0.0.0/8\"\n");
  daemon_process d(dir.path(), toml);
  BOOST_REQUIRE(d.start());
  std::string seen;
  api client{d.port(), &seen};

  // Plant a tenant next to the running daemon (a second connection, as enfinitoctl would).
  tenant t = plant_tenant_in_file(db_path, "rot@example.com");
  std::vector<std::string> ids;
  for (auto [phone, waba] : {std::pair{phone_a, waba_a}, std::pair{phone_b, waba_b}}) {
    auto r = client.call(t, "POST", "/v1/instances", json::serialize(creds(phone, waba)));
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    ids.push_back(str(body_of(r), "id"));
  }
  client.call(t, "GET", "/v1/instances");
  // A customer webhook endpoint: its signing secret is sealed by the same vault.
  auto hook = client.call(t, "POST", "/v1/instances/" + ids[0] + "/webhooks", R"({"url":"http://127.0.0.1:9/hook"})");
  BOOST_REQUIRE_MESSAGE(hook.status == 201u, hook.body);
  const auto signing_key_id = [&] {
    auto conn = store::connection::open(db_path, true);
    BOOST_REQUIRE(conn.has_value());
    core::error_code ec;
    auto* st = (*conn)->prepare("SELECT signing_secret FROM webhook_endpoints", ec);
    BOOST_REQUIRE(st != nullptr);
    BOOST_REQUIRE(st->step(ec));
    auto id = crypto::vault::blob_key_id(st->blob(0));
    st->reset();
    return id.value_or(0);
  };
  BOOST_TEST(signing_key_id() == 1u);

  // Rotate online: a new key, every row re-encrypted, the daemon still running.
  const std::string cred_env = "CREDENTIALS_DIRECTORY=" + (dir / "credentials").string();
  const std::string cfg = (dir / "enfinitod.toml").string();
  std::string out;
  BOOST_REQUIRE_MESSAGE(run_program({ENFINITOCTL_PATH, "--config", cfg, "rotate-key"}, &out, {cred_env}) == 0, out);
  BOOST_TEST(out.find("re-encrypted 2 instance(s) under key 2") != std::string::npos, out);
  BOOST_TEST(out.find("re-encrypted 1 webhook signing secret(s) under key 2") != std::string::npos, out);
  BOOST_TEST(signing_key_id() == 2u);  // so retiring key 1 below cannot orphan it
  // The running daemon reads rows sealed under a key it had not loaded, and still calls Meta.
  for (const auto& id : ids) {
    auto g = client.call(t, "GET", "/v1/instances/" + id);
    BOOST_TEST(g.status == 200u, g.body);
    auto v = client.call(t, "POST", "/v1/instances/" + id + "/verify");
    BOOST_TEST(v.status == 200u, v.body);
    BOOST_TEST(str(body_of(v), "status") == "active");
  }
  // Key 2 is active: refused. Key 1 is unused now: retired.
  BOOST_TEST(run_program({ENFINITOCTL_PATH, "--config", cfg, "retire-key", "2"}, &out, {cred_env}) == 1);
  BOOST_REQUIRE_MESSAGE(run_program({ENFINITOCTL_PATH, "--config", cfg, "retire-key", "1"}, &out, {cred_env}) == 0,
                        out);
  auto ring = crypto::load_keyring(dir / "credentials" / "vault.key");
  BOOST_REQUIRE(ring.has_value());
  BOOST_TEST(ring->ids() == std::vector<std::uint32_t>{2});

  // After a restart, with only key 2, every instance still works.
  d.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(d.wait(), 0);
  BOOST_REQUIRE(d.start());
  client.port = d.port();
  for (const auto& id : ids) {
    auto v = client.call(t, "POST", "/v1/instances/" + id + "/verify");
    BOOST_TEST(v.status == 200u, v.body);
    BOOST_TEST(str(body_of(v), "phone_number_id").size() == 15u);
  }
  d.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(d.wait(), 0);

  // The canaries: in no API response, in no log line, nowhere in the database files (the
  // daemon checkpointed its WAL on the way out; read every file next to the database too).
  const auto log = d.log();
  BOOST_TEST(log.find("event=instances.created") != std::string::npos);  // the log is the right one
  std::string db_bytes;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().filename().string().rfind("enfinito.db", 0) == 0) db_bytes += read_file(e.path());
  BOOST_TEST(db_bytes.size() > 4096u);
  for (const char* canary : {token, secret}) {
    BOOST_TEST_CONTEXT(canary) {
      BOOST_TEST(seen.find(canary) == std::string::npos);
      BOOST_TEST(log.find(canary) == std::string::npos);
      BOOST_TEST(db_bytes.find(canary) == std::string::npos);
    }
  }
  // The plain ids are shown by the API but are not stored in the clear either.
  BOOST_TEST(db_bytes.find(phone_a) == std::string::npos);
  BOOST_TEST(db_bytes.find(waba_a) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(meta_over_tls_verifies_the_certificate_and_host_name) {
  temp_dir certs;
  const auto files = write_self_signed(certs.path());
  fake_shop meta(&files);
  const std::string base = "https://localhost:" + std::to_string(meta.port());
  // Trusting the fake's certificate: verified, created.
  {
    running_app app([&](config::settings& s) {
      s.meta.base_url = base;
      s.meta.ca_file = files.cert_path.string();
    });
    api client{app.port()};
    auto t = make_tenant(app.get().database(), "tls@example.com");
    auto r = client.call(t, "POST", "/v1/instances", json::serialize(creds()));
    BOOST_TEST(r.status == 201u, r.body);
  }
  // Not trusting it (system store only), or reaching it under a name the certificate does not
  // carry: nothing is sent, nothing saved, a 503 that says Meta was not reached.
  std::vector<std::pair<std::string, std::string>> cases{{base, std::string()}};
  // A name of this machine that resolves to loopback but is not in the certificate, if any.
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && std::string(host) != "localhost") {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver res(ioc);
    boost::system::error_code ec;
    auto found = res.resolve(host, "0", ec);
    if (!ec && !found.empty() && found.begin()->endpoint().address().to_string() == "127.0.0.1")
      cases.emplace_back("https://" + std::string(host) + ":" + std::to_string(meta.port()), files.cert_path.string());
  }
  BOOST_TEST_MESSAGE("TLS refusal cases: " << cases.size());
  for (const auto& [url, ca] : cases) {
    running_app app([&](config::settings& s) {
      s.meta.base_url = url;
      s.meta.ca_file = ca;
      s.meta.timeout = std::chrono::milliseconds(3000);
    });
    api client{app.port()};
    auto t = make_tenant(app.get().database(), "tls2@example.com");
    auto r = client.call(t, "POST", "/v1/instances", json::serialize(creds()));
    BOOST_TEST_CONTEXT(url << " ca=" << ca) {
      BOOST_TEST(r.status == 503u);
      BOOST_TEST(str(body_of(r), "code") == "meta_unavailable");
    }
  }
}

BOOST_AUTO_TEST_CASE(daemon_refuses_a_missing_or_readable_vault_key) {
  temp_dir dir;
  auto s = test_settings(dir);
  // Missing.
  std::filesystem::remove(std::filesystem::path(s.secrets_dir) / "vault.key");
  {
    app::app a(s);
    BOOST_CHECK_EXCEPTION(a.start(), app::startup_error, [](const app::startup_error& e) {
      return std::string(e.what()).find("vault") != std::string::npos;
    });
  }
  // Group-readable.
  BOOST_REQUIRE(crypto::create_keyring_file(std::filesystem::path(s.secrets_dir) / "vault.key").has_value());
  std::filesystem::permissions(std::filesystem::path(s.secrets_dir) / "vault.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  {
    app::app a(s);
    BOOST_CHECK_EXCEPTION(a.start(), app::startup_error, [](const app::startup_error& e) {
      return std::string(e.what()).find("group- or world-accessible") != std::string::npos;
    });
  }
  // Dev mode creates one (0600) when missing.
  auto dev = s;
  dev.dev = true;
  dev.secrets_dir.clear();
  dev.vault.key_file = (dir / "dev" / "vault.key").string();
  std::filesystem::create_directories(dir / "dev");
  {
    app::app a(dev);
    a.start();
  }
  auto st = std::filesystem::status(dir / "dev" / "vault.key");
  BOOST_TEST(((st.permissions() & std::filesystem::perms::all) ==
              (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)));
}

BOOST_AUTO_TEST_SUITE_END()
