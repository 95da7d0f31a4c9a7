// Tenant isolation sweep over the router's own route table (issue 7). Tenant A owns an instance
// (created through the API against the fake Graph API), an outbound message (through the send
// queue), inbound messages (signed webhooks from the fake), events and an API key. Tenant B,
// with an API key and with a session cookie, calls EVERY public route of the running daemon
// with A's ids substituted into the path: nothing may succeed, the answer must be the same as
// for a random id of the same shape (no existence oracle), and no answer may carry A's data.
// Routes without parameters (lists, /v1/me, /v1/events, the export) must not carry it either.
// The route list comes from app::route_list(), so a new route is covered without editing this.
//
// Long version (repeats the sweep with fresh tenants): ENFTEST_ISOLATION_ROUNDS=N.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/http_client.hpp"
#include "support/instances.hpp"
#include "support/temp_store.hpp"
#include "support/tenants.hpp"
#include "support/wait.hpp"

#include <enfinito/app/app.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <set>
#include <thread>

namespace {

namespace json = boost::json;
namespace acc = enfinito::store::accounts;
using namespace enfinito;
using namespace enfinito::test;
using namespace std::chrono_literals;

// Values that appear nowhere else (not in the OpenAPI examples, not in the fake's defaults).
constexpr const char* phone_a = "106540352270001";
constexpr const char* waba_a = "102290129370001";
constexpr const char* display_a = "15550170001";
constexpr const char* phone_b = "106540352270002";
constexpr const char* waba_b = "102290129370002";
constexpr const char* token = "EAAGisolationTOKENq7Zk2Lw9Xv4Rt6Yp1Mn3Bb8";
constexpr const char* secret_a = "isoSECRETa4d9c2b7e1f0a3b8c";
constexpr const char* origin = "http://127.0.0.1:8080";  // the default server.public_url

std::string fake_config() {
  const boost::json::object fast{
      {"verified_name", "Iso Shop"}, {"mps", 10000}, {"pair_burst", 10000}, {"pair_interval_ms", 1}};
  auto number_a = fast, number_b = fast;
  number_a["display_phone_number"] = display_a;
  number_b["display_phone_number"] = "15550170002";
  return fake_graph_config({{phone_a, waba_a, number_a}, {phone_b, waba_b, number_b}}, {token},
                           {{"knobs", json::object{{"window_mode", "off"}}}});
}

struct iso_tenant {
  std::string user_id, email, key, key_id, session;
};

// A user with an API key (and a session), planted through the accounts store.
iso_tenant plant(store::store& db, const std::string& email) {
  iso_tenant t;
  t.email = email;
  auto ec = db.write_sync([&](store::connection& c) -> core::error_code {
    acc::user u;
    u.id = "usr_" + crypto::random_token(12);
    u.email = email;
    u.name = "Tenant " + email.substr(0, 5);
    u.status = "active";
    u.created_at = u.updated_at = acc::now_s();
    if (auto e = acc::insert_user(c, u)) return e;
    t.user_id = u.id;
    return core::error_code{};
  });
  BOOST_REQUIRE(!ec);
  return t;
}

// A fresh API key and session for `t` (the sweep renews them: sign-out and revoke are routes
// too). False when the user is gone (DELETE /v1/me is a route as well).
bool credentials(store::store& db, iso_tenant& t) {
  auto ec = db.write_sync([&](store::connection& c) -> core::error_code {
    test::tenant k;
    if (auto e = plant_tenant(c, k, t.email, {.existing_user_id = t.user_id})) return e;
    t.key = k.key;
    t.key_id = k.key_id;
    test::session s;
    if (auto e = plant_session(c, s, t.user_id)) return e;
    t.session = s.token;
    return core::error_code{};
  });
  return !ec;
}

bool unsafe(const std::string& method) { return method != "GET" && method != "HEAD"; }

enum class via { key, session };

http_result call(unsigned short port, const iso_tenant& t, via how, const std::string& method,
                 const std::string& target, const std::string& body = {}) {
  header_list h;
  if (how == via::key) {
    h.emplace_back("authorization", "Bearer " + t.key);
  } else {
    h.emplace_back("cookie", "enfinito_session=" + t.session);
    if (unsafe(method)) h.emplace_back("origin", origin);
  }
  if (unsafe(method)) h.emplace_back("content-type", "application/json");
  return http_request("127.0.0.1", port, method, target, h, unsafe(method) ? body : std::string());
}

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }
std::string str(const json::value& v, const char* k) { return std::string(v.as_object().at(k).as_string()); }

