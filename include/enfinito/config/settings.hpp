#pragma once
/**
 * @file The daemon's configuration: an immutable `settings` built once at startup.
 *
 * Sources, later ones winning: embedded defaults → the TOML file → `ENFINITO_<SECTION>_<KEY>`
 * environment variables → `--dev` adjustments. Every key is declared once in a table in
 * settings.cpp (name, type, bounds, doc); unknown keys and bad values are errors that name the
 * key. Secrets never live here: the TOML names no secret, secrets come from files in the
 * credentials directory (systemd `LoadCredential=`), read by `read_secret_file`.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/secret.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace enfinito::config {

using std::chrono::milliseconds;

struct server_settings {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned reactors = 0;  // 0: one per core
  std::string public_url = "http://127.0.0.1:8080";
  std::string tls_cert_file;  // TLS is on when both files are set
  std::string tls_key_file;
  bool tls() const { return !tls_cert_file.empty() && !tls_key_file.empty(); }
};

struct limit_settings {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 1024 * 1024;
  milliseconds header_timeout{10'000};
  milliseconds body_idle_timeout{10'000};
  milliseconds write_timeout{10'000};
  milliseconds keepalive_timeout{60'000};
  std::size_t max_connections = 10'000;
  std::size_t max_requests_per_connection = 10'000;
  std::size_t json_max_depth = 32;
  std::size_t json_max_elements = 100'000;
  milliseconds drain_timeout{10'000};
};

struct store_settings {
  std::string path = "/var/lib/enfinitod/enfinito.db";
  std::string synchronous = "full";  // full | normal
  unsigned read_connections = 2;
  std::size_t commit_batch_max = 1024;
  milliseconds busy_timeout{5'000};
  milliseconds housekeeping_interval{60'000};  // how often rows whose time is up are swept
  // PostgreSQL (issue 17, store/pg/): the password is the secret file `postgres.password`.
  std::string backend = "sqlite";   // sqlite | postgres
  std::string postgres_url;         // libpq conninfo or URI, never with a password
  unsigned postgres_pool_size = 8;  // connections (and threads) per node
  milliseconds postgres_statement_timeout{5'000};
  milliseconds postgres_connect_timeout{5'000};
};

/** Several nodes over one PostgreSQL database (issue 17, cluster/lease.hpp). */
struct cluster_settings {
  std::string node_id;            // default: the host name
  milliseconds lease_ms{15'000};  // a dead node's instances move to another node within this
};

struct auth_settings {
  std::int64_t session_idle_timeout_s = 24 * 3600;           // unused this long: signed out
  std::int64_t session_absolute_timeout_s = 30 * 24 * 3600;  // signed out this long after sign-in
  std::int64_t reset_token_ttl_s = 30 * 60;                  // password-reset link lifetime
  std::int64_t recent_signin_s = 10 * 60;                    // DELETE /v1/me without password
  unsigned signin_max_failures_per_account = 10;             // per window
  unsigned signin_max_failures_per_address = 50;             // per window
  std::int64_t signin_window_s = 15 * 60;
  bool admin_second_factor = true;  // administrators must enrol TOTP: their sessions may only enrol until then
};

struct smtp_settings {
  std::string host;  // empty: no SMTP (dev mode writes files instead)
  std::uint16_t port = 587;
  std::string from;                   // envelope and header From
  std::string starttls = "required";  // required | off (loopback test servers only)
  std::string username;               // empty: no AUTH; the password is the secret file `smtp.password`
  milliseconds timeout{30'000};
  milliseconds retry_base{5'000};                  // first retry after a failed submission, then doubling
  milliseconds retry_max{3'600'000};               // the longest wait between two attempts
  milliseconds poll_interval{1'000};               // how often the sender looks at the outbox
  milliseconds give_up_after{3 * 24 * 3'600'000};  // a mail still unsent this long after it was queued is dropped
  std::string dev_dir = "var/mail";                // dev mode: mails are written here as .eml files
};

/** Google Sign-In (OpenID Connect). The client secret is the secret file `google.client_secret`. */
struct google_settings {
  bool enabled = false;
  std::string client_id;
  std::string authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth";
  std::string token_endpoint = "https://oauth2.googleapis.com/token";
  std::string jwks_uri = "https://www.googleapis.com/oauth2/v3/certs";
  std::string issuer = "https://accounts.google.com";  // Google's also accepts "accounts.google.com"
  std::string ca_file;  // extra PEM CA for the provider's TLS (tests); system store otherwise
  milliseconds timeout{10'000};
  std::int64_t jwks_min_refresh_s = 30;  // at most one JWKS refetch (unknown kid) per this long
};

/** The credential vault's key file (privacy promise P1). */
struct vault_settings {
  // A plain name is looked up in the secrets directory (systemd LoadCredential=); an absolute
  // path is used as is. In dev mode without a secrets directory: next to the database.
  std::string key_file = "vault.key";
};

/** Meta's Graph API, the only upstream of the WhatsApp Cloud API. */
struct meta_settings {
  std::string base_url = "https://graph.facebook.com";  // scheme://host[:port], no path
  std::string graph_version = "v23.0";
  std::string ca_file;           // extra trusted CA (PEM) on top of the system store; tests use it
  milliseconds timeout{10'000};  // one whole upstream call: connect + TLS + request + response
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  milliseconds connect_timeout{5'000};  // resolve + connect + TLS of a new connection
  // Kept-alive connections per reactor; 0: none. At least the sends a reactor has in flight
  // at a busy moment: a connection returned to a full pool is closed, and the next send opens
  // (and in production TLS-handshakes) a new one.
  std::size_t max_idle_connections = 256;
  milliseconds idle_timeout{30'000};  // idle longer than this: closed, not reused
};

/** Meta's webhooks in (`/webhooks/meta/{instance}`, issue 6). */
struct inbound_settings {
  std::size_t max_body_bytes = 3 * 1024 * 1024;  // Meta's documented largest payload; larger gets 413
  milliseconds credential_cache_ttl{60'000};     // per-reactor cache of an instance's app secret etc.
  milliseconds silent_after{30 * 60'000};        // sent messages with no status webhook this long: webhooks_silent
};

/** Onboarding and owner mails (issue 19, instances/onboarding.hpp, instances/watch.hpp). */
struct onboarding_settings {
  std::string callback_override = "auto";      // auto (when public_url is public) | always | never
  std::int64_t token_expiry_warning_days = 7;  // a token expiring within this many days is flagged and mailed
  milliseconds watch_interval{60'000};         // webhook-time flush, silence check and owner mails, this often
  bool owner_alerts = true;                    // mail owners at all (each cause can be turned off per instance)
};

/** Customer webhooks out (issue 6): endpoints, delivery engine, SSRF guard. */
struct customer_webhooks_settings {
  bool allow_http = false;          // http:// endpoint URLs (tests, local development); else https only
  std::string allow_ranges;         // comma-separated CIDRs allowed although not public, e.g. "127.0.0.0/8"
  milliseconds poll_interval{200};  // deprecated, ignored: the change stream wakes the sender
  milliseconds timeout{10'000};     // one delivery attempt: connect, TLS, request, response
  milliseconds connect_timeout{5'000};
  std::size_t max_response_bytes = 64 * 1024;  // response body read at most this far, then discarded
  milliseconds retry_base{10'000};             // first retry delay; doubles per attempt, with jitter
  milliseconds retry_max{3'600'000};           // longest retry delay
  milliseconds retry_after_max{3'600'000};     // a Retry-After longer than this is capped
  unsigned max_attempts = 45;          // attempts of one delivery before it is given up (26 to 35 hours by default)
  unsigned pause_after_failures = 50;  // an endpoint is paused after this many consecutive failed attempts...
  milliseconds pause_after{3ll * 24 * 3600 * 1000};  // ...spanning at least this long of continuous failure
  unsigned max_in_flight = 4;                        // concurrent deliveries per endpoint
  unsigned max_endpoints_per_instance = 10;
};

/**
 * Fair shares on the API (limits/limiter.hpp): a token bucket per API key and one per tenant
 * (all of a user's keys and sessions together). A rate of 0 turns that bucket off.
 * Administrators override them per tenant (PUT /v1/admin/users/{id}/limits).
 */
struct rate_limit_settings {
  bool enabled = true;  // false: no limiter at all (benchmarks' baseline)
  // Meta's highest throughput tier is 1,000 messages/s per number: a key may go that fast.
  std::int64_t key_per_s = 1000;     // requests per second per API key
  std::int64_t key_burst = 2000;     // bucket capacity per API key
  std::int64_t tenant_per_s = 2000;  // requests per second per tenant
  std::int64_t tenant_burst = 4000;  // bucket capacity per tenant
};

/** Per-tenant quotas on what a user may own (defaults; administrators override per tenant). */
struct quota_settings {
  std::int64_t instances = 20;
  std::int64_t api_keys = 100;          // unrevoked keys
  std::int64_t webhook_endpoints = 50;  // customer webhook endpoints across all instances
};

/** How long logs are kept (privacy promise P9) and how the purge job runs. */
struct retention_settings {
  milliseconds messages{90ll * 24 * 3600 * 1000};           // message log, either direction
  milliseconds events{30ll * 24 * 3600 * 1000};             // event log (GET /v1/events, live feed)
  milliseconds pending_statuses{72ll * 3600 * 1000};        // statuses whose message never became known
  milliseconds inbound_media{30ll * 24 * 3600 * 1000};      // inbound media files kept (media_fetch)
  milliseconds audit{365ll * 24 * 3600 * 1000};             // audit log entries
  milliseconds rejected_accounts{30ll * 24 * 3600 * 1000};  // sign-ups never approved, or rejected
  milliseconds interval{3600'000};                          // how often the purge runs
  std::size_t batch_rows = 1000;                            // rows deleted per store write
};

/** The outbound send queue (issue 5): pacing, retries, leases, idempotency. */
struct queue_settings {
  unsigned rate_per_instance = 80;                   // messages per second to Meta, per instance (token bucket)
  unsigned rate_high_throughput = 1000;              // ... for an instance whose number Meta upgraded (throughput HIGH)
  unsigned burst = 16;                               // bucket capacity: most messages sent back to back
  unsigned max_in_flight = 32;                       // concurrent Graph API calls per instance
  unsigned max_attempts = 12;                        // failed attempts (retryable errors) before `dead`
  milliseconds backoff_base{1'000};                  // first retry delay; doubles per attempt, with jitter
  milliseconds backoff_max{900'000};                 // longest retry delay (12 attempts: ~45 min)
  milliseconds pair_wait{6'000};                     // 131056: that recipient waits this, times 4 per repeat
  milliseconds lease{60'000};                        // a job leased longer than this belongs to nobody
  milliseconds sweep_interval{5'000};                // safety net: look for due work this often
  std::size_t window = 4096;                         // jobs per instance held in memory (ids and peers only)
  std::int64_t idempotency_retention_s = 24 * 3600;  // Idempotency-Key answers kept this long
  milliseconds instance_cache_ttl{1'000};  // bounds what enfinitoctl's changes leave stale (api/instance_cache.hpp)
};

/**
 * The media passthrough routes (/v1/instances/{id}/media). Both are held in memory while a
 * request runs (the HTTP layer buffers bodies), so they bound memory per request as well.
 */
struct media_settings {
  // Upload route body limit (replaces limits.body_bytes there): Meta's largest kind
  // (documents, 100 MB) plus room for the multipart framing.
  std::size_t upload_body_bytes = 100 * 1024 * 1024 + 64 * 1024;
  // Largest media file the download proxy relays (Meta's inbound limit is 100 MB).
  std::size_t download_max_bytes = 100 * 1024 * 1024;
  // Deadline of one media upload to Meta or download from it (meta.timeout_ms is for JSON calls).
  milliseconds timeout{300'000};
  // Uploads and downloads in flight at once (process-wide): with the two limits above, this
  // bounds the memory media can take.
  unsigned max_concurrent = 8;
  // Inbound media kept for instances with media_fetch on (inbound/media_fetcher.cpp): the files'
  // directory (empty: "media" next to the database) and how often the fetcher looks for work.
  std::string inbound_dir;
  std::string spool_dir;          // uploads being relayed (unnamed files); empty: spool/ next to the database
  milliseconds fetch_poll{1000};  // deprecated, ignored: the change stream wakes the fetcher
};

/** The Graph-compatible routes (api/graph_routes.hpp). */
struct graph_settings {
  std::string prefix = "/graph";  // where they are served; empty: turned off
  milliseconds sync_wait{5'000};  // how long a send waits for Meta's answer (the wamid); 0: never
};

/** Templates and the pre-send checks (templates/sync.hpp, templates/send_checks.hpp). */
struct template_settings {
  milliseconds sync_interval{3'600'000};  // a copy older than this is read again from Meta
  std::string window_policy = "auto";     // auto | reject | warn | off (templates/checks.hpp)
};

/** The live WebSocket feed (`GET /v1/stream`, issue 6). */
struct feed_settings {
  std::size_t max_connections = 10'000;            // feed sockets at once (past it: 503 before upgrade)
  std::size_t max_queued_messages = 4096;          // per socket; a fuller queue closes it with 4008
  std::size_t max_queued_bytes = 8 * 1024 * 1024;  // per socket, likewise
  milliseconds ping_interval{30'000};              // ping after this long without traffic; 2× silent: closed
  milliseconds write_timeout{10'000};              // one message write stalled longer: connection dropped
  std::size_t max_client_message_bytes = 4096;     // bigger client messages close with 1009
  milliseconds ticket_ttl{60'000};                 // POST /v1/stream/ticket validity
  std::size_t catchup_page = 500;                  // events read per store read while resuming
  milliseconds resume_wait{1'000};                 // wait for a first-message {"resume_after": id}; 0: off
};

struct settings {
  server_settings server;
  feed_settings feed;
  inbound_settings inbound;
  customer_webhooks_settings customer_webhooks;
  retention_settings retention;
  google_settings google;
  auth_settings auth;
  smtp_settings smtp;
  limit_settings limits;
  rate_limit_settings rate_limits;
  quota_settings quotas;
  store_settings store;
  vault_settings vault;
  meta_settings meta;
  queue_settings queue;
  graph_settings graph;
  media_settings media;
  cluster_settings cluster;
  template_settings templates;
  onboarding_settings onboarding;
  std::string log_level = "info";
  std::string secrets_dir;  // default: $CREDENTIALS_DIRECTORY
  bool dev = false;
  // [dev] sandbox_url: the fake Graph API beside a dev daemon (web/sandbox.hpp); --dev only,
  // loopback only. Empty: no sandbox (the /v1/dev routes answer 404).
  std::string sandbox_url;
};

/** A configuration error; `what()` names the key and never contains a secret value. */
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct load_options {
  std::filesystem::path file;  // empty: no file (embedded defaults)
  bool dev = false;
  std::map<std::string, std::string> env;  // ENFINITO_* variables to apply
};

/** Builds settings. Throws config_error (startup only). */
settings load(const load_options& opts);

/** Parses TOML text (for tests and --check-config). Throws config_error. */
settings parse(std::string_view toml_text, const load_options& opts = {});

/**
 * For enfinitod and enfinitoctl: without an explicit `--config`, the file is $ENFINITO_CONFIG,
 * else /etc/enfinito/enfinitod.toml (none in dev mode); adds the ENFINITO_* environment and
 * loads. A configuration error is printed to stderr as "<program>: configuration error: …".
 */
std::optional<settings> load_for_cli(load_options opts, bool file_given, const char* program);

/** The ENFINITO_* variables of this process's environment. */
std::map<std::string, std::string> environment_overrides();

/** Every documented key as `section.key = default  # doc`, for the README and --help. */
std::string describe_keys();

/**
 * Reads a secret from `<secrets_dir>/<name>`: refuses a missing, empty, or group/world-readable
 * file with a message naming the file but never its content. Trailing newlines are trimmed.
 */
core::result<core::secret_string> read_secret_file(const settings& s, const std::string& name,
                                                   std::string* why = nullptr);

/**
 * Checks `store.postgres_url` with libpq's own parser: refuses what it cannot parse and any
 * password in it (keyword `password=`, or a URI's `user:password@`). The message names the
 * key, never the value.
 */
bool postgres_url_ok(const std::string& url, std::string* why);

/** `name` in the directory that holds the database (the working directory if it has none). */
std::filesystem::path beside_database(const settings& s, const std::filesystem::path& name);

/**
 * Where the vault key file is: `vault.key_file` if absolute, else in the secrets directory
 * (`secrets.dir` or $CREDENTIALS_DIRECTORY), else — dev mode only — next to the database.
 * Empty when none applies (the daemon then refuses to start, naming the key).
 */
std::filesystem::path vault_key_path(const settings& s);

}  // namespace enfinito::config
