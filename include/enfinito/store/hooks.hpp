#pragma once
/**
 * @file store::hooks: the SQL of customer webhooks out (schema.sql migration 7): endpoints,
 * the delivery outbox/log, and Meta's original payloads kept for `meta`-format endpoints.
 *
 * How events become deliveries: `enqueue_new` runs in one write, inserting a delivery per
 * (endpoint, matching event) for events after each endpoint's cursor, then moving every
 * cursor to the same id; the unique (endpoint, event) pair makes a repeat harmless. A `meta`
 * endpoint gets one delivery per stored Meta payload (keyed by its first event id) when any
 * of that payload's events matches its filter.
 *
 * How deliveries are sent: `claim_due` picks due rows of active endpoints (at most
 * `per_endpoint` each, so a backlog of one endpoint never crowds out another) and leases them
 * by moving `next_attempt_at` to the lease end in the same write; `record_attempt` stores an
 * outcome and its retry time (or none), and `load_run`/`save_run` keep the endpoint's failure
 * run, which hooks::pause_policy decides (and pauses an endpoint that keeps failing).
 *
 * Every reading function the API uses takes the owner's user id and instance id. Times are
 * unix milliseconds.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::hooks {

/** The vault AAD of a signing secret: (table, endpoint id, field). */
inline constexpr const char* table = "webhook_endpoints";
inline constexpr const char* secret_field = "signing_secret";

