#pragma once
/**
 * @file What a broadcast reports to its owner (api/broadcasts_routes.cpp answers with it):
 * its JSON view with the counts of its messages by outcome, the rows a list rejected, the
 * reads behind the list and one broadcast, and the per-recipient outcome export as CSV
 * (RFC 4180, never read as a formula by a spreadsheet), page by page.
 */
#include <enfinito/broadcasts/recipients.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/broadcasts.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::broadcasts {

/** The broadcast as the API shows it; with `n`, its `counts` member too. */
boost::json::object view(const store::broadcasts::broadcast& b, const store::broadcasts::counts* n);

/**
 * A page of an instance's broadcasts as the API shows it: `object` "list", `data` (each with its
 * `counts[i]`), and `next_cursor` (the last one's created_at) when the page is full (`limit`).
 */
boost::json::object list_json(const std::vector<store::broadcasts::broadcast>& rows,
                              const std::vector<store::broadcasts::counts>& counts, std::size_t limit);

/** The rejected rows of a list: `[{row, field, detail}]`. */
boost::json::array rejections(const recipient_list& l);

/** A broadcast's messages counted by outcome (one read). */
net::awaitable<core::error_code> read_counts(store::store& db, std::string id, store::broadcasts::counts& out);

/**
 * The user's broadcasts of an instance, newest first, created before `before_ms` (0: none),
 * at most `limit`, each with its counts (`counts[i]` is `rows[i]`'s), in one read.
 */
net::awaitable<core::error_code> list_counted(store::store& db, std::string user_id, std::string instance_id,
                                              std::int64_t before_ms, std::size_t limit,
                                              std::vector<store::broadcasts::broadcast>& rows,
                                              std::vector<store::broadcasts::counts>& counts);

/**
 * Appends `v` as one CSV field: quoted when it needs to be (RFC 4180), and a leading
 * = + - @ gets a quote mark first, so a spreadsheet never reads it as a formula (OWASP's CSV
 * injection advice).
 */
void csv_field(std::string& out, std::string_view v);

/** The export's first line. */
inline constexpr std::string_view outcomes_csv_header =
    "message_id,to,status,wamid,error_code,error_title,updated_at\r\n";

/** Appends one CSV line (CRLF-terminated) per outcome row. */
void append_outcomes_csv(std::string& out, const std::vector<store::broadcasts::outcome_row>& rows);

/** Rows per page of the export. */
inline constexpr std::size_t export_page_rows = 1000;

/**
 * The recipients export of one broadcast, page by page in accept order (the header first).
 * Lifetime: `db` outlives it; one page at a time.
 */
class outcome_export {
 public:
  outcome_export(store::store& db, std::string broadcast_id) : db_(db), broadcast_id_(std::move(broadcast_id)) {}

  /**
   * Replaces `chunk` with `self`'s next page; true while another page may follow. `self` is
   * held by the coroutine while it runs.
   */
  static net::awaitable<boost::system::result<bool>> next(std::shared_ptr<outcome_export> self, std::string& chunk);

 private:
  store::store& db_;
  std::string broadcast_id_;
  std::int64_t after_ = 0;
  bool header_ = true;
};

}  // namespace enfinito::broadcasts
