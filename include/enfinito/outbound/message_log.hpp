#pragma once
/**
 * @file The message log as its owner sees it (api/messages_routes.cpp answers with it): a
 * message of either direction as JSON, the log's filter read from its query parameters and
 * its pages, and the retry of a failed one. A failed message may be
 * queued again only when Meta's code says trying again can help (meta::classify), a dead one
 * always (store::messages::requeue); the queue is then asked to rescan the instance, since the
 * new job's seq is below its cursor.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/field_refusal.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/messages.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::outbound {

class queue;

/**
 * The public view of a message (either direction). Its `message` member is the JSON as
 * stored: what was sent to Meta (outbound) or Meta's message object (inbound).
 */
boost::json::object message_json(const store::messages::message& m);

/** A page of the log as the API shows it: `data`, and `next_cursor` (null without `more`). */
boost::json::object log_page_json(const std::vector<store::messages::message>& rows, bool more);

/** A request's query parameter by name, or nothing when absent. */
using query_fn = std::function<std::optional<std::string>(std::string_view)>;

/**
 * Reads the log's query parameters into `f`: `limit` (1 to 100), `cursor` (a next_cursor),
 * `direction`, `status` (a known status), `peer` (as its recipient key), `since` / `until`
 * (unix ms). The refusal, or nothing.
 */
std::optional<core::field_refusal> read_log_filter(const query_fn& query, store::messages::list_filter& f);

/** One page of the log for `f` (user and instance set); `more`: a next page exists. One read. */
net::awaitable<core::error_code> read_log_page(store::store& db, store::messages::list_filter f,
                                               std::vector<store::messages::message>& rows, bool& more);

/** The Meta codes of a failed message that a retry may requeue: `code` if retrying can help. */
std::vector<std::int64_t> retryable_codes(const std::optional<std::int64_t>& code);

struct retry_result {
  enum class kind {
    queued,         // `message`: the message after (status accepted)
    not_found,      // absent, or not the user's
    not_retryable,  // neither dead nor failed with a temporary error
    store_failed,   // `ec`
  };
  kind what = kind::store_failed;
  store::messages::message message;
  core::error_code ec;
};

/** Queues the user's message `current` (read with the user's id) again. `q` may be null (tests). */
net::awaitable<retry_result> retry(store::store& db, queue* q, std::string user_id,
                                   const store::messages::message& current);

}  // namespace enfinito::outbound
