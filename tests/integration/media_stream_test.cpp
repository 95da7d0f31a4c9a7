// Media that does not sit in memory, and inbound media kept by Enfinito.
// - media_stream: the download proxy streams Meta's answer through to the client in bounded
//   pieces. The real daemon as a child process (so its peak RSS is its own), the fake Graph
//   API in this process serving a large generated file, a real database file.
// - media_inbound: an instance with media_fetch on gets its inbound media fetched from the fake
//   (through its real webhooks) into files, downloadable later; off fetches nothing; deleting
//   the instance, the account or a row past retention removes the file.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/tenants.hpp"

#include <enfinito/crypto/encoding.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <thread>

namespace {

namespace json = boost::json;
namespace acc = enfinito::store::accounts;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

constexpr const char* phone = "106540352277001";
constexpr const char* waba = "102290129377001";
constexpr const char* token = "EAAGcanaryMEDIAstreamTOKENx8Qp3Lm5Zt7Wk2";
constexpr const char* app_secret = "canarySECRETmediaStream9b1e";
constexpr std::size_t MB = 1024 * 1024;

std::string fake_config() {
  json::object number{{"id", phone}, {"waba_id", waba}, {"display_phone_number", "15550180077"},
                      {"verified_name", "Media Shop"}, {"quality_rating", "GREEN"}};
  json::object cfg{{"wabas", json::array{json::object{{"id", waba}, {"name", "M"}}}},
                   {"phone_numbers", json::array{number}},
                   {"tokens", json::array{json::object{{"token", token}, {"waba_ids", json::array{waba}}}}},
                   {"seed_templates", false}};
  return json::serialize(cfg);
}

// A line of /proc/<pid>/status in KiB (VmRSS, VmHWM).
long status_kib(pid_t pid, const std::string& field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

std::string sha256_b64(const std::string& data) {
  const auto d = crypto::sha256(data);
  return crypto::base64_encode(std::span<const unsigned char>(d.data(), d.size()));
}

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::object& o, const char* k) { return std::string(o.at(k).as_string()); }

// enfinitod as a child process with a tenant and one instance on the fake.
struct media_rig {
  fake_meta meta{fake_config()};
  temp_dir dir;
  std::string db_path = (dir / "enfinito.db").string();
  daemon_process d{dir.path(), "[server]\nlisten = \"127.0.0.1\"\nport = 0\nreactors = 2\n[store]\npath = \"" +
                                   db_path + "\"\n[meta]\nbase_url = \"" + meta.base_url() +
                                   "\"\n[media]\ndownload_max_bytes = " + std::to_string(100 * MB) +
                                   "\ntimeout_ms = 60000\nfetch_poll_ms = 100\n"};
  std::string key, instance;

  media_rig() {
    BOOST_REQUIRE_MESSAGE(d.start(), d.log());
    plant_tenant();
    json::object creds{{"name", "Media"}, {"phone_number_id", phone}, {"waba_id", waba}, {"access_token", token},
                       {"app_secret", app_secret}, {"app_id", "1234567890123"}};
    auto r = call("POST", "/v1/instances", json::serialize(creds));
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    instance = str(body_of(r), "id");
  }
  ~media_rig() {
    if (d.running()) {
      d.signal(SIGTERM);
      d.wait();
    }
  }

