// Hostile input over the whole route table (issue 7): every route that takes a body gets
// malformed JSON, deep nesting, huge arrays, invalid UTF-8, wrong types and oversized fields.
// The route list comes from the running daemon's own router, so a new route is covered
// without anyone remembering to add it here.
#include "support/daemon.hpp"
#include "support/raw_client.hpp"
#include "support/tenants.hpp"

#include <enfinito/app/app.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>

using namespace enfinito;
using namespace enfinito::test;
namespace acc = store::accounts;

namespace {

// An active administrator with an API key, planted through the store.
std::string admin_key(running_app& app) {
  tenant_options admin;
  admin.role = "admin";
  return make_tenant(app.get().database(), "hostile-admin@example.com", admin).key;
}

std::string concrete(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      out += "x1";
      i = pattern.find('}', i);
    } else {
      out += pattern[i];
    }
  }
  return out;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct bad_body {
  std::string name;
  std::string body;
};

std::vector<bad_body> bad_bodies() {
  std::string deep(20'000, '[');
  deep += std::string(20'000, ']');
  std::string many = "[";
  for (int i = 0; i < 150'000; ++i) many += i ? ",0" : "0";
  many += "]";
  return {
      {"truncated", R"({"name": "x", "to": )"},
      {"not json", "name=x&to=y"},
      {"deep nesting", deep},
      {"huge array", many},
      {"invalid utf-8", std::string("{\"name\":\"\xff\xfe\xfd\",\"to\":\"\xc3\x28\"}")},
      {"lone surrogate", R"({"name":"\ud800","text":{"body":"\udfff"}})"},
      {"array", "[]"},
      {"string", R"("hello")"},
      {"number", "12345678901234567890123"},
      {"null", "null"},
      {"wrong types", R"({"name":1,"email":[],"password":{},"to":false,"type":7,"text":"x","url":[1],"instance_ids":"x"})"},
      {"oversized fields", R"({"name":")" + std::string(200'000, 'n') + R"(","to":")" + std::string(100'000, '1') + R"("})"},
      {"duplicate keys", R"({"name":"a","name":"b","to":"1","to":"2"})"},
      {"nul byte", std::string("{\"name\":\"a\0b\"}", 14)},
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(every_route_answers_bad_bodies_with_a_problem_and_stays_up) {
  running_app app([](config::settings& s) { s.limits.body_bytes = 1024 * 1024; });
  const auto key = admin_key(app);
  const auto bodies = bad_bodies();
  const long rss_before = rss_kib();
  std::size_t tried = 0, refused = 0;
  for (const auto& rt : app.get().route_list()) {
    const auto space = rt.find(' ');
    const std::string method = rt.substr(0, space), target = concrete(rt.substr(space + 1));
    if (method != "POST" && method != "PATCH" && method != "PUT") continue;
    const bool graph_route = !app.settings.graph.prefix.empty() && target.rfind(app.settings.graph.prefix + "/", 0) == 0;
    for (const auto& b : bodies) {
      BOOST_TEST_CONTEXT(rt << " with " << b.name) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = http_call(app.port(), method, target, b.body,
                           {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
        const auto took = std::chrono::steady_clock::now() - t0;
        ++tried;
        BOOST_TEST(r.status >= 200);
        BOOST_TEST(r.status < 500, r.body.substr(0, 300));  // never a server error
        BOOST_TEST(took < std::chrono::seconds(2));
        if (r.status >= 400) {
          ++refused;
          if (graph_route) {
            // The Graph-compatible routes answer in Meta's error envelope, as Meta would.
            BOOST_TEST(r.header("content-type") == "application/json");
            BOOST_TEST(r.body.find("\"error\":{") != std::string::npos);
            BOOST_TEST(r.body.find("\"code\":") != std::string::npos);
          } else {
            BOOST_TEST(r.header("content-type") == "application/problem+json");
          }
          // Our own words, never the input echoed back.
          BOOST_TEST(r.body.find("nnnnnnnnnn") == std::string::npos);
        }
      }
    }
  }
  BOOST_TEST_MESSAGE("hostile bodies: " << refused << " of " << tried << " refused");
  BOOST_TEST(tried > 0u);
  // Almost everything is refused; a route that ignores its body (sign-out, retry) may accept.
  BOOST_TEST(refused * 10 >= tried * 8, refused << " of " << tried);
  // Still healthy, and the bad input did not leave memory behind.
  BOOST_TEST(http_call(app.port(), "GET", "/healthz").status == 200);
  // (Not under AddressSanitizer: its quarantine keeps freed memory, up to 256 MiB.)
#if !defined(__SANITIZE_ADDRESS__)
  BOOST_TEST(rss_kib() - rss_before < 64 * 1024, "RSS grew by " << rss_kib() - rss_before << " KiB");
#endif
}

BOOST_AUTO_TEST_SUITE_END()
