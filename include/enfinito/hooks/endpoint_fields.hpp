#pragma once
/**
 * @file The fields of a customer's webhook endpoint as the API reads and shows them
 * (api/hooks_routes.cpp): the create / PATCH body checked field by field (`url`,
 * `event_types`: up to 50 distinct names like message.received, `format`: enfinito or meta,
 * `state`: active or paused, PATCH only), and the endpoint and one delivery as JSON. Pure.
 * The signing secret is never part of a view (the routes add it once, to create and rotate).
 */
#include <enfinito/core/field_refusal.hpp>
#include <enfinito/store/hooks.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::hooks {

/** At most this many event types on one endpoint. */
inline constexpr std::size_t max_event_types = 50;

/** The fields a create or PATCH body sets; a field absent there is unset here. */
struct endpoint_change {
  std::optional<std::string> url;          // not yet checked against the SSRF policy
  std::optional<std::string> event_types;  // serialized JSON array, duplicates removed
  std::optional<std::string> format;
  std::optional<std::string> state;
};

using core::field_refusal;

/** Whether `t` looks like an event type: 1 to 64 of a-z, 0-9, `_` and `.`. */
bool event_type_like(std::string_view t);

/** Reads a create (`create`: url required, no state) or PATCH body; the refusal, or nothing. */
std::optional<field_refusal> read_endpoint_change(const boost::json::value& body, bool create, endpoint_change& out);

/** The endpoint as the API shows it (no secret). */
boost::json::object endpoint_json(const store::hooks::endpoint& e);

/** One delivery of the log, its `state` derived: delivered, pending or failed. */
boost::json::object delivery_json(const store::hooks::delivery& d);

/**
 * A page of the delivery log: `{data, has_more, next_before}` from `rows` read with one more
 * than `limit` (the extra row only says that a next page exists).
 */
boost::json::object delivery_page_json(std::vector<store::hooks::delivery>& rows, std::size_t limit);

}  // namespace enfinito::hooks
