#pragma once
// graph_core: the sans-I/O heart of the fake Graph API. It owns all state (numbers, WABAs,
// tokens, templates, media, the 24 h windows, rate-limit buckets, counters) and turns one
// HTTP request into one HTTP response. Webhooks it wants sent are queued inside and handed
// out by take_due_webhooks(); the I/O layer (server.cpp) sends them and reports back, so
// retries, batching, duplicates and reordering are decided here where tests can see them.
//
// Thread safety: none. The server calls it from its single io_context thread only.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

namespace enfinito::fake_graph {

using steady_time = std::chrono::steady_clock::time_point;

/**
 * A configuration for the fake: one WABA, one GREEN phone number of it and one token over the
 * WABA, no seeded templates — what most tests and benches start from. `number` adds to or
 * overrides the number's fields (display_phone_number, verified_name, mps, ...; the WABA takes
 * the verified name as its own), `extra` the top-level ones (knobs, ...).
 */
std::string one_number_config(std::string_view phone_id, std::string_view waba_id, std::string_view token,
                              boost::json::object number = {}, boost::json::object extra = {});

/** One parsed HTTP request, independent of Beast. Header names compare case-insensitively. */
struct http_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path + query, as received
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /** The first header with that name (case-insensitive), or empty. */
  std::string_view header(std::string_view name) const;
};

/** A GET the I/O layer must perform for `POST /_admin/verify` (the webhook handshake). */
struct verify_plan {
  std::string url;        // callback URL with hub.mode, hub.challenge, hub.verify_token
  std::string challenge;  // what a correct endpoint echoes
  // Non-zero: the handshake of a `POST /{waba}/subscribed_apps` override; the server answers
  // that request with on_override_verified(ticket, …) instead of the admin summary.
  std::uint64_t override_ticket = 0;
};

struct http_response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /** Close the socket without answering (fault injection). */
  bool reset_connection = false;
  /** Wait this long before answering (added-latency knob). */
  std::chrono::milliseconds delay{0};
  /** Set only for /_admin/verify: the server performs the GET and answers itself. */
  std::optional<verify_plan> verify;
};

/** One signed webhook POST, ready to send byte for byte. */
struct webhook_post {
  std::uint64_t id = 0;  // stable across retries of the same POST
  unsigned attempt = 0;  // 0 for the first try
  std::string url;
  std::string body;       // already \u-escaped; the signature covers exactly these bytes
  std::string signature;  // X-Hub-Signature-256 value
  std::size_t updates = 0;
};

class graph_core {
 public:
  /** Loads state from a JSON config (empty = built-in default).
   *  Throws std::invalid_argument with a readable message on a bad config (startup only). */
  explicit graph_core(std::string_view config_json = {});
  ~graph_core();
  graph_core(const graph_core&) = delete;
  graph_core& operator=(const graph_core&) = delete;

  /** Handles one request: Graph paths `/vNN.N/...`, media downloads and `/_admin/...`. */
  http_response handle(const http_request& req);

  /** Webhook POSTs whose time has come (new updates and retries), in sending order. */
  std::vector<webhook_post> take_due_webhooks();

  /** Reports how a POST went; a failure schedules a retry with exponential backoff. */
  void on_webhook_result(const webhook_post& post, unsigned http_status, bool transport_ok);

  /** Records a verification handshake outcome in the counters. */
  void on_verify_result(bool ok);

  /** The Graph answer to a subscribed_apps override whose handshake went `ok` (or not, with
   *  the HTTP status the callback gave; 0: no answer). */
  http_response on_override_verified(std::uint64_t ticket, bool ok, unsigned status);

  /** Where media download URLs point, e.g. "https://127.0.0.1:4443". */
  void set_base_url(std::string base_url);

  /** Per-operation timeout the I/O layer uses for webhook calls. */
  std::chrono::milliseconds webhook_timeout() const;

  /** Largest request body accepted (largest media size plus multipart slack). */
  static std::size_t max_body_bytes();

  /** Replaces the clock (tests). */
  void set_clock(std::function<steady_time()> clock);

  /** The built-in default config as JSON text (documented in README.md). */
  static std::string_view default_config();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace enfinito::fake_graph