// A random string of the same shape: the prefix up to the first '_' or '.' kept, the rest
// replaced by random characters of the same length (an id that could exist but does not).
std::string same_shape(const std::string& v) {
  auto cut = v.find_first_of("_.");
  cut = cut == std::string::npos ? 0 : cut + 1;
  std::string rest = crypto::random_token(v.size());
  bool digits = std::all_of(v.begin() + static_cast<long>(cut), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  for (auto& c : rest)
    if (digits) c = static_cast<char>('0' + static_cast<unsigned char>(c) % 10);
  return v.substr(0, cut) + rest.substr(0, v.size() - cut);
}

// Everything of A's that B must never see.
struct a_world {
  iso_tenant a;
  std::string instance, message, wamid_out, inbound_id, wamid_in, media_id, wamid_media;
  std::string text_out = "canary-out-" + crypto::random_token(10);
  std::string text_in = "canary-in-" + crypto::random_token(10);
  std::vector<std::string> needles() const {
    return {a.user_id,   a.email,  a.key_id, instance, message, wamid_out, inbound_id, wamid_in, media_id,
            wamid_media, text_out, text_in,  phone_a,  waba_a,  display_a, secret_a,   token};
  }
};

// The value A owns for parameter `name` following path segment `prev` (empty: unknown).
std::vector<std::string> a_values(const a_world& w, const std::string& prev, const std::string& name) {
  if (name == "instance") return {w.instance};
  if (name == "id") {
    if (prev == "instances") return {w.instance};
    if (prev == "messages") return {w.message, w.inbound_id};
    if (prev == "api-keys") return {w.a.key_id};
    if (prev == "users") return {w.a.user_id};
  }
  if (name == "wamid") return {w.wamid_out, w.wamid_in};
  if (name == "media_id") return {w.media_id};
  return {};
}

struct segment {
  std::string text;  // literal, or the parameter's name
  bool param = false;
};

std::vector<segment> split(const std::string& pattern) {
  std::vector<segment> out;
  std::size_t i = 1;
  while (i <= pattern.size()) {
    auto j = pattern.find('/', i);
    if (j == std::string::npos) j = pattern.size();
    auto s = pattern.substr(i, j - i);
    if (s.size() > 2 && s.front() == '{' && s.back() == '}')
      out.push_back({s.substr(1, s.size() - 2), true});
    else
      out.push_back({s, false});
    i = j + 1;
  }
  return out;
}

// Every concrete target for a pattern: the cartesian product of A's values per parameter.
// `own_instance` non-empty: the instance parameter is B's own (B's instance, A's sub-resource).
struct target {
  std::string a;       // with A's values
  std::string random;  // the same with random ids of the same shape
  bool own = false;    // the instance in the path is B's own
};

std::vector<target> targets(const a_world& w, const std::string& pattern, std::set<std::string>& unmapped,
                            const std::string& own_instance = {}) {
  std::vector<target> out{{"", ""}};
  std::string prev;
  for (const auto& seg : split(pattern)) {
    std::vector<target> next;
    if (!seg.param) {
      for (auto& t : out) next.push_back({t.a + "/" + seg.text, t.random + "/" + seg.text});
    } else {
      auto values = a_values(w, prev, seg.text);
      const bool instance_param = (seg.text == "id" && prev == "instances") || seg.text == "instance";
      if (instance_param && !own_instance.empty()) {
        for (auto& t : out) next.push_back({t.a + "/" + own_instance, t.random + "/" + own_instance});
      } else if (values.empty()) {
        unmapped.insert(pattern + " {" + seg.text + "}");
        for (auto& t : out) next.push_back({t.a + "/x1", t.random + "/x1"});
      } else {
        for (auto& t : out)
          for (const auto& v : values) next.push_back({t.a + "/" + v, t.random + "/" + same_shape(v)});
      }
    }
    out = std::move(next);
    prev = seg.text;
  }
  return out;
}

bool has_param(const std::string& pattern) { return pattern.find('{') != std::string::npos; }
std::size_t param_count(const std::string& pattern) {
  return static_cast<std::size_t>(std::count(pattern.begin(), pattern.end(), '{'));
}

// The fixture: a daemon, the fake as Meta, A's world and B.
struct isolation_world {
  fake_meta meta{fake_config()};
  running_app app{[this](config::settings& s) {
    s.meta.base_url = meta.base_url();
    s.meta.timeout = 5000ms;
    s.queue.backoff_base = 40ms;
    s.queue.backoff_max = 400ms;
    s.queue.sweep_interval = 200ms;
  }};
  a_world w;
  iso_tenant b;
  std::string instance_b;

  std::int64_t db_int(const std::string& sql) { return db_scalar(app.get().database(), sql); }
  std::string db_text(const std::string& sql) { return test::db_text(app.get().database(), sql); }

  std::string create_instance(iso_tenant& t, const char* phone, const char* waba, const char* secret) {
    return connect_routed_instance(meta, app.port(), t.key, {phone, waba, token, secret});
  }

  isolation_world() {
    auto& db = app.get().database();
    w.a = plant(db, "alice.iso." + crypto::random_token(6) + "@example.com");
    BOOST_REQUIRE(credentials(db, w.a));
    b = plant(db, "bob.iso." + crypto::random_token(6) + "@example.com");
    BOOST_REQUIRE(credentials(db, b));
    w.instance = create_instance(w.a, phone_a, waba_a, secret_a);
    instance_b = create_instance(b, phone_b, waba_b, "isoSECRETb9f8e7d6c5b4a3b2c");

    // Outbound: through the queue to the fake, until Meta's wamid is known.
    json::object m{{"to", "15551230001"}, {"type", "text"}, {"text", json::object{{"body", w.text_out}}}};
    auto r = call(app.port(), w.a, via::key, "POST", "/v1/instances/" + w.instance + "/messages", json::serialize(m));
    BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
    w.message = str(body_of(r), "id");
    BOOST_REQUIRE(wait_until([&] {
      auto g = call(app.port(), w.a, via::key, "GET", "/v1/messages/" + w.message);
      auto o = body_of(g);
      if (!o.at("wamid").is_string()) return false;
      w.wamid_out = str(o, "wamid");
      return true;
    }));
    // Inbound: a text and an image (with a media id), signed webhooks from the fake.
    w.wamid_in = str(json::value(meta_inbound({{"type", "text"}, {"text", json::object{{"body", w.text_in}}}})), "id");
    w.wamid_media = str(json::value(meta_inbound({{"type", "image"}})), "id");
    BOOST_REQUIRE(wait_until([&] {
      return db_int("SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND wamid IN ('" + w.wamid_in + "','" +
                    w.wamid_media + "')") == 2;
    }));
    w.inbound_id = db_text("SELECT id FROM messages WHERE wamid = '" + w.wamid_in + "'");
    w.media_id = db_text("SELECT json_extract(body, '$.image.id') FROM messages WHERE wamid = '" + w.wamid_media + "'");
    BOOST_REQUIRE(!w.inbound_id.empty());
    BOOST_REQUIRE(!w.media_id.empty());
    // Status webhooks for the outbound message arrive too: A has events of several kinds.
    BOOST_REQUIRE(wait_until([&] { return db_int("SELECT COUNT(*) FROM events") >= 3; }));
  }

  json::object meta_inbound(json::object body) {
    body["phone_number_id"] = phone_a;
    auto r = http_request("127.0.0.1", meta.port(), "POST", "/_admin/inbound", {{"content-type", "application/json"}},
                          json::serialize(body));
    BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
    return body_of(r);
  }

  // What Meta received from A's number.
  std::size_t sent_by_a() {
    return meta.admin_get(std::string("messages?phone_number_id=") + phone_a).at("messages").as_array().size();
  }
};

struct sweep_figures {
  std::map<unsigned, std::size_t> statuses;  // answers to B on A's resources, by status
  std::size_t routes = 0, param_routes = 0, calls = 0, leaks = 0, successes = 0, oracles = 0, relayed = 0;
};

// Checks one answer's body for A's data.
void no_leak(const a_world& w, const http_result& r, const std::string& what, sweep_figures& f) {
  for (const auto& n : w.needles()) {
    if (n.empty()) continue;
    if (r.body.find(n) != std::string::npos) {
      ++f.leaks;
      BOOST_ERROR(what << ": the answer carries A's " << n << ": " << r.body.substr(0, 300));
    }
  }
}

// Bodies for unsafe methods: empty, a plausible request for most routes (a text message, a
// name, a status), and one naming A's objects inside the body (a key scoped to A's instance, a
// reply quoting A's message).
std::vector<std::string> bodies_for(const a_world& w) {
  return {
      "{}",
      R"({"to":"15551239999","type":"text","text":{"body":"from B"},"name":"B","status":"active",)"
      R"("messaging_product":"whatsapp","about":"B"})",
      json::serialize(json::object{{"name", "B"},
                                   {"instance_ids", json::array{json::value(w.instance)}},
                                   {"to", "15551239999"},
                                   {"type", "text"},
                                   {"text", json::object{{"body", "x"}}},
                                   {"context", json::object{{"message_id", w.wamid_in}}}}),
  };
}

void sweep(isolation_world& x, sweep_figures& f, std::set<std::string>& unmapped) {
  auto& w = x.w;
  const auto port = x.app.port();
  const auto bodies = bodies_for(w);
  std::vector<std::string> plain_routes;
  for (const auto& rt : x.app.get().route_list()) {
    ++f.routes;
    const auto sp = rt.find(' ');
    const std::string method = rt.substr(0, sp), pattern = rt.substr(sp + 1);
    if (!has_param(pattern)) {
      plain_routes.push_back(rt);
      continue;
    }
    ++f.param_routes;
    auto all = targets(w, pattern, unmapped);
    // B's own instance with A's sub-resource (a wamid, a media id of A's).
    if (param_count(pattern) > 1 && pattern.starts_with("/v1/instances/{id}/"))
      for (auto& t : targets(w, pattern, unmapped, x.instance_b)) {
        t.own = true;
        all.push_back(t);
      }
    for (const auto& t : all)
      for (via how : {via::key, via::session}) {
        const bool own = t.own;
        for (const auto& body : unsafe(method) ? bodies : std::vector<std::string>{""}) {
          const std::string what = rt + " as " + (how == via::key ? "B's key " : "B's session ") + method + " " + t.a +
                                   (body.size() > 2 ? " with body " + body.substr(0, 40) : "");
          BOOST_TEST_CONTEXT(what) {
            auto mine = call(port, x.b, how, method, t.a, body);
            auto none = call(port, x.b, how, method, t.random, body);
            f.calls += 2;
            const bool ok = mine.status >= 200 && mine.status < 300;
            if (ok) ++f.successes;
            ++f.statuses[mine.status];
            BOOST_TEST(!ok, "B got " << mine.status << " on A's resource: " << mine.body.substr(0, 300));
            // A 5xx only as Meta's refusal relayed (502), for B's own instance with A's wamid:
            // Meta scopes those to A's number, and it answers exactly as for a random id. Never
            // for a media id: one that is not B's is a 404 media_not_found (issue 23).
            const bool relayed = own && mine.status == 502u && pattern.find("/media/") == std::string::npos;
            BOOST_TEST((mine.status < 500u || relayed), mine.body.substr(0, 300));
            if (relayed) ++f.relayed;
            // /v1 routes authenticate B (a 401 would mean the sweep tested nothing).
            if (pattern.starts_with("/v1/")) BOOST_TEST(mine.status != 401u, mine.body.substr(0, 300));
            // A's id answers exactly like an id that does not exist.
            if (mine.status != none.status) {
              ++f.oracles;
              BOOST_ERROR("A's id gives " << mine.status << ", a random id " << none.status << ": "
                                          << mine.body.substr(0, 200) << " | " << none.body.substr(0, 200));
            }
            no_leak(w, mine, what, f);
          }
        }
      }
  }
  // Routes without parameters: B's own views (lists, /v1/me, the events feed, the export) must
  // not carry A's data. Unsafe ones run last, with fresh credentials each (sign-out, delete-me).
  std::stable_sort(plain_routes.begin(), plain_routes.end(), [](const std::string& l, const std::string& r) {
    auto rank = [](const std::string& s) { return s.starts_with("GET ") ? 0 : s == "DELETE /v1/me" ? 2 : 1; };
    return rank(l) < rank(r);
  });
  for (const auto& rt : plain_routes) {
    const auto sp = rt.find(' ');
    const std::string method = rt.substr(0, sp), pattern = rt.substr(sp + 1);
    for (via how : {via::key, via::session})
      for (const auto& body : unsafe(method) ? bodies : std::vector<std::string>{""}) {
        if (unsafe(method) && !credentials(x.app.get().database(), x.b)) {
          BOOST_TEST_MESSAGE("B's account is gone after " << rt << " (its own account: allowed)");
          return;
        }
        const std::string what = rt + (how == via::key ? " as B's key" : " as B's session");
        BOOST_TEST_CONTEXT(what) {
          auto r = call(port, x.b, how, method, pattern, body);
          ++f.calls;
          BOOST_TEST(r.status < 500u, r.body.substr(0, 300));
          no_leak(w, r, what, f);
        }
      }
  }
}

std::set<std::string> list_ids(const std::string& body) {
  std::set<std::string> out;
  auto v = json::parse(body);
  if (auto* o = v.if_object())
    for (const auto& [k, arr] : *o)
      if (arr.is_array())
        for (const auto& e : arr.as_array())
          if (e.is_object() && e.as_object().contains("id") && e.as_object().at("id").is_string())
            out.insert(std::string(e.as_object().at("id").as_string()));
  return out;
}

void run_round(sweep_figures& f, std::set<std::string>& unmapped) {
  isolation_world x;
  const auto port = x.app.port();
  auto& w = x.w;
  // B's credentials work (otherwise every 404 below would prove nothing).
  {
    auto me = call(port, x.b, via::key, "GET", "/v1/me");
    BOOST_REQUIRE_MESSAGE(me.status == 200u && me.body.find(x.b.email) != std::string::npos, me.body);
    auto me2 = call(port, x.b, via::session, "GET", "/v1/me");
    BOOST_REQUIRE_MESSAGE(me2.status == 200u && me2.body.find(x.b.email) != std::string::npos, me2.body);
    // ... and B sees its own instance (the views checked below are not empty by accident).
    auto list = call(port, x.b, via::key, "GET", "/v1/instances");
    BOOST_REQUIRE(list.status == 200u);
    BOOST_TEST(list_ids(list.body).count(x.instance_b) == 1u);
  }
  const auto sent_before = x.sent_by_a();
  const auto a_events_before = x.db_int("SELECT COUNT(*) FROM events WHERE instance_id = '" + w.instance + "'");

  sweep(x, f, unmapped);

  // A's world is intact: A still reads everything, Meta got nothing more from A's number.
  const auto a = [&](const std::string& target) { return call(port, w.a, via::key, "GET", target); };
  BOOST_TEST(a("/v1/instances/" + w.instance).status == 200u);
  BOOST_TEST(a("/v1/messages/" + w.message).status == 200u);
  BOOST_TEST(a("/v1/messages/" + w.inbound_id).status == 200u);
  auto keys = a("/v1/api-keys");
  BOOST_TEST(keys.body.find(w.a.key_id) != std::string::npos, keys.body.substr(0, 300));
  BOOST_TEST(x.db_int("SELECT COUNT(*) FROM api_keys WHERE id = '" + w.a.key_id + "' AND revoked_at IS NULL") == 1);
  BOOST_TEST(x.db_int("SELECT COUNT(*) FROM users WHERE id = '" + w.a.user_id + "' AND status = 'active'") == 1);
  BOOST_TEST(x.db_int("SELECT COUNT(*) FROM instances WHERE id = '" + w.instance + "' AND status = 'active'") == 1);
  BOOST_TEST(x.sent_by_a() == sent_before);
  BOOST_TEST(x.db_int("SELECT COUNT(*) FROM messages WHERE instance_id = '" + w.instance + "'") == 3);
  BOOST_TEST(x.db_int("SELECT COUNT(*) FROM events WHERE instance_id = '" + w.instance + "'") >= a_events_before);
  auto events = a("/v1/events");
  BOOST_TEST(events.status == 200u);
  BOOST_TEST(events.body.find(w.wamid_in) != std::string::npos);  // the feed does carry A's data for A
}

}  // namespace

