#pragma once
/**
 * @file outbound::timeline: one message's life as a list of entries, oldest first, for
 * `GET /v1/messages/{id}/timeline` (api/messages_routes.cpp turns the entries into JSON), and
 * the messages part of the personal-data export, a page at a time.
 *
 * The entries come from store::timeline (store/timeline.hpp): the API call that created the
 * message (outbound only), every send attempt that did not end in `sent`, the events naming
 * the message (status webhooks, the queue's answers from Meta, retries), and the deliveries of
 * those events to the user's webhook endpoints. Tenancy: the caller passes the user id of a
 * message it read with store::messages::get, which checks the owner.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/messages.hpp>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace enfinito::outbound {

/** One entry of a message's timeline. */
struct timeline_entry {
  std::int64_t at = 0;
  std::string kind;  // api_request | attempt | status_webhook | hook_delivery
  std::string summary;
  json::object detail;
};

/** Everything stored about `m` (the user's message), oldest first. Runs on a store reader. */
core::error_code build_timeline(store::connection& c, const std::string& user_id, const store::messages::message& m,
                                std::vector<timeline_entry>& out);

/** The timeline as the API shows it: `{data: [{at, kind, summary, detail}]}`, oldest first. */
json::object timeline_json(std::vector<timeline_entry> entries);

/** How the export shows one message (the API's public view). */
using message_view = std::function<json::value(const store::messages::message&)>;

/**
 * One page of every message of the user's instances, shaped by `view`, instance by instance
 * (id order), newest first within one. The cursor is "<instance id>|<seq to continue below>"
 * (0: from the newest); empty after the last page. Fits accounts::export_pager.
 */
core::error_code export_messages_page(store::connection& c, const std::string& user_id, std::string& cursor,
                                      std::size_t limit, json::array& page, const message_view& view);

}  // namespace enfinito::outbound
