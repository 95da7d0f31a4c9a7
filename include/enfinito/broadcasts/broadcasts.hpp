#pragma once
/**
 * @file broadcasts: one template sent to many recipients, as ordinary durable messages
 * (issue 21). The route (api/broadcasts_routes.cpp) parses and authenticates; this flow does
 * the rest:
 *
 *   create:  read the list (JSON or CSV) and check every row (broadcasts/recipients.hpp), each
 *            row's message body checked as a single send's is (meta::check_message)
 *            → rejected rows and no skip_invalid: nothing stored, the rows named
 *            → broadcast row (preparing) + messages and jobs in batches of `batch_rows`
 *              (each batch one store write: the writer's group commit serves single sends
 *              between them) → start (running, broadcast.accepted) → queue.notify
 *   pause / resume / cancel: one-row state changes (the queue's gate, store/broadcasts.hpp);
 *            cancel then cancels the queued messages in batches, never sent later.
 *
 * The list is read and checked on the blocking pool (100,000 rows are CPU work), and message
 * bodies are built per batch, so memory holds the rows and one batch, not every body.
 * A crash between batches leaves a `preparing` broadcast that never sends (the gate) and can
 * be cancelled; the caller got no answer and sends again.
 */
#include <enfinito/broadcasts/recipients.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/broadcasts.hpp>
#include <enfinito/store/instances.hpp>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store {
class store;
}
namespace enfinito::outbound {
class queue;
}

namespace enfinito::broadcasts {

/** Rows per store write while a broadcast is stored (measured: docs/performance.md). */
constexpr std::size_t batch_rows = 2000;
/** Messages cancelled per store write. */
constexpr std::size_t cancel_rows = 5000;

struct context {
  store::store& db;
  outbound::queue* q = nullptr;  // null in tests without a queue
  net::thread_pool& blocking;
};

struct create_request {
  const store::instances::instance& instance;  // the caller's, in their key's scope
  std::string user_id;
  std::optional<std::string> api_key_id;
  std::string name;
  template_ref tpl;
  // The list: a JSON `recipients` array, or the CSV text (a spooled upload's mapping, alive
  // for the request).
  std::optional<boost::json::value> json_recipients;
  std::string_view json_text;  // or the `recipients` array's text within the body (split_recipients)
  std::string_view csv;
  std::int64_t send_at = 0;  // unix ms; 0: now
  std::optional<std::int64_t> expires_at;
  bool skip_invalid = false;
};

struct create_result {
  enum class kind {
    created,       // `broadcast`; `list` holds the rows skipped (skip_invalid)
    rejected,      // rows rejected, nothing stored: `list`
    unusable,      // the list as a whole: `list.fatal`
    needs_reauth,  // the instance waits for a new access token: nothing stored
    disabled,      // the instance is disabled: nothing stored
    store_failed,  // `ec`
  };
  kind what = kind::store_failed;
  store::broadcasts::broadcast broadcast;
  recipient_list list;
  core::error_code ec;
};

/** Runs the create sequence above. Completes on the caller's executor. */
net::awaitable<create_result> create(context ctx, create_request rq);

enum class control { pause, resume, cancel };

struct control_result {
  enum class kind { done, not_found, wrong_state, store_failed };
  kind what = kind::store_failed;
  store::broadcasts::broadcast broadcast;  // after the change (wrong_state: as it is)
  core::error_code ec;
};

/** Pause (running → paused), resume (paused → running), cancel (not finished → cancelled). */
net::awaitable<control_result> apply(context ctx, std::string user_id, std::string id, control what);

}  // namespace enfinito::broadcasts