BOOST_AUTO_TEST_SUITE(isolation)

BOOST_AUTO_TEST_CASE(tenant_b_never_reaches_or_sees_tenant_a_on_any_route) {
  int rounds = 1;
  if (const char* env = std::getenv("ENFTEST_ISOLATION_ROUNDS")) rounds = std::max(1, std::min(100, std::atoi(env)));
  sweep_figures f;
  std::set<std::string> unmapped;
  for (int i = 0; i < rounds; ++i) run_round(f, unmapped);
  for (const auto& u : unmapped) BOOST_TEST_MESSAGE("parameter without an A value (placeholder used): " << u);
  BOOST_TEST_MESSAGE("isolation sweep: " << rounds << " round(s), " << f.routes << " routes (" << f.param_routes
                                         << " with parameters), " << f.calls << " calls, " << f.successes
                                         << " successes on A's resources, " << f.oracles << " existence oracles, "
                                         << f.relayed << " Meta refusals relayed (502), " << f.leaks << " leaks");
  std::string hist;
  for (const auto& [st, n] : f.statuses) hist += " " + std::to_string(st) + "x" + std::to_string(n);
  BOOST_TEST_MESSAGE("answers to B on A's resources:" << hist);
  BOOST_TEST(f.param_routes > 10u);
  BOOST_TEST(f.successes == 0u);
  BOOST_TEST(f.leaks == 0u);
  BOOST_TEST(f.oracles == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
