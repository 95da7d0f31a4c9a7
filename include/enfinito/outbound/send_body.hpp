#pragma once
/**
 * @file The body of a REST send (POST /v1/instances/{id}/messages) checked once parsed:
 * Enfinito's scheduling fields taken out (outbound::take_schedule), Meta's envelope defaults
 * filled in (`messaging_product`, `recipient_type`), meta::check_message, and a mark-as-read
 * refused (it is not a message). api::check_send_body parses the HTTP body and calls it. Pure:
 * the caller gives the time.
 */
#include <enfinito/core/field_refusal.hpp>
#include <enfinito/meta/message_rules.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <variant>

namespace enfinito::outbound {

struct schedule;  // outbound/accept.hpp

/**
 * Checks `body` at `now`. With `when`, `send_at` / `expires_at` may be in it: they are checked,
 * removed before Meta's check and returned there. The checked message, or the first refused
 * field (`missing_field` for an absent required one, `not_a_message` for a mark-as-read).
 */
std::variant<meta::checked_message, core::field_refusal> check_send(boost::json::value&& body, std::int64_t now,
                                                                    schedule* when);

}  // namespace enfinito::outbound
