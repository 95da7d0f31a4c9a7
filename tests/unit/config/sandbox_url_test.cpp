// config: dev.sandbox_url (web/sandbox.hpp) is a dev-mode, loopback-only setting, and Meta's
// base URL follows it.
#include <enfinito/config/settings.hpp>

#include <boost/test/unit_test.hpp>

using namespace enfinito;

namespace {
config::load_options dev() {
  config::load_options o;
  o.dev = true;
  return o;
}

bool refused(const std::string& toml, const config::load_options& o, const std::string& key) {
  try {
    config::parse(toml, o);
  } catch (const config::config_error& e) {
    return std::string(e.what()).find(key) != std::string::npos;
  }
  return false;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(config_sandbox_url)

BOOST_AUTO_TEST_CASE(off_by_default) { BOOST_TEST(config::parse("", dev()).sandbox_url.empty()); }

BOOST_AUTO_TEST_CASE(dev_mode_only) {
  BOOST_TEST(refused("[dev]\nsandbox_url = \"http://127.0.0.1:9000\"\n", {}, "dev.sandbox_url"));
  config::load_options env;
  env.env["ENFINITO_DEV_SANDBOX_URL"] = "http://127.0.0.1:9000";
  BOOST_TEST(refused("", env, "dev.sandbox_url"));
}

BOOST_AUTO_TEST_CASE(loopback_http_origin_only) {
  for (auto bad : {"https://127.0.0.1:9000", "http://10.0.0.1:9000", "http://example.com:9000",
                   "http://127.0.0.1:9000/path", "http://user@127.0.0.1:9000", "127.0.0.1:9000"})
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(refused(std::string("[dev]\nsandbox_url = \"") + bad + "\"\n", dev(), "dev.sandbox_url"));
    }
  for (auto good : {"http://127.0.0.1:9000", "http://[::1]:9000", "http://localhost:9000/"}) BOOST_TEST_CONTEXT(good) {
      BOOST_TEST(!refused(std::string("[dev]\nsandbox_url = \"") + good + "\"\n", dev(), "dev.sandbox_url"));
    }
}

BOOST_AUTO_TEST_CASE(meta_base_url_follows_or_must_match) {
  auto s = config::parse("[dev]\nsandbox_url = \"http://127.0.0.1:9000/\"\n", dev());
  BOOST_TEST(s.sandbox_url == "http://127.0.0.1:9000");
  BOOST_TEST(s.meta.base_url == "http://127.0.0.1:9000");
  auto same = config::parse(
      "[dev]\nsandbox_url = \"http://127.0.0.1:9000\"\n[meta]\nbase_url = \"http://127.0.0.1:9000\"\n", dev());
  BOOST_TEST(same.meta.base_url == "http://127.0.0.1:9000");
  BOOST_TEST(refused("[dev]\nsandbox_url = \"http://127.0.0.1:9000\"\n[meta]\nbase_url = \"http://127.0.0.1:9001\"\n",
                     dev(), "meta.base_url"));
}

BOOST_AUTO_TEST_SUITE_END()
