// config::settings: good and bad files, environment overrides, dev mode, secret files, renamed sections.
#include "support/captured_log.hpp"
#include "support/temp_dir.hpp"

#include <enfinito/config/settings.hpp>
#include <enfinito/core/log.hpp>

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

using namespace enfinito;

namespace {
// Asserts that parsing fails and the message names `key`.
void expect_error(const std::string& toml, const std::string& key, config::load_options opts = {}) {
  try {
    config::parse(toml, opts);
    BOOST_FAIL("expected a configuration error naming " + key);
  } catch (const config::config_error& e) {
    BOOST_TEST_CONTEXT("message: " << e.what()) { BOOST_TEST(std::string(e.what()).find(key) != std::string::npos); }
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(config_settings)

BOOST_AUTO_TEST_CASE(defaults_are_safe) {
  auto s = config::parse("");
  BOOST_TEST(s.server.listen == "127.0.0.1");
  BOOST_TEST(s.limits.header_bytes == 8192u);
  BOOST_TEST(s.limits.body_bytes == 1024u * 1024u);
  BOOST_TEST(s.limits.header_timeout.count() == 10000);
  BOOST_TEST(s.limits.keepalive_timeout.count() == 60000);
  BOOST_TEST(s.store.synchronous == "full");
  BOOST_TEST(!s.server.tls());
}

BOOST_AUTO_TEST_CASE(good_file) {
  auto s = config::parse(R"(
[server]
listen = "::1"
port = 9443
reactors = 4
public_url = "https://gw.example.com/"
[tls]
cert_file = "/etc/enfinito/cert.pem"
key_file = "/etc/enfinito/key.pem"
[limits]
body_bytes = 2097152
header_timeout_ms = 5000
[store]
path = "/tmp/x.db"
synchronous = "normal"
[log]
level = "debug"
)");
  BOOST_TEST(s.server.listen == "::1");
  BOOST_TEST(s.server.port == 9443);
  BOOST_TEST(s.server.reactors == 4u);
  BOOST_TEST(s.server.public_url == "https://gw.example.com");  // trailing slash trimmed
  BOOST_TEST(s.server.tls());
  BOOST_TEST(s.limits.body_bytes == 2097152u);
  BOOST_TEST(s.limits.header_timeout.count() == 5000);
  BOOST_TEST(s.store.synchronous == "normal");
  BOOST_TEST(s.log_level == "debug");
}

BOOST_AUTO_TEST_CASE(bad_files_name_the_key) {
  expect_error("[server]\nprot = 1\n", "server.prot");
  expect_error("[nope]\nx = 1\n", "nope.x");
  expect_error("toplevel = 1\n", "toplevel");
  expect_error("[server]\nport = \"eighty\"\n", "server.port");
  expect_error("[server]\nport = 70000\n", "server.port");
  expect_error("[server]\nlisten = \"localhost\"\n", "server.listen");
  expect_error("[server]\npublic_url = \"ftp://x\"\n", "server.public_url");
  expect_error("[limits]\nheader_bytes = 10\n", "limits.header_bytes");
  expect_error("[store]\nsynchronous = \"off\"\n", "store.synchronous");
  expect_error("[tls]\ncert_file = \"/x.pem\"\n", "tls.cert_file");
  expect_error("[log]\nlevel = \"loud\"\n", "log.level");
  expect_error("[server\nport = 1\n", "config:1");  // syntax error: file and line
}

BOOST_AUTO_TEST_CASE(environment_overrides_the_file) {
  config::load_options o;
  o.env = {{"ENFINITO_SERVER_PORT", "9000"}, {"ENFINITO_LIMITS_BODY_BYTES", "4096"}, {"ENFINITO_CONFIG", "/x"}};
  auto s = config::parse("[server]\nport = 1\n", o);
  BOOST_TEST(s.server.port == 9000);
  BOOST_TEST(s.limits.body_bytes == 4096u);
}

BOOST_AUTO_TEST_CASE(bad_environment_is_an_error) {
  config::load_options o;
  o.env = {{"ENFINITO_SERVER_PROT", "1"}};
  expect_error("", "ENFINITO_SERVER_PROT", o);
  o.env = {{"ENFINITO_SERVER_PORT", "12x"}};
  expect_error("", "ENFINITO_SERVER_PORT", o);
}

BOOST_AUTO_TEST_CASE(dev_mode_is_loopback_only) {
  config::load_options o;
  o.dev = true;
  auto s = config::parse("", o);
  BOOST_TEST(s.dev);
  BOOST_TEST(s.store.path == "var/enfinito.db");
  expect_error("[server]\nlisten = \"0.0.0.0\"\n", "server.listen", o);
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error) {
  config::load_options o;
  o.file = "/nonexistent/enfinitod.toml";
  BOOST_CHECK_THROW(config::load(o), config::config_error);
}

BOOST_AUTO_TEST_CASE(describe_lists_every_key_with_its_variable) {
  auto d = config::describe_keys();
  BOOST_TEST(d.find("server.port = 8080") != std::string::npos);
  BOOST_TEST(d.find("ENFINITO_LIMITS_HEADER_BYTES") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_files_are_checked) {
  test::temp_dir dir;
  config::settings s;
  s.secrets_dir = dir.path().string();
  std::string why;
  BOOST_TEST(!config::read_secret_file(s, "missing", &why));
  BOOST_TEST(why.find("missing") != std::string::npos);

  test::write_file(dir / "loose", "hunter2-canary\n", 0644);
  BOOST_TEST(!config::read_secret_file(s, "loose", &why));
  BOOST_TEST(why.find("group or others") != std::string::npos);
  BOOST_TEST(why.find("hunter2") == std::string::npos);  // never the content

  test::write_file(dir / "empty", "", 0600);
  BOOST_TEST(!config::read_secret_file(s, "empty", &why));

  test::write_file(dir / "good", "hunter2-canary\n", 0600);
  auto v = config::read_secret_file(s, "good", &why);
  BOOST_REQUIRE(v);
  BOOST_TEST(v->reveal() == "hunter2-canary");
  BOOST_TEST(!config::read_secret_file(s, "../good", &why));
}

BOOST_AUTO_TEST_CASE(vault_and_meta_keys) {
  auto s = config::parse(
      "[meta]\nbase_url = \"http://127.0.0.1:9/\"\ngraph_version = \"v24.0\"\n"
      "timeout_ms = 1500\n[vault]\nkey_file = \"/run/keys/vault.key\"\n");
  BOOST_TEST(s.meta.base_url == "http://127.0.0.1:9");
  BOOST_TEST(s.meta.graph_version == "v24.0");
  BOOST_TEST(s.meta.timeout.count() == 1500);
  BOOST_TEST(config::vault_key_path(s) == "/run/keys/vault.key");
  BOOST_CHECK_THROW(config::parse("[meta]\nbase_url = \"https://graph.facebook.com/v23.0\"\n"), config::config_error);
  BOOST_CHECK_THROW(config::parse("[meta]\nbase_url = \"graph.facebook.com\"\n"), config::config_error);
  BOOST_CHECK_THROW(config::parse("[meta]\ngraph_version = \"23.0\"\n"), config::config_error);
  BOOST_CHECK_THROW(config::parse("[vault]\nkey_file = \"\"\n"), config::config_error);
  // A plain name lives in the secrets directory; dev mode without one keeps it by the database.
  auto named = config::parse("[secrets]\ndir = \"/run/credentials/enfinitod.service\"\n");
  BOOST_TEST(config::vault_key_path(named) == "/run/credentials/enfinitod.service/vault.key");
  config::load_options dev;
  dev.dev = true;
  if (!std::getenv("CREDENTIALS_DIRECTORY")) {
    BOOST_TEST(config::vault_key_path(config::parse("", dev)) == "var/vault.key");
    BOOST_TEST(config::vault_key_path(config::parse("")).empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()

// [webhooks] became [inbound] and [webhooks_out] became [customer_webhooks]: the old names keep
// working, each with one warning, and one section under both names is an error.
BOOST_AUTO_TEST_SUITE(config_renamed_sections)

namespace {
const std::string new_names = R"(
[inbound]
max_body_bytes = 2097152
credential_cache_ttl_ms = 250
[customer_webhooks]
allow_http = true
allow_ranges = "127.0.0.0/8"
retry_base_ms = 500
max_endpoints_per_instance = 7
)";
// The same file under the sections' old names.
std::string with_old_names(std::string toml) {
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"[inbound]", "[webhooks]"}, {"[customer_webhooks]", "[webhooks_out]"}})
    toml.replace(toml.find(from), from.size(), to);
  return toml;
}
const std::string old_names = with_old_names(new_names);

void expect_same(const config::settings& a, const config::settings& b) {
  BOOST_TEST(a.inbound.max_body_bytes == b.inbound.max_body_bytes);
  BOOST_TEST(a.inbound.credential_cache_ttl.count() == b.inbound.credential_cache_ttl.count());
  BOOST_TEST(a.customer_webhooks.allow_http == b.customer_webhooks.allow_http);
  BOOST_TEST(a.customer_webhooks.allow_ranges == b.customer_webhooks.allow_ranges);
  BOOST_TEST(a.customer_webhooks.retry_base.count() == b.customer_webhooks.retry_base.count());
  BOOST_TEST(a.customer_webhooks.max_endpoints_per_instance == b.customer_webhooks.max_endpoints_per_instance);
}

using test::captured_log;
}  // namespace

BOOST_AUTO_TEST_CASE(both_spellings_parse_to_the_same_settings) {
  const auto current = config::parse(new_names);
  BOOST_TEST(current.inbound.max_body_bytes == 2097152u);
  BOOST_TEST(current.inbound.credential_cache_ttl.count() == 250);
  BOOST_TEST(current.customer_webhooks.allow_http);
  BOOST_TEST(current.customer_webhooks.max_endpoints_per_instance == 7u);
  expect_same(config::parse(old_names), current);

  config::load_options old_env, new_env;
  old_env.env = {
      {"ENFINITO_WEBHOOKS_MAX_BODY_BYTES", "2097152"}, {"ENFINITO_WEBHOOKS_CREDENTIAL_CACHE_TTL_MS", "250"},
      {"ENFINITO_WEBHOOKS_OUT_ALLOW_HTTP", "true"},    {"ENFINITO_WEBHOOKS_OUT_ALLOW_RANGES", "127.0.0.0/8"},
      {"ENFINITO_WEBHOOKS_OUT_RETRY_BASE_MS", "500"},  {"ENFINITO_WEBHOOKS_OUT_MAX_ENDPOINTS_PER_INSTANCE", "7"}};
  new_env.env = {{"ENFINITO_INBOUND_MAX_BODY_BYTES", "2097152"},
                 {"ENFINITO_INBOUND_CREDENTIAL_CACHE_TTL_MS", "250"},
                 {"ENFINITO_CUSTOMER_WEBHOOKS_ALLOW_HTTP", "true"},
                 {"ENFINITO_CUSTOMER_WEBHOOKS_ALLOW_RANGES", "127.0.0.0/8"},
                 {"ENFINITO_CUSTOMER_WEBHOOKS_RETRY_BASE_MS", "500"},
                 {"ENFINITO_CUSTOMER_WEBHOOKS_MAX_ENDPOINTS_PER_INSTANCE", "7"}};
  expect_same(config::parse("", old_env), current);
  expect_same(config::parse("", new_env), current);

  // An old-name variable overrides a new-name file, like any variable.
  config::load_options override;
  override.env = {{"ENFINITO_WEBHOOKS_MAX_BODY_BYTES", "4096"}};
  BOOST_TEST(config::parse(new_names, override).inbound.max_body_bytes == 4096u);
  // Checks still name the key.
  expect_error("[webhooks]\nmax_body_bytes = 1\n", "inbound.max_body_bytes");
  expect_error("[webhooks_out]\nnope = 1\n", "webhooks_out.nope");
}

BOOST_AUTO_TEST_CASE(both_spellings_at_once_is_an_error) {
  expect_error("[webhooks]\nmax_body_bytes = 4096\n[inbound]\ncredential_cache_ttl_ms = 5\n", "[inbound]");
  expect_error("[customer_webhooks]\nallow_http = true\n[webhooks_out]\nallow_http = true\n", "[customer_webhooks]");
  config::load_options both;
  both.env = {{"ENFINITO_WEBHOOKS_OUT_TIMEOUT_MS", "1000"}, {"ENFINITO_CUSTOMER_WEBHOOKS_TIMEOUT_MS", "2000"}};
  expect_error("", "ENFINITO_CUSTOMER_WEBHOOKS_TIMEOUT_MS", both);
}

BOOST_AUTO_TEST_CASE(an_old_name_logs_one_warning_with_both_names) {
  captured_log log;
  config::parse(new_names);
  BOOST_TEST(log.count("config.section_deprecated") == 0u);

  config::load_options o;
  o.env = {{"ENFINITO_WEBHOOKS_OUT_TIMEOUT_MS", "1000"}};  // the same old section again
  config::parse(old_names, o);
  BOOST_TEST_CONTEXT("log: " << log.text()) {
    BOOST_TEST(log.count("config.section_deprecated") == 2u);
    BOOST_TEST(log.count("old=webhooks new=inbound") == 1u);
    BOOST_TEST(log.count("old=webhooks_out new=customer_webhooks") == 1u);
  }
}

BOOST_AUTO_TEST_CASE(help_lists_the_new_names) {
  const auto d = config::describe_keys();
  BOOST_TEST(d.find("inbound.max_body_bytes = 3145728") != std::string::npos);
  BOOST_TEST(d.find("ENFINITO_CUSTOMER_WEBHOOKS_ALLOW_HTTP") != std::string::npos);
  BOOST_TEST(d.find("webhooks_out.") == std::string::npos);
  BOOST_TEST(d.find("\nwebhooks.") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
