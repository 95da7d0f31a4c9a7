#pragma once
/**
 * @file An opt-out list as the API reads and shows it (api/optouts_routes.cpp): an entry and
 * an instance's settings as JSON, the body of POST …/optouts read into its number, the body of
 * PUT …/optout-settings read into a
 * settings_change (keyword lists cleaned by optouts::clean_keywords), the list's pages, and
 * the account export's `optouts` member a page at a time (privacy promise P8). Pure, but for
 * the pages, which read the store.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/field_refusal.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/optouts/list.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/optouts.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store {
class store;
}

namespace enfinito::optouts {

/** One entry of `instance_id`'s list as the API shows it. */
boost::json::object entry_json(std::string_view instance_id, const store::optouts::entry& e);

/** `instance_id`'s settings as the API shows them. */
boost::json::object settings_json(std::string_view instance_id, const settings& s);

/**
 * Reads a POST …/optouts body, `{"wa_id": …}` and nothing else, into `wa_id` (as wa_id_key
 * makes it). The refusal, or nothing.
 */
std::optional<core::field_refusal> read_add_body(const boost::json::value& body, std::string& wa_id);

/**
 * Reads a PUT …/optout-settings body: `enabled`, `stop_keywords` / `start_keywords` (null: the
 * built-in list, or up to 50 keywords), `enforce_on_single_sends`. The refusal, or nothing.
 */
std::optional<core::field_refusal> read_settings_change(const boost::json::value& body, settings_change& out);

/**
 * One page of `instance_id`'s list after `after` (a wa_id key; empty: from the start), at
 * most `limit` entries: `{data, has_more, next_after}`. One read.
 */
net::awaitable<core::error_code> read_page(store::store& db, std::string instance_id, std::string after,
                                           std::size_t limit, boost::json::object& page);

/**
 * One page of the account export's `optouts` member: every instance's list, paged by
 * (instance, wa_id); `cursor` is "instance_id wa_id" (empty: from the start; set empty after
 * the last page). Fits accounts::export_pager.
 */
core::error_code export_page(store::connection& c, const std::string& user_id, std::string& cursor, std::size_t limit,
                             boost::json::array& page);

}  // namespace enfinito::optouts
