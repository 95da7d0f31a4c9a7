#pragma once
/**
 * @file optouts::list: an instance's do-not-contact list, how it changes and who honours it.
 *
 * ```
 * inbound:  Meta POST → inbound/receive: candidates() on the reactor (optouts/keywords.hpp)
 *           → the webhook's ONE store write: the message row, then on_inbound() for a new
 *             message: settings (one key lookup, only when a text could be a keyword),
 *             match, list row + event + audit entry → COMMIT → 200 to Meta
 * API:      GET/POST/DELETE /v1/instances/{id}/optouts[/{wa_id}], GET/PUT …/optout-settings
 *           (api/optouts_routes.cpp) → add / remove / save_settings: row + event + audit, one write
 * honoured: outbound/accept: check_single_send() inside the accept write (a template send to a
 *           listed recipient is refused when `enforce` says so: nothing is stored or queued);
 *           broadcasts: is_opted_out() (broadcasts/opt_out_seam.hpp, in the lease write)
 * ```
 *
 * Every change of the list appends `optout.added` or `optout.removed` (data: instance_id,
 * wa_id, source, keyword, message_id) in the write that changes it, so the live feed and
 * customer webhooks see it after COMMIT, and an audit entry for the instance's owner (action
 * `optout.added` / `optout.removed`, `optout.settings_updated` for the settings; the actor is
 * the user for API changes and empty for a customer's keyword). A change that changes nothing
 * (adding a listed number, a second STOP) writes nothing.
 *
 * Template categories: `marketing_templates` needs a template's category, which Enfinito does
 * not keep. `template_is_marketing` reads the category from the instance's local template
 * copy (store/templates.hpp); a template the copy does not hold counts as marketing (a
 * customer who wrote STOP is not sent one by mistake).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/optouts/keywords.hpp>
#include <enfinito/store/connection.hpp>
#include <enfinito/store/inbound.hpp>
#include <enfinito/store/optouts.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store {
class store;
}
namespace enfinito::store::messages {
struct message;
}

namespace enfinito::optouts {

/** Which single sends to an opted-out recipient are refused. */
enum class enforcement { off, marketing_templates, all_templates };
std::optional<enforcement> parse_enforcement(std::string_view s);
std::string_view name(enforcement e);

/** An instance's settings in force (the built-in lists where none was set). */
struct settings {
  bool enabled = true;
  keyword_set keywords;
  bool default_stop = true;   // `keywords.stop` is the built-in list
  bool default_start = true;  // `keywords.start` is the built-in list
  enforcement enforce = enforcement::off;
  std::int64_t updated_at = 0;  // 0: never set
};

/** Reads the instance's settings (one primary-key lookup). */
core::error_code read_settings(store::connection& c, std::string_view instance_id, settings& out);

/** Pure: is a single send refused? `marketing` matters only for marketing_templates. */
bool refuses(enforcement e, bool is_template, bool listed, bool marketing) noexcept;

/** Pure: the seam's rule, given a category if one is known ("MARKETING", "UTILITY", …).
    Unknown counts as marketing. */
bool is_marketing_category(std::optional<std::string_view> category) noexcept;

/**
 * THE SEAM for the template category (the lead wires the local template copy here): is the
 * instance's template `name` in `language` a marketing one? Today no category is known and
 * every template counts as marketing (is_marketing_category(nullopt)).
 */
bool template_is_marketing(store::connection& c, std::string_view instance_id, std::string_view name,
                           std::string_view language);

/** Is `wa_id` on the instance's list? One key lookup on any connection (a reader's, or the
    writer's inside a write: the send queue's broadcast lease, broadcasts/opt_out_seam.hpp). */
core::result<bool> is_opted_out(store::connection& c, std::string_view instance_id, std::string_view wa_id);

/**
 * In the accept write, before the message is inserted: `error::opted_out` when the instance's
 * settings refuse this send to a listed recipient. Costs nothing for non-template sends and
 * one key lookup for templates of an instance without enforcement.
 */
core::error_code check_single_send(store::connection& c, const store::messages::message& m);

/** candidates() of each message (parallel to `messages`): the inbound flow calls it on the
    reactor, before its store write. */
std::vector<std::vector<std::string>> inbound_candidates(const std::vector<store::inbound::message>& messages);

/**
 * In the inbound write, right after `m` was stored as a NEW message (a redelivery must not
 * replay an old STOP): `texts` are candidates(m.type, m.body), computed before the write.
 * Adds or removes m.peer when a text is a keyword and the instance's keywords are on.
 */
core::error_code on_inbound(store::connection& c, const store::inbound::owner& o, const store::inbound::message& m,
                            const std::vector<std::string>& texts, std::int64_t now_ms, store::inbound::outcome& out);

/** Who changes the list or the settings through the API (for the audit entry). */
struct actor {
  std::string user_id;         // the instance's owner and the actor
  std::string client_address;  // as api::client_address gives it
};

/** Checks a wa_id given by a customer ("+49 151 …" allowed) and returns its list key, or empty. */
std::string wa_id_key(std::string_view given);

struct change {
  core::error_code ec;
  bool changed = false;         // false: it was listed already (add) / not listed (remove)
  store::optouts::entry entry;  // add: the row as listed (new or earlier)
};
/** Adds `wa_id` (a key from wa_id_key) by the API, with its event and audit entry. */
net::awaitable<change> add(store::store& db, const actor& who, std::string_view instance_id, std::string_view wa_id);
/** Removes it the same way; `changed` false when it was not listed. */
net::awaitable<change> remove(store::store& db, const actor& who, std::string_view instance_id, std::string_view wa_id);

/** What PUT …/optout-settings may change; nullopt members keep their value. */
struct settings_change {
  std::optional<bool> enabled;
  std::optional<std::optional<std::vector<std::string>>> stop;   // inner nullopt: the built-in list
  std::optional<std::optional<std::vector<std::string>>> start;  // keywords already cleaned
  std::optional<enforcement> enforce;
};
/** Pure: `current` with `c` applied; the `why` of a refusal (a keyword in both lists) or empty. */
std::string apply(settings& current, const settings_change& c);
/** Applies `c` in one write (with its audit entry) and returns the settings in force. */
net::awaitable<core::error_code> save_settings(store::store& db, const actor& who, std::string_view instance_id,
                                               const settings_change& c, settings& out, std::string& why);

}  // namespace enfinito::optouts
