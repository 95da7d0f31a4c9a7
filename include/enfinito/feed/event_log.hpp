#pragma once
/**
 * @file feed::event_log: the caller's event log read in pages (GET /v1/events,
 * api/events_routes.cpp) and the check both it and the live feed (GET /v1/stream) make of the
 * instances a filter names: each must be the caller's, or the answer is the same 404 as for an
 * instance that does not exist.
 *
 * A page holds at most `f.limit` events and stops early past `page_data_budget` bytes of
 * event data (an inbound message can be megabytes, and 1,000 of them must not become one
 * response), but always holds at least one event; `more` then says a next page exists.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/events.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::feed {

/** Bytes of event data a page stops after (at least one event is always returned). */
inline constexpr std::size_t page_data_budget = 4 * 1024 * 1024;

/** One event as the API shows it (its stored `data` JSON inline). */
boost::json::object event_json(const store::events::event& e);

/**
 * Whether each of `ids` is an instance of `user_id`: sets `missing` at the first that is not.
 * Runs on a store reader.
 */
core::error_code check_owned(store::connection& c, std::string_view user_id, const std::vector<std::string>& ids,
                             bool& missing);

/** How many of `rows` (in order) a page keeps within `budget` bytes of data: at least one. */
std::size_t within_budget(const std::vector<store::events::event>& rows, std::size_t budget);

struct page {
  core::error_code ec;
  bool missing = false;  // an instance of `named` is not the user's: nothing read
  std::vector<store::events::event> rows;
  bool more = false;  // a next page exists
};
/** The page of `f` (user, after, instances, types, limit), `named` checked first; one read. */
net::awaitable<page> read_page(store::store& db, store::events::filter f, std::vector<std::string> named);

}  // namespace enfinito::feed
