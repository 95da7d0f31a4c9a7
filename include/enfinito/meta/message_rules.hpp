#pragma once
/**
 * @file meta::message_rules: Meta's documented rules for an outbound message body
 * (REFERENCE.md §1), checked before anything is queued. Sans-I/O: JSON in, verdict out.
 *
 * The send API and the Graph-compatible routes both call `check_message`. A body that passes
 * is what Enfinito later POSTs to `/{version}/{phone-number-id}/messages`, unchanged except
 * that `messaging_product` and `recipient_type` are filled in when absent. A body that fails
 * names the first offending field as a dotted path (`interactive.action.buttons[3]`), so the
 * REST API answers a `problem+json` with `field`, and the Graph-compatible routes answer
 * Meta's envelope with code 100 (or 131008 for a missing required parameter), as Meta would.
 *
 * Mark-as-read and typing-indicator bodies (`status: "read"`, no `type`) are recognised as
 * `kind::mark_read`: they are not messages and are not queued.
 *
 * The rules are Meta's, not stricter: what Meta accepts must pass (a false rejection blocks
 * a paying customer), and what Meta certainly refuses must fail here (so it is not queued).
 */
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>

namespace enfinito::meta {

struct checked_message {
  enum class kind { message, mark_read };
  kind what = kind::message;
  std::string type;               // text, image, ..., template, reaction, interactive (empty for mark_read)
  std::string to;                 // the recipient as given (`to`); for mark_read, empty
  std::string message_id;         // mark_read: the inbound wamid; message with context: the quoted wamid
  bool typing_indicator = false;  // mark_read with typing_indicator
  std::string body;               // the JSON to send to Meta (serialized, normalized envelope)
  // A template message: its `template` object as parsed, moved out after `body` was written,
  // so the template pre-send check (templates/send_checks.hpp) needs no second parse of
  // `body`. Null for every other type and for a message built without check_message.
  boost::json::value template_object;
};

struct rule_violation {
  std::string field;     // dotted path of the offending field, e.g. "text.body"
  std::string detail;    // our own words (never echoes the value)
  bool missing = false;  // a required field is absent (Graph: 131008), otherwise invalid (100)
};

struct message_check {
  bool ok = false;
  checked_message message;  // set when ok
  rule_violation error;     // set when !ok
};

/** Checks one outbound body (the parsed JSON of a send request). */
message_check check_message(const boost::json::value& body);
/** The same, consuming the body: no copy of it (the send routes' hot path). */
message_check check_message(boost::json::value&& body);

/**
 * The recipient as a digits-only key for per-recipient ordering and pair pacing: strips `+`,
 * spaces, `-`, `(`, `)`. Group ids and BSUIDs pass through unchanged.
 */
std::string recipient_key(std::string_view to);

}  // namespace enfinito::meta
