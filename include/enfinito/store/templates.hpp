#pragma once
/**
 * @file store::templates: the SQL of the local template copy (schema.sql migration 16).
 *
 * ## What is stored
 * - `templates`: one row per (instance, name, language), Meta's template as the last sync,
 *   create, edit or webhook left it. `components` is Meta's JSON array as Meta sent it, or
 *   absent while only a webhook has told of the template (a template created in Meta's
 *   dashboard and approved before the next sync).
 * - `template_copies`: per instance, when a sync last replaced the copy (never: an unknown
 *   template proves nothing) and since when its webhooks arrive (the window policy `auto`).
 *
 * Every function that changes the copy marks `change::templates` so the send path's cache
 * (templates/send_checks.hpp) drops what it held; `note_inbound_window` marks
 * `change::windows` for the window cache. Writers run on the store writer inside one
 * `store::write`; readers anywhere. Times are unix ms.
 *
 * Tenancy: the routes pass an instance id they already checked against the caller; the
 * lookups by Meta's template id take the user id and match it through instances.user_id.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::templates {

/** One template of an instance's copy. */
struct row {
  std::string instance_id;
  std::string name;
  std::string language;
  std::string template_id;  // Meta's id
  std::string status;       // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...
  std::string category;
  std::string quality;  // '' until Meta tells
  std::string parameter_format = "POSITIONAL";
  std::optional<std::string> components;  // JSON array; nothing: not known yet
  std::int64_t updated_at = 0;
};

/** Replaces the instance's whole copy with `rows` (a complete sync) and records `now` as its sync time. */
core::error_code replace_all(connection& c, std::string_view instance_id, const std::vector<row>& rows,
                             std::int64_t now);

/** Inserts or replaces one row (a template created or edited through Enfinito). */
core::error_code upsert(connection& c, const row& r);

/** What a template webhook changes (`message_template_status_update`, `…_quality_update`,
    `template_category_update`): only the non-empty fields. */
struct update {
  std::string template_id;
  std::string name, language;  // status updates name the template; a new row needs both
  std::string status, quality, category;
};

/**
 * Applies a webhook's change to the row with Meta's id `u.template_id`; a status update for a
 * template the copy does not hold yet (named, with its language) adds a row without
 * components. `applied` says whether a row changed or was added.
 */
core::error_code apply(connection& c, std::string_view instance_id, const update& u, std::int64_t now, bool& applied);

/** Replaces the components of the instance's template with Meta's id `template_id` (an edit). */
core::error_code set_components(connection& c, std::string_view instance_id, std::string_view template_id,
                                std::string_view components_json, std::int64_t now);

/** Removes the instance's templates named `name` (every language), or only Meta's id
    `template_id` when given. `removed` counts them. */
core::error_code remove(connection& c, std::string_view instance_id, std::string_view name,
                        std::string_view template_id, std::size_t& removed);

/** Filters of a list; empty strings do not filter. `name` matches a substring, as Meta's does. */
struct filter {
  std::string name, status, language, category;
  std::string after;   // (name, language) cursor: "name\x1flanguage" of the last row seen
  std::string before;  // the same, of the first row seen: the page before it (ordered back)
  std::size_t limit = 25;
};

/** The instance's templates ordered by (name, language), after (or before) the cursor, at most `limit`. */
core::error_code list(connection& c, std::string_view instance_id, const filter& f, std::vector<row>& out);

/** One template by name and language; `not_found` when the copy has none. */
core::error_code get(connection& c, std::string_view instance_id, std::string_view name, std::string_view language,
                     row& out);

/** The user's template with Meta's id `template_id`, in any of the user's instances (the
    Graph routes name templates by id); `not_found` otherwise. */
core::error_code find_by_meta_id(connection& c, std::string_view user_id, std::string_view template_id, row& out);

/** The copy's state: last sync and first webhook (each unset when never). */
struct copy_state {
  std::optional<std::int64_t> synced_at;
  std::optional<std::int64_t> webhooks_since;
};
core::error_code state(connection& c, std::string_view instance_id, copy_state& out);

/** Writer: a webhook POST of the instance was stored; the first one starts `webhooks_since`. */
core::error_code note_webhooks(connection& c, std::string_view instance_id, std::int64_t now);

/**
 * When `peer` last wrote to the instance (conversations.last_inbound_at, Meta's timestamp):
 * the 24-hour customer-service window runs from there. Unset: never, as far as Enfinito saw.
 */
core::error_code last_inbound(connection& c, std::string_view instance_id, std::string_view peer,
                              std::optional<std::int64_t>& out);

}  // namespace enfinito::store::templates