  void plant_tenant() {
    auto conn = store::connection::open(db_path, false);
    BOOST_REQUIRE(conn.has_value());
    (*conn)->exec("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
    acc::user u;
    u.id = "usr_" + crypto::random_token(12);
    u.email = "media@example.com";
    u.name = "Media";
    u.status = "active";
    u.created_at = u.updated_at = acc::now_s();
    BOOST_REQUIRE(!acc::insert_user(**conn, u));
    acc::api_key k;
    k.id = "key_" + crypto::random_token(12);
    k.user_id = u.id;
    k.name = "media";
    key = "enf_live_" + crypto::random_token(24);
    k.prefix = key.substr(0, 12);
    k.created_at = u.created_at;
    BOOST_REQUIRE(!acc::insert_api_key(**conn, k, crypto::sha256_hex(key)));
  }

  http_result call(const std::string& method, const std::string& target, const std::string& body = {},
                   std::chrono::milliseconds timeout = 10s) {
    header_list h{{"authorization", "Bearer " + key}};
    if (!body.empty()) h.emplace_back("content-type", "application/json");
    return http_request("127.0.0.1", d.port(), method, target, h, body, timeout);
  }

  // A media item of `size` generated bytes at the fake: its id and sha256.
  std::pair<std::string, std::string> generated(std::size_t size, const std::string& mime = "application/pdf") {
    auto o = meta.admin("media", {{"phone_number_id", phone}, {"file_size", size}, {"mime_type", mime}});
    return {str(o, "id"), str(o, "sha256")};
  }
  std::int64_t count(const std::string& sql) {
    auto conn = store::connection::open(db_path, false);
    BOOST_REQUIRE(conn.has_value());
    (*conn)->exec("PRAGMA busy_timeout = 5000;");
    auto n = (*conn)->scalar_int(sql);
    BOOST_REQUIRE(n.has_value());
    return *n;
  }
  std::string content_path(const std::string& media_id) {
    return "/v1/instances/" + instance + "/media/" + media_id + "/content";
  }
};

template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds timeout = 10s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return p();
}

// The daemon in-process, the fake as Meta sending its webhooks to it, a tenant with an instance.
struct inbound_fixture {
  fake_meta meta{fake_config()};
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.media.fetch_poll = 50ms;
    s.retention.interval = 100ms;
  }};
  tenant alice = make_tenant(app.get().database(), "alice@example.com");
  std::string instance_id;

  http_result call(const tenant& t, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
    header_list h{{"authorization", "Bearer " + t.key}};
    if (!body.empty()) h.emplace_back("content-type", "application/json");
    return http_request("127.0.0.1", app.port(), method, target, h, body, 30s);
  }
  // The instance, its callback at the fake pointing here.
  void connect(bool media_fetch) {
    json::object c{{"name", "Shop"}, {"phone_number_id", phone}, {"waba_id", waba}, {"access_token", token},
                   {"app_secret", app_secret}, {"app_id", "1234567890123"}};
    if (media_fetch) c["media_fetch"] = true;
    auto r = call(alice, "POST", "/v1/instances", json::serialize(c));
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    auto o = body_of(r);
    instance_id = str(o, "id");
    BOOST_TEST(o.at("media_fetch").as_bool() == media_fetch);
    meta.admin("numbers", {{"id", phone},
                           {"callback_url", "http://127.0.0.1:" + std::to_string(app.port()) + "/webhooks/meta/" + instance_id},
                           {"app_secret", app_secret},
                           {"verify_token", str(o.at("webhook").as_object(), "verify_token")}});
  }
  // A user sends an image of `size` generated bytes: Meta's media id and sha256.
  std::pair<std::string, std::string> inbound_image(std::size_t size) {
    auto m = meta.admin("media", {{"phone_number_id", phone}, {"file_size", size}, {"mime_type", "image/jpeg"}});
    json::object image{{"id", m.at("id")}, {"mime_type", "image/jpeg"}, {"sha256", m.at("sha256")}};
    meta.admin("inbound", {{"phone_number_id", phone}, {"type", "image"}, {"image", image}});
    return {str(m, "id"), str(m, "sha256")};
  }
  std::int64_t count(const std::string& sql) {
    std::int64_t n = -1;
    auto ec = app.get().database().read_sync([&](store::connection& c) {
      auto v = c.scalar_int(sql);
      if (!v) return v.error();
      n = *v;
      return core::error_code{};
    });
    BOOST_REQUIRE(!ec);
    return n;
  }
  std::filesystem::path media_dir() const { return std::filesystem::path(app.settings.store.path).parent_path() / "media"; }
  std::size_t files_on_disk() const {
    std::size_t n = 0;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(media_dir(), ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file()) ++n;
    return n;
  }
  std::string kept_path(const std::string& media_id) {
    return "/v1/instances/" + instance_id + "/inbound-media/" + media_id;
  }
  // Waits for the fetch, then downloads the kept copy and checks every byte.
  void expect_kept(const std::string& media_id, const std::string& sha) {
    BOOST_REQUIRE_MESSAGE(wait_until([&] {
      return count("SELECT COUNT(*) FROM media_files WHERE state = 'stored' AND media_id = '" + media_id + "'") == 1;
    }), "not stored");
    auto got = call(alice, "GET", kept_path(media_id));
    BOOST_REQUIRE_MESSAGE(got.status == 200u, got.body.substr(0, 300));
    BOOST_TEST(got.header("content-type") == "image/jpeg");
    BOOST_TEST(got.header("x-media-sha256") == sha);
    BOOST_TEST(sha256_b64(got.body) == sha);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(media_stream)

BOOST_FIXTURE_TEST_CASE(a_large_download_streams_through_bounded_memory, media_rig) {
  // Warm up the path (connections, allocator arenas) with a small file, then take the peak.
  auto [small_id, small_sha] = generated(200 * 1024);
  auto small = call("GET", content_path(small_id));
  BOOST_REQUIRE_MESSAGE(small.status == 200u, small.body.substr(0, 300));
  BOOST_TEST(small.body.size() == 200u * 1024u);
  BOOST_TEST(sha256_b64(small.body) == small_sha);
  BOOST_TEST(small.header("transfer-encoding") == "chunked");
  const long peak_before = status_kib(d.pid(), "VmHWM");

  const std::size_t size = 48 * MB;
  auto [big_id, big_sha] = generated(size);
  auto big = call("GET", content_path(big_id), {}, 120s);
  const long peak_after = status_kib(d.pid(), "VmHWM");
  BOOST_REQUIRE_MESSAGE(big.status == 200u, big.body.substr(0, 300));
  BOOST_TEST(big.header("content-type") == "application/pdf");
  BOOST_TEST(big.header("x-media-sha256") == big_sha);
  BOOST_TEST(big.body.size() == size);
  BOOST_TEST(sha256_b64(big.body) == big_sha);  // every byte, in order
  BOOST_TEST_MESSAGE("48 MB download: daemon peak RSS " << peak_before << " -> " << peak_after << " KiB");
  // The whole file never sat in the daemon (the buffered proxy grew by about twice its size).
  // (Not under AddressSanitizer: its quarantine keeps freed memory, so RSS says nothing there.)
#if !defined(__SANITIZE_ADDRESS__)
  BOOST_TEST(peak_after - peak_before < 12 * 1024, "peak RSS grew by " << peak_after - peak_before << " KiB");
#endif
  // Still answering, and the slot was given back.
  BOOST_TEST(call("GET", content_path(small_id)).status == 200u);
}

BOOST_FIXTURE_TEST_CASE(an_upload_is_held_once_not_twice, media_rig) {
  // Warm up with a small upload, then take the peak.
  auto small = http_request("127.0.0.1", d.port(), "POST", "/v1/instances/" + instance + "/media",
                            {{"authorization", "Bearer " + key}, {"content-type", "video/mp4"}}, std::string(1000, 'v'), 30s);
  BOOST_REQUIRE_MESSAGE(small.status == 201u, small.body);
  const long peak_before = status_kib(d.pid(), "VmHWM");
  std::string video(15 * MB, '\0');
  for (std::size_t i = 0; i < video.size(); ++i) video[i] = static_cast<char>(i * 131 % 251);
  auto up = http_request("127.0.0.1", d.port(), "POST", "/v1/instances/" + instance + "/media",
                         {{"authorization", "Bearer " + key}, {"content-type", "video/mp4"}}, video, 60s);
  const long peak_after = status_kib(d.pid(), "VmHWM");
  BOOST_REQUIRE_MESSAGE(up.status == 201u, up.body);
  // Meta got every byte: download it back through the streaming proxy.
  auto back = call("GET", content_path(str(body_of(up), "id")), {}, 60s);
  BOOST_REQUIRE_EQUAL(back.status, 200u);
  BOOST_TEST((back.body == video));
  BOOST_TEST_MESSAGE("15 MB upload: daemon peak RSS " << peak_before << " -> " << peak_after << " KiB");
  // The request body once (15 MiB) and small change, not a second copy for Meta.
#if !defined(__SANITIZE_ADDRESS__)
  BOOST_TEST(peak_after - peak_before < 22 * 1024, "peak RSS grew by " << peak_after - peak_before << " KiB");
#endif
}

BOOST_FIXTURE_TEST_CASE(the_size_cap_still_holds_when_streaming, media_rig) {
  // Meta announces the size: refused before any byte is relayed.
  auto [id, sha] = generated(101 * MB);
  auto r = call("GET", content_path(id), {}, 60s);
  BOOST_TEST(r.status == 502u, r.body.substr(0, 300));
  BOOST_TEST(r.body.find("media_too_large_to_relay") != std::string::npos);
  BOOST_TEST(call("GET", "/healthz").status == 200u);
}

BOOST_FIXTURE_TEST_CASE(a_pending_inbound_fetch_survives_kill_9, media_rig) {
  // The instance keeps its inbound media, and Meta's webhooks come here.
  auto on = call("PATCH", "/v1/instances/" + instance, R"({"media_fetch":true})");
  BOOST_REQUIRE_MESSAGE(on.status == 200u, on.body);
  meta.admin("numbers", {{"id", phone},
                         {"callback_url", "http://127.0.0.1:" + std::to_string(d.port()) + "/webhooks/meta/" + instance},
                         {"app_secret", app_secret},
                         {"verify_token", str(body_of(on).at("webhook").as_object(), "verify_token")}});
  // Meta answers slowly: the fetch is in flight when the daemon dies.
  meta.admin("knobs", {{"latency_ms", 3000}});
  auto [media_id, sha] = generated(100 * 1024, "image/jpeg");
  json::object image{{"id", media_id}, {"mime_type", "image/jpeg"}, {"sha256", sha}};
  meta.admin("inbound", {{"phone_number_id", phone}, {"type", "image"}, {"image", image}});
  BOOST_REQUIRE(wait_until([&] { return count("SELECT COUNT(*) FROM media_files WHERE state = 'pending'") == 1; }));
  std::this_thread::sleep_for(500ms);  // several polls: the lookup is waiting on Meta
  d.signal(SIGKILL);
  BOOST_REQUIRE_EQUAL(d.wait(), 128 + SIGKILL);
  BOOST_TEST(count("SELECT COUNT(*) FROM media_files WHERE state = 'pending'") == 1);  // the job survived
  meta.admin("knobs", {{"latency_ms", 0}});
  BOOST_REQUIRE_MESSAGE(d.start(), d.log());
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return count("SELECT COUNT(*) FROM media_files WHERE state = 'stored'") == 1; }, 20s),
                        d.log());
  auto got = call("GET", "/v1/instances/" + instance + "/inbound-media/" + media_id);
  BOOST_REQUIRE_EQUAL(got.status, 200u);
  BOOST_TEST(sha256_b64(got.body) == sha);
  BOOST_TEST(got.body.size() == 100u * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(media_inbound)

BOOST_FIXTURE_TEST_CASE(an_inbound_image_is_kept_and_downloadable_later, inbound_fixture) {
  connect(true);
  auto [media_id, sha] = inbound_image(300 * 1024);
  expect_kept(media_id, sha);
  BOOST_TEST(files_on_disk() == 1u);
  // Meta forgets it (its 7 days pass): Enfinito's copy stays.
  auto gone = http_request("127.0.0.1", meta.port(), "DELETE", "/v23.0/" + media_id,
                           {{"authorization", std::string("Bearer ") + token}});
  BOOST_REQUIRE_EQUAL(gone.status, 200u);
  BOOST_TEST(call(alice, "GET", "/v1/instances/" + instance_id + "/media/" + media_id + "/content").status == 404u);
  auto again = call(alice, "GET", kept_path(media_id));
  BOOST_TEST(again.status == 200u);
  BOOST_TEST(sha256_b64(again.body) == sha);
  // The export lists it (P8), with where to download it.
  auto exported = call(alice, "GET", "/v1/me/export");
  BOOST_REQUIRE_EQUAL(exported.status, 200u);
  const auto kept = json::parse(exported.body).at("inbound_media").as_array();
  BOOST_REQUIRE_EQUAL(kept.size(), 1u);
  BOOST_TEST(str(kept[0].as_object(), "media_id") == media_id);
  BOOST_TEST(str(kept[0].as_object(), "download") == kept_path(media_id));
  // Someone else's instance, or an unknown id, is a 404 like a missing one.
  auto bob = make_tenant(app.get().database(), "bob@example.com");
  auto other = call(bob, "GET", kept_path(media_id));
  BOOST_TEST(other.status == 404u);
  BOOST_TEST(other.body.find(sha) == std::string::npos);
  BOOST_TEST(call(alice, "GET", kept_path("12345")).status == 404u);
  BOOST_TEST(call(alice, "GET", kept_path("not-digits")).status == 400u);
  // The option can be switched off: nothing new is fetched.
  auto off = call(alice, "PATCH", "/v1/instances/" + instance_id, R"({"media_fetch":false})");
  BOOST_REQUIRE_MESSAGE(off.status == 200u, off.body);
  BOOST_TEST(body_of(off).at("media_fetch").as_bool() == false);
  BOOST_TEST(call(alice, "PATCH", "/v1/instances/" + instance_id, R"({"media_fetch":"yes"})").status == 400u);
  auto [later, later_sha] = inbound_image(1000);
  BOOST_REQUIRE(wait_until([&] { return count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'") == 2; }));
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(count("SELECT COUNT(*) FROM media_files") == 1);
}

BOOST_FIXTURE_TEST_CASE(with_the_option_off_nothing_is_fetched, inbound_fixture) {
  connect(false);
  const auto before = meta.requests();
  auto [media_id, sha] = inbound_image(2000);
  BOOST_REQUIRE(wait_until([&] { return count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'") == 1; }));
  std::this_thread::sleep_for(400ms);  // several fetcher polls
  BOOST_TEST(count("SELECT COUNT(*) FROM media_files") == 0);
  BOOST_TEST(files_on_disk() == 0u);
  BOOST_TEST(meta.requests() - before <= 3);  // the admin calls and this count: no lookup, no download
  auto r = call(alice, "GET", kept_path(media_id));
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(r.body.find("media_not_found") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(deleting_the_instance_removes_the_file, inbound_fixture) {
  connect(true);
  auto [media_id, sha] = inbound_image(5000);
  expect_kept(media_id, sha);
  BOOST_REQUIRE_EQUAL(files_on_disk(), 1u);
  BOOST_REQUIRE_EQUAL(call(alice, "DELETE", "/v1/instances/" + instance_id).status, 204u);
  BOOST_TEST(wait_until([&] { return files_on_disk() == 0; }, 5s));
  BOOST_TEST(wait_until([&] { return count("SELECT COUNT(*) FROM media_trash") == 0; }, 5s));
  BOOST_TEST(count("SELECT COUNT(*) FROM media_files") == 0);
}

BOOST_FIXTURE_TEST_CASE(deleting_the_account_removes_the_file, inbound_fixture) {
  connect(true);
  auto [media_id, sha] = inbound_image(5000);
  expect_kept(media_id, sha);
  // What DELETE /v1/me runs: the user row goes and the cascade takes the rest.
  const std::string uid = alice.user_id;
  auto ec = app.get().database().write_sync([&](store::connection& c) { return acc::delete_user(c, uid); });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(wait_until([&] { return files_on_disk() == 0; }, 5s));
  BOOST_TEST(count("SELECT COUNT(*) FROM media_files") == 0);
}

BOOST_FIXTURE_TEST_CASE(media_meta_does_not_know_is_marked_failed, inbound_fixture) {
  connect(true);
  json::object image{{"id", "990000000000001"}, {"mime_type", "image/jpeg"}, {"sha256", "x"}};
  meta.admin("inbound", {{"phone_number_id", phone}, {"type", "image"}, {"image", image}});
  // Meta answers "no such object": no point in retrying.
  BOOST_REQUIRE(wait_until([&] { return count("SELECT COUNT(*) FROM media_files WHERE state = 'failed'") == 1; }));
  BOOST_TEST(count("SELECT attempts FROM media_files") == 1);
  BOOST_TEST(files_on_disk() == 0u);
  auto r = call(alice, "GET", kept_path("990000000000001"));
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(r.body.find("media_fetch_failed") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(retention_removes_old_files, inbound_fixture) {
  connect(true);
  auto [media_id, sha] = inbound_image(5000);
  expect_kept(media_id, sha);
  // Older than retention.inbound_media_days (30 by default).
  auto ec = app.get().database().write_sync([](store::connection& c) {
    return c.exec("UPDATE media_files SET created_at = created_at - 31 * 86400000");
  });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(wait_until([&] { return files_on_disk() == 0; }, 5s));
  BOOST_TEST(call(alice, "GET", kept_path(media_id)).status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