struct endpoint {
  std::string id;
  std::string instance_id;
  std::string user_id;
  std::string url;
  std::string event_types = "[]";  // JSON array
  std::string format = "enfinito";
  std::string secret_blob;  // vault blob
  std::string state = "active";
  std::string paused_reason;
  std::optional<std::int64_t> failing_since;
  std::int64_t failure_count = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

/** Inserts; the cursor starts at the newest event (an endpoint receives what happens next). */
core::error_code insert(connection& c, const endpoint& e);
core::error_code count_for_instance(connection& c, std::string_view instance_id, std::int64_t& out);
core::error_code get(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view id,
                     endpoint& out);
/** Any endpoint by id (the delivery engine). */
core::error_code get_any(connection& c, std::string_view id, endpoint& out);
core::error_code list(connection& c, std::string_view user_id, std::string_view instance_id,
                      std::vector<endpoint>& out);
/** Updates url, event_types, format, state and paused_reason (and resets the failure run when
    the state becomes active). `not_found` when it is not the user's. */
core::error_code update(connection& c, const endpoint& e, std::int64_t now_ms);
core::error_code set_secret(connection& c, std::string_view id, std::string_view blob, std::int64_t now_ms);

/** A signing secret as key rotation sees it (`enfinitoctl rotate-key`, app/rekey.cpp). */
struct sealed_secret {
  std::string id;    // endpoint id
  std::string blob;  // vault blob
};
/** Up to `limit` endpoints' secrets with id > `after`, in id order (every tenant: a tool's scan). */
core::error_code scan_secrets(connection& c, std::string_view after, std::size_t limit,
                              std::vector<sealed_secret>& out);
/** Compare-and-swap: replaces the secret only if it is still `old_blob` (the daemon may have
    rotated it meanwhile); `swapped` says whether it did. */
core::error_code replace_secret(connection& c, std::string_view id, std::string_view old_blob,
                                std::string_view new_blob, bool& swapped);
core::error_code remove(connection& c, std::string_view user_id, std::string_view instance_id, std::string_view id);

struct delivery {
  std::string id;
  std::string endpoint_id;
  std::int64_t event_id = 0;
  std::string event_type;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> next_attempt_at;
  std::optional<std::int64_t> last_status;
  std::string last_error;
  std::optional<std::int64_t> last_attempt_at;
  std::optional<std::int64_t> delivered_at;
  std::int64_t created_at = 0;
  std::int64_t seq = 0;  // rowid: the log's page cursor
};

/** The endpoint's deliveries, newest first, with seq < `before` (0: from the newest). */
core::error_code list_deliveries(connection& c, std::string_view endpoint_id, std::int64_t before, std::size_t limit,
                                 std::vector<delivery>& out);
core::error_code get_delivery(connection& c, std::string_view endpoint_id, std::string_view id, delivery& out);
/** Schedules the delivery again now, with a fresh attempt count (its id, the webhook-id, stays). */
core::error_code redeliver(connection& c, std::string_view endpoint_id, std::string_view id, std::int64_t now_ms);

/** The event type of a test delivery: delivered only to the endpoint it was made for. */
inline constexpr std::string_view test_event_type = "webhook.test";
/**
 * A test event for endpoint `e` alone (POST …/webhooks/{id}/test): appends a `webhook.test`
 * event (the user's feed shows it), for a 'meta' endpoint also a Meta-shaped payload
 * (`meta_body`), and a delivery `delivery_id` due now. enqueue_new never fans a test event
 * out to the instance's other endpoints.
 */
core::error_code insert_test_delivery(connection& c, const endpoint& e, std::string_view delivery_id,
                                      std::string_view meta_body, std::int64_t now_ms);

/**
 * For the engine's timer: whether deliveries of active endpoints are due at `now_ms` already
 * (left unclaimed because their endpoint has every slot in flight), and when the next one falls
 * due after it (a retry, or a lease that runs out), if any. New work reaches the engine through
 * the change stream instead.
 */
core::error_code next_due(connection& c, std::int64_t now_ms, bool& overdue, std::optional<std::int64_t>& next);
/** Is there any endpoint (active or paused)? Without one, new events need no look. */
core::error_code any_endpoint(connection& c, bool& out);

/** Turns events after the endpoints' cursors into deliveries (at most `window` event ids). */
core::error_code enqueue_new(connection& c, std::int64_t now_ms, std::int64_t window, std::size_t& created);

/** Due deliveries of active endpoints, leased until `lease_until`: at most `per_endpoint` per
    endpoint, or fewer for endpoints named in `capacity` ({"<endpoint id>": free slots}, for
    endpoints with attempts running). */
core::error_code claim_due(connection& c, std::int64_t now_ms, std::int64_t lease_until, std::size_t per_endpoint,
                           std::size_t limit, const std::string& capacity, std::vector<delivery>& out);

/** What one attempt gave. */
struct attempt_outcome {
  bool delivered = false;
  std::optional<std::int64_t> status;    // HTTP status, when there was an answer
  std::string error;                     // short reason when not delivered
  std::optional<std::int64_t> retry_at;  // not delivered: next attempt (nullopt: give up)
};
/** Stores the outcome of an attempt on the delivery (its endpoint's failure run: save_run). */
core::error_code record_attempt(connection& c, const delivery& d, const attempt_outcome& o, std::int64_t now_ms);

/** An endpoint's state and failure run, as hooks::pause_policy reads and changes them. */
struct failure_run {
  std::string state = "active";
  std::string paused_reason;
  std::int64_t failure_count = 0;
  std::optional<std::int64_t> failing_since;
};
/** The endpoint's failure run; not_found when the endpoint is gone. */
core::error_code load_run(connection& c, std::string_view endpoint_id, failure_run& out);
/** Saves the run; `updated_at` when the state changed (a pause), else the row keeps its own. */
core::error_code save_run(connection& c, std::string_view endpoint_id, const failure_run& run,
                          std::optional<std::int64_t> updated_at);

/** For a `meta` endpoint's delivery: the Meta payload whose first event id is `first_event_id`. */
core::error_code meta_payload(connection& c, std::string_view instance_id, std::int64_t first_event_id,
                              std::string& body);
/** Keeps Meta's original body with the range of event ids the same write appended. */
core::error_code store_meta_payload(connection& c, std::string_view instance_id, std::int64_t first_event_id,
                                    std::int64_t last_event_id, std::string_view body, std::int64_t now_ms);
/** One event by id (any owner: the engine checks the endpoint's instance); not_found when purged. */
core::error_code event_row(connection& c, std::int64_t id, std::string& instance_id, std::string& type,
                           std::string& data, std::int64_t& created_at);
/** Does the instance have a `meta`-format endpoint (then Meta's bodies are worth keeping)? */
core::error_code has_meta_endpoint(connection& c, std::string_view instance_id, bool& out);
/** The newest event id overall (0 when none): bounds what a write appended. */
core::error_code max_event_id(connection& c, std::int64_t& out);

/** Retention: deletes delivery log rows and Meta payloads older than `before_ms` (at most
    `limit` of each; undelivered rows still scheduled stay). */
core::error_code purge(connection& c, std::int64_t before_ms, std::size_t limit, std::size_t& deleted);

}  // namespace enfinito::store::hooks
