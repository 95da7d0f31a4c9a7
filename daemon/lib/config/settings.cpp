// config::settings: the key table, TOML and environment parsing, validation, secret files.
#include <enfinito/config/settings.hpp>

#include <enfinito/core/ip_policy.hpp>
#include <enfinito/core/log.hpp>
#include <boost/asio/ip/address.hpp>
#include <libpq-fe.h>
#include <toml++/toml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <variant>

extern char** environ;

namespace enfinito::config {
namespace {

// A raw value from TOML or the environment, before it is checked against its key.
using raw_value = std::variant<std::string, std::int64_t, bool>;

enum class kind { text, integer, boolean };

struct key_def {
  std::string_view name;  // "section.key"
  kind type;
  std::int64_t min = 0;
  std::int64_t max = 0;
  std::function<void(settings&, const raw_value&)> set;
  std::function<std::string(const settings&)> show;
  std::string_view doc;
};

template <class Get>
key_def text_key(std::string_view name, Get get, std::string_view doc) {
  return {name,
          kind::text,
          0,
          0,
          [get](settings& s, const raw_value& v) { get(s) = std::get<std::string>(v); },
          [get](const settings& s) { return "\"" + get(const_cast<settings&>(s)) + "\""; },
          doc};
}

template <class Get>
key_def bool_key(std::string_view name, Get get, std::string_view doc) {
  return {name,
          kind::boolean,
          0,
          0,
          [get](settings& s, const raw_value& v) { get(s) = std::get<bool>(v); },
          [get](const settings& s) { return std::string(get(const_cast<settings&>(s)) ? "true" : "false"); },
          doc};
}

template <class Get>
key_def int_key(std::string_view name, std::int64_t lo, std::int64_t hi, Get get, std::string_view doc) {
  return {name,
          kind::integer,
          lo,
          hi,
          [get](settings& s, const raw_value& v) {
            using T = std::remove_reference_t<decltype(get(s))>;
            get(s) = static_cast<T>(std::get<std::int64_t>(v));
          },
          [get](const settings& s) { return std::to_string(get(const_cast<settings&>(s))); },
          doc};
}

template <class Get>
key_def ms_key(std::string_view name, std::int64_t lo, std::int64_t hi, Get get, std::string_view doc) {
  return {name,
          kind::integer,
          lo,
          hi,
          [get](settings& s, const raw_value& v) { get(s) = milliseconds(std::get<std::int64_t>(v)); },
          [get](const settings& s) { return std::to_string(get(const_cast<settings&>(s)).count()); },
          doc};
}

// A duration key given in a coarser unit (days, hours) and kept in milliseconds.
template <class Get>
key_def unit_key(std::string_view name, std::int64_t lo, std::int64_t hi, std::int64_t unit_ms, Get get,
                 std::string_view doc) {
  return {
      name,
      kind::integer,
      lo,
      hi,
      [get, unit_ms](settings& s, const raw_value& v) { get(s) = milliseconds(std::get<std::int64_t>(v) * unit_ms); },
      [get, unit_ms](const settings& s) { return std::to_string(get(const_cast<settings&>(s)).count() / unit_ms); },
      doc};
}

// The one list of configuration keys. A key missing here is an error wherever it appears.
const std::vector<key_def>& keys() {
  static const std::vector<key_def> table = {
      text_key(
          "server.listen", [](settings & s) -> auto& { return s.server.listen; },
          "address to bind (IPv4 or IPv6 literal)"),
      int_key(
          "server.port", 0, 65535, [](settings & s) -> auto& { return s.server.port; },
          "TCP port; 0 picks a free port (tests)"),
      int_key(
          "server.reactors", 0, 256, [](settings & s) -> auto& { return s.server.reactors; },
          "reactor threads; 0 = one per core"),
      text_key(
          "server.public_url", [](settings & s) -> auto& { return s.server.public_url; },
          "external base URL used in links and callback URLs"),
      text_key(
          "tls.cert_file", [](settings & s) -> auto& { return s.server.tls_cert_file; },
          "PEM certificate chain; TLS is on when cert_file and key_file are set"),
      text_key(
          "tls.key_file", [](settings & s) -> auto& { return s.server.tls_key_file; }, "PEM private key"),
      int_key(
          "limits.header_bytes", 1024, 1 << 20, [](settings & s) -> auto& { return s.limits.header_bytes; },
          "request line + headers; larger gets 431"),
      int_key(
          "limits.body_bytes", 1024, 1ll << 32, [](settings & s) -> auto& { return s.limits.body_bytes; },
          "default request body limit; larger gets 413"),
      ms_key(
          "limits.header_timeout_ms", 100, 600'000, [](settings & s) -> auto& { return s.limits.header_timeout; },
          "time to receive a request's headers; then 408"),
      ms_key(
          "limits.body_idle_timeout_ms", 100, 600'000, [](settings & s) -> auto& { return s.limits.body_idle_timeout; },
          "longest pause while receiving a body; then 408"),
      ms_key(
          "limits.write_timeout_ms", 100, 600'000, [](settings & s) -> auto& { return s.limits.write_timeout; },
          "time to send a response"),
      ms_key(
          "limits.keepalive_timeout_ms", 100, 3'600'000,
          [](settings & s) -> auto& { return s.limits.keepalive_timeout; }, "idle keep-alive connection lifetime"),
      int_key(
          "limits.max_connections", 1, 1'000'000, [](settings & s) -> auto& { return s.limits.max_connections; },
          "open connections across all reactors; more are closed at once"),
      int_key(
          "limits.max_requests_per_connection", 1, 1'000'000,
          [](settings & s) -> auto& { return s.limits.max_requests_per_connection; },
          "requests served on one keep-alive connection before it is closed"),
      int_key(
          "limits.json_max_depth", 2, 256, [](settings & s) -> auto& { return s.limits.json_max_depth; },
          "nesting depth of JSON bodies; deeper gets 400"),
      int_key(
          "limits.json_max_elements", 16, 10'000'000, [](settings & s) -> auto& { return s.limits.json_max_elements; },
          "values in one JSON body; more gets 400"),
      ms_key(
          "limits.drain_timeout_ms", 0, 600'000, [](settings & s) -> auto& { return s.limits.drain_timeout; },
          "on SIGTERM, how long in-flight requests may take"),
      text_key(
          "store.path", [](settings & s) -> auto& { return s.store.path; }, "SQLite database file"),
      text_key(
          "store.synchronous", [](settings & s) -> auto& { return s.store.synchronous; },
          "full (a 202 survives power loss) or normal"),
      int_key(
          "store.read_connections", 1, 64, [](settings & s) -> auto& { return s.store.read_connections; },
          "read-only SQLite connections (and threads)"),
      int_key(
          "store.commit_batch_max", 1, 100'000, [](settings & s) -> auto& { return s.store.commit_batch_max; },
          "writes grouped into one transaction at most"),
      ms_key(
          "store.busy_timeout_ms", 0, 600'000, [](settings & s) -> auto& { return s.store.busy_timeout; },
          "SQLite busy timeout"),
      ms_key(
          "store.housekeeping_interval_ms", 10, 24 * 3'600'000,
          [](settings & s) -> auto& { return s.store.housekeeping_interval; },
          "how often expired sessions, reset tokens, sign-in flows (and data past retention) are swept"),
      text_key(
          "store.backend", [](settings & s) -> auto& { return s.store.backend; },
          "sqlite or postgres (postgres: the store modules are being ported; the daemon says which)"),
      text_key(
          "store.postgres_url", [](settings & s) -> auto& { return s.store.postgres_url; },
          "libpq connection string or postgresql:// URI, without a password (secret file postgres.password)"),
      int_key(
          "store.postgres_pool_size", 1, 256, [](settings & s) -> auto& { return s.store.postgres_pool_size; },
          "PostgreSQL connections (and threads) of this node"),
      ms_key(
          "store.postgres_statement_timeout_ms", 10, 600'000,
          [](settings & s) -> auto& { return s.store.postgres_statement_timeout; },
          "statement_timeout of every PostgreSQL session; a longer statement fails (503)"),
      ms_key(
          "store.postgres_connect_timeout_ms", 1'000, 600'000,
          [](settings & s) -> auto& { return s.store.postgres_connect_timeout; },
          "deadline of one PostgreSQL connection attempt (whole seconds, at least 2)"),
      text_key(
          "cluster.node_id", [](settings & s) -> auto& { return s.cluster.node_id; },
          "this node's name in instance leases; empty: the host name"),
      ms_key(
          "cluster.lease_ms", 1'000, 600'000, [](settings & s) -> auto& { return s.cluster.lease_ms; },
          "instance lease length: a dead node's instances move to another node within this"),
      int_key(
          "auth.session_idle_timeout_s", 60, 365ll * 24 * 3600,
          [](settings & s) -> auto& { return s.auth.session_idle_timeout_s; }, "a session unused this long ends"),
      int_key(
          "auth.session_absolute_timeout_s", 60, 365ll * 24 * 3600,
          [](settings & s) -> auto& { return s.auth.session_absolute_timeout_s; },
          "a session ends this long after sign-in, used or not"),
      int_key(
          "auth.reset_token_ttl_s", 60, 24 * 3600, [](settings & s) -> auto& { return s.auth.reset_token_ttl_s; },
          "password-reset link lifetime"),
      int_key(
          "auth.recent_signin_s", 0, 24 * 3600, [](settings & s) -> auto& { return s.auth.recent_signin_s; },
          "DELETE /v1/me needs the password unless the session is this recent"),
      int_key(
          "auth.signin_max_failures_per_account", 1, 99,
          [](settings & s) -> auto& { return s.auth.signin_max_failures_per_account; },
          "failed sign-ins on one account per window before 429"),
      int_key(
          "auth.signin_max_failures_per_address", 1, 10'000,
          [](settings & s) -> auto& { return s.auth.signin_max_failures_per_address; },
          "failed sign-ins from one client address per window before 429"),
      int_key(
          "auth.signin_window_s", 1, 24 * 3600, [](settings & s) -> auto& { return s.auth.signin_window_s; },
          "sign-in throttle window (longest lock-out of an account)"),
      bool_key(
          "auth.admin_second_factor", [](settings & s) -> auto& { return s.auth.admin_second_factor; },
          "administrators must enrol a TOTP second factor: until they do, their session may only enrol one"),
      text_key(
          "smtp.host", [](settings & s) -> auto& { return s.smtp.host; },
          "SMTP submission server; empty: mail stays in the outbox (dev mode writes files)"),
      int_key(
          "smtp.port", 1, 65535, [](settings & s) -> auto& { return s.smtp.port; }, "SMTP port"),
      text_key(
          "smtp.from", [](settings & s) -> auto& { return s.smtp.from; }, "sender address"),
      text_key(
          "smtp.starttls", [](settings & s) -> auto& { return s.smtp.starttls; },
          "required (refuse to send without STARTTLS) or off (loopback test servers)"),
      text_key(
          "smtp.username", [](settings & s) -> auto& { return s.smtp.username; },
          "SMTP AUTH user; the password is the secret file smtp.password"),
      ms_key(
          "smtp.timeout_ms", 100, 600'000, [](settings & s) -> auto& { return s.smtp.timeout; },
          "one SMTP submission, connection included"),
      ms_key(
          "smtp.retry_base_ms", 10, 3'600'000, [](settings & s) -> auto& { return s.smtp.retry_base; },
          "first retry delay after a failed submission; doubles per attempt"),
      ms_key(
          "smtp.retry_max_ms", 10, 86'400'000, [](settings & s) -> auto& { return s.smtp.retry_max; },
          "longest retry delay"),
      ms_key(
          "smtp.poll_interval_ms", 10, 600'000, [](settings & s) -> auto& { return s.smtp.poll_interval; },
          "how often the mail sender looks for due mail"),
      ms_key(
          "smtp.give_up_after_ms", 1'000, 30ll * 24 * 3'600'000,
          [](settings & s) -> auto& { return s.smtp.give_up_after; },
          "a mail still unsent this long after it was queued is dropped (dead letter, audit-logged)"),
      text_key(
          "mail.dev_dir", [](settings & s) -> auto& { return s.smtp.dev_dir; },
          "dev mode: directory where mails are written as files"),
      bool_key(
          "google.enabled", [](settings & s) -> auto& { return s.google.enabled; },
          "Google Sign-In on; needs google.client_id and the secret file google.client_secret"),
      text_key(
          "google.client_id", [](settings & s) -> auto& { return s.google.client_id; },
          "OAuth client id of this deployment"),
      text_key(
          "google.authorization_endpoint", [](settings & s) -> auto& { return s.google.authorization_endpoint; },
          "provider authorization endpoint (https)"),
      text_key(
          "google.token_endpoint", [](settings & s) -> auto& { return s.google.token_endpoint; },
          "provider token endpoint (https; http only on loopback)"),
      text_key(
          "google.jwks_uri", [](settings & s) -> auto& { return s.google.jwks_uri; },
          "provider JWKS URL (https; http only on loopback)"),
      text_key(
          "google.issuer", [](settings & s) -> auto& { return s.google.issuer; },
          "accepted ID token iss (Google's default also accepts accounts.google.com)"),
      text_key(
          "google.ca_file", [](settings & s) -> auto& { return s.google.ca_file; },
          "extra PEM CA file trusted for the provider (tests); empty: system store only"),
      ms_key(
          "google.timeout_ms", 100, 120'000, [](settings & s) -> auto& { return s.google.timeout; },
          "deadline of one call to the token endpoint or JWKS"),
      int_key(
          "google.jwks_min_refresh_s", 0, 3600, [](settings & s) -> auto& { return s.google.jwks_min_refresh_s; },
          "an unknown key id refetches the JWKS at most once per this many seconds"),
      text_key(
          "vault.key_file", [](settings & s) -> auto& { return s.vault.key_file; },
          "vault key file: a name in the secrets directory, or an absolute path"),
      text_key(
          "meta.base_url", [](settings & s) -> auto& { return s.meta.base_url; },
          "Graph API origin, http(s)://host[:port] (tests point it at the fake)"),
      text_key(
          "meta.graph_version", [](settings & s) -> auto& { return s.meta.graph_version; },
          "Graph API version used in every call, vNN.N"),
      text_key(
          "meta.ca_file", [](settings & s) -> auto& { return s.meta.ca_file; },
          "extra PEM CA trusted for the Graph API (on top of the system store)"),
      ms_key(
          "meta.timeout_ms", 100, 600'000, [](settings & s) -> auto& { return s.meta.timeout; },
          "deadline of one Graph API call (connect, TLS, request, response)"),
      int_key(
          "meta.max_response_bytes", 1024, 1ll << 30, [](settings & s) -> auto& { return s.meta.max_response_bytes; },
          "largest Graph API response body accepted"),
      ms_key(
          "meta.connect_timeout_ms", 100, 600'000, [](settings & s) -> auto& { return s.meta.connect_timeout; },
          "deadline of resolve + connect + TLS handshake for a new Graph API connection"),
      int_key(
          "meta.max_idle_connections", 0, 10'000, [](settings & s) -> auto& { return s.meta.max_idle_connections; },
          "kept-alive Graph API connections per reactor (0: a new connection per call)"),
      ms_key(
          "meta.idle_timeout_ms", 1'000, 3'600'000, [](settings & s) -> auto& { return s.meta.idle_timeout; },
          "an idle Graph API connection unused this long is closed, not reused"),
      // [feed]: the live WebSocket feed (issue 6, feed/session.hpp).
      int_key(
          "feed.max_connections", 1, 1'000'000, [](settings & s) -> auto& { return s.feed.max_connections; },
          "live-feed WebSockets open at once; more get 503 before the upgrade"),
      int_key(
          "feed.max_queued_messages", 1, 1'000'000, [](settings & s) -> auto& { return s.feed.max_queued_messages; },
          "events waiting to be written to one feed socket; past it the socket closes with 4008"),
      int_key(
          "feed.max_queued_bytes", 1024, 1ll << 30, [](settings & s) -> auto& { return s.feed.max_queued_bytes; },
          "bytes waiting to be written to one feed socket; past it the socket closes with 4008"),
      ms_key(
          "feed.ping_interval_ms", 100, 3'600'000, [](settings & s) -> auto& { return s.feed.ping_interval; },
          "a feed socket idle this long is pinged; one silent for twice this long is closed"),
      ms_key(
          "feed.write_timeout_ms", 100, 3'600'000, [](settings & s) -> auto& { return s.feed.write_timeout; },
          "a feed message not written within this (peer not reading) drops the connection"),
      int_key(
          "feed.max_client_message_bytes", 16, 1 << 20,
          [](settings & s) -> auto& { return s.feed.max_client_message_bytes; },
          "largest message a feed client may send (only a first {\"resume_after\": id} is read); bigger closes with "
          "1009"),
      ms_key(
          "feed.ticket_ttl_ms", 1'000, 600'000, [](settings & s) -> auto& { return s.feed.ticket_ttl; },
          "validity of a single-use stream ticket from POST /v1/stream/ticket"),
      int_key(
          "feed.catchup_page", 1, 10'000, [](settings & s) -> auto& { return s.feed.catchup_page; },
          "events read per store read when a feed resumes with after="),
      ms_key(
          "feed.resume_wait_ms", 0, 10'000, [](settings & s) -> auto& { return s.feed.resume_wait; },
          "without after=, how long a new feed socket waits for a first message {\"resume_after\": id} "
          "before starting at now (live events meanwhile are held, not lost); 0: no first-message resume"),
      // [inbound]: Meta's webhooks in (inbound/receive.hpp); [retention]: P9.
      int_key(
          "inbound.max_body_bytes", 1024, 64ll << 20, [](settings & s) -> auto& { return s.inbound.max_body_bytes; },
          "largest Meta webhook body accepted (Meta documents 3 MB); larger gets 413"),
      ms_key(
          "inbound.credential_cache_ttl_ms", 0, 3'600'000,
          [](settings & s) -> auto& { return s.inbound.credential_cache_ttl; },
          "how long a reactor keeps an instance's decrypted app secret and verify token; 0 = no cache"),
      ms_key(
          "inbound.silent_after_ms", 1'000, 30ll * 24 * 3600 * 1000,
          [](settings & s) -> auto& { return s.inbound.silent_after; },
          "an instance whose sent messages got no status webhook for this long is flagged webhooks_silent"),
      text_key(
          "onboarding.callback_override", [](settings & s) -> auto& { return s.onboarding.callback_override; },
          "subscribe with Meta's override_callback_uri: auto (when server.public_url is public https), always, never"),
      int_key(
          "onboarding.token_expiry_warning_days", 0, 365,
          [](settings & s) -> auto& { return s.onboarding.token_expiry_warning_days; },
          "a Meta token expiring within this many days is flagged on the instance and mailed to its owner"),
      ms_key(
          "onboarding.watch_interval_ms", 100, 3'600'000,
          [](settings & s) -> auto& { return s.onboarding.watch_interval; },
          "how often webhook times are flushed, silent webhooks flagged and owner mails sent"),
      bool_key(
          "onboarding.owner_alerts", [](settings & s) -> auto& { return s.onboarding.owner_alerts; },
          "mail instance owners (needs_reauth, token expiring, webhooks silent, endpoint paused)"),
      unit_key(
          "retention.messages_days", 1, 36'500, 24ll * 3600 * 1000,
          [](settings & s) -> auto& { return s.retention.messages; },
          "messages (either direction) older than this are deleted (privacy promise P9)"),
      unit_key(
          "retention.events_days", 1, 36'500, 24ll * 3600 * 1000,
          [](settings & s) -> auto& { return s.retention.events; },
          "events older than this are deleted; GET /v1/events and the live feed reach back this far"),
      unit_key(
          "retention.pending_statuses_hours", 1, 24 * 365, 3600ll * 1000,
          [](settings & s) -> auto& { return s.retention.pending_statuses; },
          "a status webhook for a message never recorded is dropped after this long"),
      unit_key(
          "retention.inbound_media_days", 1, 36'500, 24ll * 3600 * 1000,
          [](settings & s) -> auto& { return s.retention.inbound_media; },
          "inbound media files kept by Enfinito (media_fetch) are deleted after this long"),
      unit_key(
          "retention.audit_days", 1, 36'500, 24ll * 3600 * 1000,
          [](settings & s) -> auto& { return s.retention.audit; },
          "audit log entries (GET /v1/me/audit, GET /v1/admin/audit) older than this are deleted"),
      unit_key(
          "retention.rejected_days", 1, 36'500, 24ll * 3600 * 1000,
          [](settings & s) -> auto& { return s.retention.rejected_accounts; },
          "sign-ups never approved (since sign-up) or rejected (since the rejection) are deleted after this long"),
      ms_key(
          "retention.interval_ms", 100, 86'400'000, [](settings & s) -> auto& { return s.retention.interval; },
          "how often the retention job runs"),
      int_key(
          "retention.batch_rows", 1, 100'000, [](settings & s) -> auto& { return s.retention.batch_rows; },
          "rows deleted per store write by the retention job (keeps each write short)"),
      // [customer_webhooks]: customers' webhooks out (hooks/engine.hpp).
      bool_key(
          "customer_webhooks.allow_http", [](settings & s) -> auto& { return s.customer_webhooks.allow_http; },
          "accept http:// customer webhook URLs (tests, local development); default https only"),
      text_key(
          "customer_webhooks.allow_ranges", [](settings & s) -> auto& { return s.customer_webhooks.allow_ranges; },
          "comma-separated CIDR ranges webhooks may reach although not public (e.g. 127.0.0.0/8)"),
      ms_key(
          "customer_webhooks.poll_interval_ms", 10, 60'000,
          [](settings & s) -> auto& { return s.customer_webhooks.poll_interval; },
          "deprecated and ignored: new events and deliveries wake the sender after their commit"),
      ms_key(
          "customer_webhooks.timeout_ms", 100, 300'000,
          [](settings & s) -> auto& { return s.customer_webhooks.timeout; },
          "deadline of one webhook delivery attempt (connect, TLS, request, response)"),
      ms_key(
          "customer_webhooks.connect_timeout_ms", 100, 300'000,
          [](settings & s) -> auto& { return s.customer_webhooks.connect_timeout; },
          "deadline of resolve + connect + TLS of a webhook delivery"),
      int_key(
          "customer_webhooks.max_response_bytes", 1, 16ll << 20,
          [](settings & s) -> auto& { return s.customer_webhooks.max_response_bytes; },
          "a customer endpoint's response body is read up to this size and discarded (larger: failed)"),
      ms_key(
          "customer_webhooks.retry_base_ms", 1, 86'400'000,
          [](settings & s) -> auto& { return s.customer_webhooks.retry_base; },
          "first delivery retry delay; doubles per attempt, with jitter"),
      ms_key(
          "customer_webhooks.retry_max_ms", 1, 7ll * 86'400'000,
          [](settings & s) -> auto& { return s.customer_webhooks.retry_max; },
          "longest delay between two attempts of a delivery"),
      ms_key(
          "customer_webhooks.retry_after_max_ms", 0, 7ll * 86'400'000,
          [](settings & s) -> auto& { return s.customer_webhooks.retry_after_max; },
          "a customer's Retry-After is honoured up to this long"),
      int_key(
          "customer_webhooks.max_attempts", 1, 1'000,
          [](settings & s) -> auto& { return s.customer_webhooks.max_attempts; },
          "attempts of one delivery before it is given up (with the default delays: 26 to 35 hours)"),
      int_key(
          "customer_webhooks.pause_after_failures", 1, 1'000'000,
          [](settings & s) -> auto& { return s.customer_webhooks.pause_after_failures; },
          "an endpoint is paused after this many consecutive failed attempts (and pause_after_ms of failure)"),
      ms_key(
          "customer_webhooks.pause_after_ms", 1, 365ll * 86'400'000,
          [](settings & s) -> auto& { return s.customer_webhooks.pause_after; },
          "an endpoint is paused once failing continuously this long (and pause_after_failures attempts)"),
      int_key(
          "customer_webhooks.max_in_flight", 1, 256,
          [](settings & s) -> auto& { return s.customer_webhooks.max_in_flight; },
          "concurrent deliveries to one endpoint"),
      int_key(
          "customer_webhooks.max_endpoints_per_instance", 1, 1'000,
          [](settings & s) -> auto& { return s.customer_webhooks.max_endpoints_per_instance; },
          "webhook endpoints one instance may have"),
      // [rate_limits]: fair shares on the API (limits/limiter.hpp); [quotas]: what a tenant may own.
      bool_key(
          "rate_limits.enabled", [](settings & s) -> auto& { return s.rate_limits.enabled; },
          "token buckets per API key and per tenant on authenticated requests (429 past them)"),
      int_key(
          "rate_limits.key_per_s", 0, 1'000'000, [](settings & s) -> auto& { return s.rate_limits.key_per_s; },
          "requests per second per API key; 0: no per-key limit"),
      int_key(
          "rate_limits.key_burst", 1, 10'000'000, [](settings & s) -> auto& { return s.rate_limits.key_burst; },
          "requests an API key may send at once after being idle (bucket capacity)"),
      int_key(
          "rate_limits.tenant_per_s", 0, 1'000'000, [](settings & s) -> auto& { return s.rate_limits.tenant_per_s; },
          "requests per second per tenant (all its keys and sessions); 0: no per-tenant limit"),
      int_key(
          "rate_limits.tenant_burst", 1, 10'000'000, [](settings & s) -> auto& { return s.rate_limits.tenant_burst; },
          "requests a tenant may send at once after being idle (bucket capacity)"),
      int_key(
          "quotas.instances", 0, 1'000'000, [](settings & s) -> auto& { return s.quotas.instances; },
          "instances one tenant may have (administrators override per tenant)"),
      int_key(
          "quotas.api_keys", 0, 100, [](settings & s) -> auto& { return s.quotas.api_keys; },
          "unrevoked API keys one tenant may have (at most 100)"),
      int_key(
          "quotas.webhook_endpoints", 0, 1'000'000, [](settings & s) -> auto& { return s.quotas.webhook_endpoints; },
          "customer webhook endpoints one tenant may have across its instances"),
      // [queue]: the outbound send queue (outbound/queue.hpp).
      int_key(
          "queue.rate_per_instance", 1, 100'000, [](settings & s) -> auto& { return s.queue.rate_per_instance; },
          "messages per second sent to Meta per instance whose number has Meta's STANDARD throughput"),
      int_key(
          "queue.rate_high_throughput", 1, 100'000, [](settings & s) -> auto& { return s.queue.rate_high_throughput; },
          "messages per second per instance once Meta reports the number's throughput HIGH (verification, or a "
          "THROUGHPUT_UPGRADE webhook)"),
      int_key(
          "queue.burst", 1, 100'000, [](settings & s) -> auto& { return s.queue.burst; },
          "token-bucket capacity: messages an idle instance may send back to back"),
      int_key(
          "queue.max_in_flight", 1, 10'000, [](settings & s) -> auto& { return s.queue.max_in_flight; },
          "concurrent Graph API calls per instance"),
      int_key(
          "queue.max_attempts", 1, 1'000, [](settings & s) -> auto& { return s.queue.max_attempts; },
          "attempts that failed with a retryable error before a message is dead"),
      ms_key(
          "queue.backoff_base_ms", 1, 3'600'000, [](settings & s) -> auto& { return s.queue.backoff_base; },
          "first retry delay; doubles per attempt, with jitter"),
      ms_key(
          "queue.backoff_max_ms", 1, 86'400'000, [](settings & s) -> auto& { return s.queue.backoff_max; },
          "longest retry delay"),
      ms_key(
          "queue.pair_wait_ms", 1, 3'600'000, [](settings & s) -> auto& { return s.queue.pair_wait; },
          "after 131056 (pair rate limit) that recipient waits this, times 4 per repeat"),
      ms_key(
          "queue.lease_ms", 1'000, 3'600'000, [](settings & s) -> auto& { return s.queue.lease; },
          "a job being sent is leased this long; an expired lease is resent, flagged possible_duplicate"),
      ms_key(
          "queue.sweep_interval_ms", 10, 3'600'000, [](settings & s) -> auto& { return s.queue.sweep_interval; },
          "how often the queue looks for work it was not told about (restart, requeue, resumed instance)"),
      int_key(
          "queue.window", 16, 1'000'000, [](settings & s) -> auto& { return s.queue.window; },
          "queued jobs per instance held in memory (ids and recipients only; bodies stay on disk)"),
      int_key(
          "queue.idempotency_retention_s", 24 * 3600, 30ll * 24 * 3600,
          [](settings & s) -> auto& { return s.queue.idempotency_retention_s; },
          "how long an Idempotency-Key answer is kept (at least 24 hours)"),
      ms_key(
          "queue.instance_cache_ttl_ms", 0, 60'000, [](settings & s) -> auto& { return s.queue.instance_cache_ttl; },
          "how long the send API and Graph-compatible routes reuse an instance row per reactor (0: read it "
          "every time); the daemon's own changes apply at once, enfinitoctl's (rotate-key, rekey) within this time"),
      // media passthrough routes (api/meta_routes.cpp)
      int_key(
          "media.upload_body_bytes", 1024, 1ll << 30, [](settings & s) -> auto& { return s.media.upload_body_bytes; },
          "request body limit of POST /v1/instances/{id}/media (multipart framing included)"),
      int_key(
          "media.download_max_bytes", 1024, 1ll << 30, [](settings & s) -> auto& { return s.media.download_max_bytes; },
          "largest media file GET /v1/instances/{id}/media/{media_id}/content relays"),
      ms_key(
          "media.timeout_ms", 1000, 3'600'000, [](settings & s) -> auto& { return s.media.timeout; },
          "deadline of one media upload to Meta or download from it"),
      int_key(
          "media.max_concurrent", 1, 1024, [](settings & s) -> auto& { return s.media.max_concurrent; },
          "media uploads and downloads in flight at once; more wait for none and get 503"),
      text_key(
          "media.inbound_dir", [](settings & s) -> auto& { return s.media.inbound_dir; },
          "directory of inbound media kept for instances with media_fetch on; empty: media/ next to the database"),
      text_key(
          "media.spool_dir", [](settings & s) -> auto& { return s.media.spool_dir; },
          "directory where upload bodies are spooled while relayed to Meta (unnamed files); empty: spool/ next to the "
          "database"),
      ms_key(
          "media.fetch_poll_ms", 50, 60'000, [](settings & s) -> auto& { return s.media.fetch_poll; },
          "deprecated and ignored: new fetches and deleted files wake the fetcher after their commit"),
      text_key(
          "graph.prefix", [](settings & s) -> auto& { return s.graph.prefix; },
          "path prefix of the Graph-compatible routes (e.g. /graph); empty turns them off"),
      ms_key(
          "graph.sync_wait_ms", 0, 60'000, [](settings & s) -> auto& { return s.graph.sync_wait; },
          "how long a Graph-compatible send waits for Meta's answer to return the real wamid; 0: never"),
      ms_key(
          "templates.sync_interval_ms", 60'000, 7 * 86'400'000ll,
          [](settings & s) -> auto& { return s.templates.sync_interval; },
          "how old an instance's local template copy may grow before it is read again from Meta (webhooks "
          "keep it current in between)"),
      text_key(
          "templates.window_policy", [](settings & s) -> auto& { return s.templates.window_policy; },
          "a free-form send to a customer whose 24-hour window is closed: reject (422 window_closed), warn "
          "(accepted with a warning), off, or auto (warn until the instance's webhooks have arrived for 24 "
          "hours, then reject)"),
      text_key(
          "log.level", [](settings & s) -> auto& { return s.log_level; }, "debug | info | warn | error"),
      text_key(
          "secrets.dir", [](settings & s) -> auto& { return s.secrets_dir; },
          "directory of secret files; default $CREDENTIALS_DIRECTORY"),
      text_key(
          "dev.sandbox_url", [](settings & s) -> auto& { return s.sandbox_url; },
          "--dev only: the fake Graph API's http://loopback:port (tools/dev run), which turns on "
          "the sandbox routes /v1/dev/..."),
  };
  return table;
}

const key_def* find_key(std::string_view name) {
  for (const auto& k : keys())
    if (k.name == name) return &k;
  return nullptr;
}

std::string env_name(std::string_view key) {
  std::string out = "ENFINITO_";
  for (char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void apply(settings& s, const key_def& k, const raw_value& v, std::string_view origin) {
  auto fail = [&](const std::string& why) {
    throw config_error(std::string(origin) + ": " + std::string(k.name) + ": " + why);
  };
  switch (k.type) {
    case kind::text:
      if (!std::holds_alternative<std::string>(v)) fail("expected a string");
      break;
    case kind::boolean:
      if (!std::holds_alternative<bool>(v)) fail("expected true or false");
      break;
    case kind::integer: {
      if (!std::holds_alternative<std::int64_t>(v)) fail("expected an integer");
      auto n = std::get<std::int64_t>(v);
      if (n < k.min || n > k.max) fail("must be between " + std::to_string(k.min) + " and " + std::to_string(k.max));
      break;
    }
  }
  k.set(s, v);
}

raw_value from_env_text(const key_def& k, const std::string& text, const std::string& var) {
  if (k.type == kind::text) return text;
  if (k.type == kind::boolean) {
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    throw config_error(var + ": expected true or false");
  }
  std::int64_t n = 0;
  std::size_t used = 0;
  try {
    n = std::stoll(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw config_error(var + ": expected an integer");
  return n;
}

// Sections that were renamed so that "webhooks" no longer names two things. The old name still
// works, so existing files and environments keep working, with one warning per old name at
// start-up; a file (or environment) with both names for one section is an error.
struct renamed_section {
  std::string_view old_name;
  std::string_view new_name;
};
constexpr renamed_section renamed_sections[] = {
    {"webhooks", "inbound"},                // Meta's webhooks in
    {"webhooks_out", "customer_webhooks"},  // customers' webhooks out
};

// The old names one parse met; warned about once each.
using deprecated_names = std::set<std::string_view>;

const renamed_section* renamed_from(std::string_view old_name) {
  for (const auto& r : renamed_sections)
    if (r.old_name == old_name) return &r;
  return nullptr;
}

// The key's name under its section's old name, or empty when the section was not renamed.
std::string old_key_name(std::string_view name, const renamed_section*& renamed) {
  const auto dot = name.find('.');
  for (const auto& r : renamed_sections) {
    if (name.substr(0, dot) != r.new_name) continue;
    renamed = &r;
    return std::string(r.old_name) + std::string(name.substr(dot));
  }
  return {};
}

// `section` under its current name; an old name is recorded in `used`.
std::string current_section(const toml::table& root, std::string_view section, const std::string& origin,
                            deprecated_names& used) {
  const auto* r = renamed_from(section);
  if (!r) return std::string(section);
  if (root.contains(r->new_name))
    throw config_error(origin + ": [" + std::string(r->old_name) + "] and [" + std::string(r->new_name) +
                       "] are the old and new name of one section: keep [" + std::string(r->new_name) + "]");
  used.insert(r->old_name);
  return std::string(r->new_name);
}

void apply_toml(settings& s, const toml::table& root, const std::string& origin, deprecated_names& used) {
  for (const auto& [section, node] : root) {
    const auto* table = node.as_table();
    if (!table) throw config_error(origin + ": " + std::string(section.str()) + ": unknown key (expected a [section])");
    const std::string current = current_section(root, section.str(), origin, used);
    for (const auto& [key, value] : *table) {
      const std::string written = std::string(section.str()) + "." + std::string(key.str());
      const key_def* k = find_key(current + "." + std::string(key.str()));
      if (!k) throw config_error(origin + ": " + written + ": unknown key");
      raw_value v;
      if (auto str = value.as_string())
        v = str->get();
      else if (auto i = value.as_integer())
        v = i->get();
      else if (auto b = value.as_boolean())
        v = b->get();
      else
        throw config_error(origin + ": " + written + ": unsupported value type");
      apply(s, *k, v, origin);
    }
  }
}

// The key `var` names, under its current or its old section name (`renamed` set then).
const key_def* env_key(const std::string& var, const renamed_section*& renamed) {
  for (const auto& k : keys()) {
    if (env_name(k.name) == var) return &k;
    const renamed_section* r = nullptr;
    const auto old = old_key_name(k.name, r);
    if (!old.empty() && env_name(old) == var) {
      renamed = r;
      return &k;
    }
  }
  return nullptr;
}

void apply_env(settings& s, const std::map<std::string, std::string>& env, deprecated_names& used) {
  for (const auto& [var, text] : env) {
    if (var == "ENFINITO_CONFIG") continue;  // names the file, not a key
    const renamed_section* renamed = nullptr;
    const key_def* match = env_key(var, renamed);
    if (!match) throw config_error("environment: " + var + ": unknown key");
    if (renamed) {
      const auto current = env_name(match->name);
      if (env.contains(current))
        throw config_error("environment: " + var + " and " + current + " are the old and new name of one key: keep " +
                           current);
      used.insert(renamed->old_name);
    }
    apply(s, *match, from_env_text(*match, text, var), "environment " + var);
  }
}

void warn_deprecated(const deprecated_names& used) {
  for (const auto old : used)
    core::log::warn("config.section_deprecated", {{"old", old}, {"new", renamed_from(old)->new_name}});
}

bool is_loopback(const std::string& address) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

bool is_loopback_host(const std::string& host) { return host == "localhost" || is_loopback(host); }

// https anywhere; plain http only to a loopback host (a local test provider).
bool provider_url_allowed(const std::string& url) {
  if (url.starts_with("https://") && url.size() > 8) return true;
  if (!url.starts_with("http://")) return false;
  auto rest = std::string_view(url).substr(7);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return false;
  std::string host;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(authority.substr(1, close - 1));
  } else {
    host = std::string(authority.substr(0, authority.find(':')));
  }
  return host == "localhost" || is_loopback(host);
}

void validate(settings& s) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(s.server.listen, ec);
  if (ec) throw config_error("server.listen: not an IP address literal");
  auto& url = s.server.public_url;
  if (!(url.starts_with("http://") || url.starts_with("https://")) || url.size() < 10)
    throw config_error("server.public_url: must be an absolute http(s) URL");
  while (url.ends_with("/")) url.pop_back();
  if (s.server.tls_cert_file.empty() != s.server.tls_key_file.empty())
    throw config_error("tls.cert_file / tls.key_file: set both or neither");
  if (s.store.synchronous != "full" && s.store.synchronous != "normal")
    throw config_error("store.synchronous: must be full or normal");
  if (s.store.path.empty()) throw config_error("store.path: must not be empty");
  if (s.store.backend != "sqlite" && s.store.backend != "postgres")
    throw config_error("store.backend: must be sqlite or postgres");
  if (s.store.backend == "postgres" && s.store.postgres_url.empty())
    throw config_error("store.postgres_url: required when store.backend is postgres");
  if (!s.store.postgres_url.empty()) {
    std::string why;
    if (!postgres_url_ok(s.store.postgres_url, &why)) throw config_error(why);
  }
  if (s.cluster.node_id.empty()) {
    char host[256] = {};
    s.cluster.node_id = ::gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "node";
  }
  if (s.cluster.node_id.size() > 64 || !std::all_of(s.cluster.node_id.begin(), s.cluster.node_id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
      }))
    throw config_error("cluster.node_id: at most 64 letters, digits, '.', '-' or '_'");
  static const std::vector<std::string> levels = {"debug", "info", "warn", "error"};
  if (std::find(levels.begin(), levels.end(), s.log_level) == levels.end())
    throw config_error("log.level: must be debug, info, warn or error");
  if (s.templates.window_policy != "auto" && s.templates.window_policy != "reject" &&
      s.templates.window_policy != "warn" && s.templates.window_policy != "off")
    throw config_error("templates.window_policy: must be auto, reject, warn or off");
  if (s.smtp.starttls != "required" && s.smtp.starttls != "off")
    throw config_error("smtp.starttls: must be required or off");
  if (s.smtp.starttls == "off" && !s.smtp.host.empty() && !s.dev && !is_loopback_host(s.smtp.host))
    throw config_error("smtp.starttls: off is allowed only for a loopback SMTP server");
  if (!s.smtp.host.empty() && s.smtp.from.empty()) throw config_error("smtp.from: required when smtp.host is set");
  for (const auto* v : {&s.smtp.from, &s.smtp.host, &s.smtp.username})
    if (v->find_first_of("\r\n") != std::string::npos) throw config_error("smtp: no line breaks in values");
  if (s.google.enabled) {
    if (s.google.client_id.empty()) throw config_error("google.client_id: required when google.enabled");
    if (s.google.issuer.empty()) throw config_error("google.issuer: must not be empty");
    for (auto [name, endpoint] :
         {std::pair<const char*, const std::string*>{"google.authorization_endpoint", &s.google.authorization_endpoint},
          {"google.token_endpoint", &s.google.token_endpoint},
          {"google.jwks_uri", &s.google.jwks_uri}}) {
      if (!provider_url_allowed(*endpoint))
        throw config_error(std::string(name) + ": must be an https URL (http only for a loopback host)");
    }
  }
  if (!core::parse_ranges(s.customer_webhooks.allow_ranges))
    throw config_error("customer_webhooks.allow_ranges: expected comma-separated CIDR ranges, e.g. 127.0.0.0/8");
  if (s.customer_webhooks.retry_max < s.customer_webhooks.retry_base)
    throw config_error("customer_webhooks.retry_max_ms: must be at least customer_webhooks.retry_base_ms");
  if (s.vault.key_file.empty()) throw config_error("vault.key_file: must not be empty");
  if (s.onboarding.callback_override != "auto" && s.onboarding.callback_override != "always" &&
      s.onboarding.callback_override != "never")
    throw config_error("onboarding.callback_override: must be auto, always or never");
  {
    auto& b = s.meta.base_url;
    while (b.ends_with("/")) b.pop_back();
    const auto scheme_end = b.find("://");
    const auto scheme = scheme_end == std::string::npos ? std::string() : b.substr(0, scheme_end);
    const auto rest = scheme_end == std::string::npos ? std::string() : b.substr(scheme_end + 3);
    if ((scheme != "http" && scheme != "https") || rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos)
      throw config_error("meta.base_url: must be http(s)://host[:port] with no path");
  }
  {
    const auto& v = s.meta.graph_version;
    const auto dot = v.find('.');
    auto digits = [](std::string_view d) {
      return !d.empty() && d.size() <= 4 &&
             std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (v.size() < 4 || v[0] != 'v' || dot == std::string::npos || !digits(std::string_view(v).substr(1, dot - 1)) ||
        !digits(std::string_view(v).substr(dot + 1)))
      throw config_error("meta.graph_version: must look like v23.0");
  }
  {
    // A path prefix of its own: /graph, /whatsapp/graph …; never one of Enfinito's own roots.
    const auto& p = s.graph.prefix;
    const bool shape = p.empty() || (p.size() <= 64 && p.front() == '/' && p.back() != '/' &&
                                     std::all_of(p.begin(), p.end(),
                                                 [](char c) {
                                                   return std::isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                                                          c == '-' || c == '_';
                                                 }) &&
                                     p.find("//") == std::string::npos);
    const bool clash = p == "/v1" || p.starts_with("/v1/") || p == "/webhooks" || p.starts_with("/webhooks/") ||
                       p == "/healthz" || p == "/readyz" || p == "/metrics" || p == "/assets" ||
                       p.starts_with("/assets/");
    if (!shape || clash)
      throw config_error(
          "graph.prefix: must be empty or a path like /graph (letters, digits, - _ /), not under /v1, /webhooks or "
          "/assets");
  }
  if (!s.sandbox_url.empty()) {
    // The sandbox tells the fake Graph API where to send webhooks: never outside dev mode,
    // never past this machine.
    if (!s.dev) throw config_error("dev.sandbox_url: only with --dev");
    auto& u = s.sandbox_url;
    while (u.ends_with("/")) u.pop_back();
    if (!u.starts_with("http://") || !provider_url_allowed(u) || u.substr(7).find_first_of("/?#") != std::string::npos)
      throw config_error("dev.sandbox_url: must be http://<loopback address>:<port> with no path");
    // The sandbox's instances are verified and served by the same fake: Meta's URL follows.
    if (s.meta.base_url == meta_settings{}.base_url)
      s.meta.base_url = u;
    else if (s.meta.base_url != u)
      throw config_error("meta.base_url: must be dev.sandbox_url (or unset) with the sandbox");
  }
  if (s.dev && !is_loopback(s.server.listen)) throw config_error("server.listen: dev mode listens on loopback only");
}

}  // namespace

settings parse(std::string_view text, const load_options& opts) {
  settings s;
  s.dev = opts.dev;
  if (opts.dev) {
    s.store.path = "var/enfinito.db";
    // The sandbox's first sign-up is its administrator: trying Enfinito on loopback should not
    // need an authenticator app (a TOML or ENFINITO_AUTH_ADMIN_SECOND_FACTOR turns it back on).
    s.auth.admin_second_factor = false;
  }
  std::string origin = opts.file.empty() ? "config" : opts.file.string();
  deprecated_names used;
  try {
    auto root = toml::parse(text, origin);
    apply_toml(s, root, origin, used);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw config_error(msg.str());
  }
  apply_env(s, opts.env, used);
  validate(s);
  warn_deprecated(used);
  return s;
}

settings load(const load_options& opts) {
  if (opts.file.empty()) return parse("", opts);
  std::ifstream in(opts.file, std::ios::binary);
  if (!in) throw config_error(opts.file.string() + ": cannot open configuration file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), opts);
}

std::optional<settings> load_for_cli(load_options opts, bool file_given, const char* program) {
  if (!file_given) {
    if (const char* env = std::getenv("ENFINITO_CONFIG"))
      opts.file = env;
    else if (!opts.dev)
      opts.file = "/etc/enfinito/enfinitod.toml";
  }
  opts.env = environment_overrides();
  try {
    return load(opts);
  } catch (const config_error& e) {
    std::fprintf(stderr, "%s: configuration error: %s\n", program, e.what());
    return std::nullopt;
  }
}

std::map<std::string, std::string> environment_overrides() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("ENFINITO_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

std::string describe_keys() {
  settings defaults;
  std::string out;
  for (const auto& k : keys()) {
    out +=
        std::string(k.name) + " = " + k.show(defaults) + "  # " + std::string(k.doc) + " (" + env_name(k.name) + ")\n";
  }
  return out;
}

std::filesystem::path vault_key_path(const settings& s) {
  std::filesystem::path file(s.vault.key_file);
  if (file.is_absolute()) return file;
  std::string dir = s.secrets_dir;
  if (dir.empty()) {
    if (const char* cred = std::getenv("CREDENTIALS_DIRECTORY")) dir = cred;
  }
  if (!dir.empty()) return std::filesystem::path(dir) / file;
  if (s.dev) return beside_database(s, file);
  return {};
}

std::filesystem::path beside_database(const settings& s, const std::filesystem::path& name) {
  const auto state = std::filesystem::path(s.store.path).parent_path();
  return (state.empty() ? std::filesystem::path(".") : state) / name;
}

bool postgres_url_ok(const std::string& url, std::string* why) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    // libpq's parse errors name the keyword or the URI part at fault, not a password.
    std::string msg = err ? err : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (err) PQfreemem(err);
    if (why) *why = "store.postgres_url: cannot parse: " + msg;
    return false;
  }
  bool has_password = false;
  for (auto* o = opts; o->keyword; ++o) has_password |= std::string_view(o->keyword) == "password" && o->val && *o->val;
  PQconninfoFree(opts);
  if (has_password && why)
    *why = "store.postgres_url: must not contain a password; put it in the secret file postgres.password";
  return !has_password;
}

core::result<core::secret_string> read_secret_file(const settings& s, const std::string& name, std::string* why) {
  auto say = [&](std::string text) {
    if (why) *why = std::move(text);
    return core::result<core::secret_string>(std::make_error_code(std::errc::permission_denied));
  };
  std::string dir = s.secrets_dir;
  if (dir.empty()) {
    const char* cred = std::getenv("CREDENTIALS_DIRECTORY");
    if (cred) dir = cred;
  }
  if (dir.empty()) return say("no secrets directory: set secrets.dir or run under systemd LoadCredential=");
  if (name.find('/') != std::string::npos) return say("secret names are plain file names");
  std::string path = dir + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return say(path + ": missing or unreadable secret file");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return say(path + ": not a regular file");
  }
  if (st.st_mode & 077) {
    ::close(fd);
    return say(path + ": readable or writable by group or others (chmod 600)");
  }
  std::string content;
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > (1 << 20)) break;
  }
  ::close(fd);
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
  core::secret_string out(std::move(content));
  if (out.empty()) return say(path + ": empty secret file");
  return out;
}

}  // namespace enfinito::config
