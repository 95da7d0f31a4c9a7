#pragma once
/**
 * @file store::optouts: the SQL of the opt-out lists and their settings (schema.sql migration
 * 18). Every function takes the `connection&` of a store read or write; writes run inside one
 * `store::write` with the event and audit rows the caller adds (optouts/list.hpp). Callers
 * scope by tenant: they pass an instance id they read with the user's id. Times are unix ms.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::optouts {

struct entry {
  std::string wa_id;
  std::string source;      // keyword | api
  std::string keyword;     // empty unless source keyword
  std::string message_id;  // empty unless source keyword
  std::int64_t created_at = 0;
};

/** An instance's settings row; `found` false: no row (the defaults apply). */
struct settings_row {
  bool found = false;
  bool enabled = true;
  std::optional<std::string> stop_keywords;   // JSON array; nullopt: the built-in list
  std::optional<std::string> start_keywords;  // JSON array; nullopt: the built-in list
  std::string enforce = "off";                // off | marketing_templates | all_templates
  std::int64_t updated_at = 0;
};

/** Reads the instance's settings (one primary-key lookup). */
core::error_code get_settings(connection& c, std::string_view instance_id, settings_row& out);
/** Writes them (insert or replace). */
core::error_code put_settings(connection& c, std::string_view instance_id, const settings_row& s);

/** Adds `e` to the instance's list; `added` false when it was there already (unchanged). */
core::error_code add(connection& c, std::string_view instance_id, const entry& e, bool& added);
/** Removes `wa_id`; `removed` false when it was not listed. */
core::error_code remove(connection& c, std::string_view instance_id, std::string_view wa_id, bool& removed);

/** Is `wa_id` on the instance's list? One primary-key lookup. */
core::error_code contains(connection& c, std::string_view instance_id, std::string_view wa_id, bool& listed);
/** One entry; error::not_found when not listed. */
core::error_code get(connection& c, std::string_view instance_id, std::string_view wa_id, entry& out);

/** The instance's entries with wa_id > `after`, ascending, at most `limit`. */
core::error_code list(connection& c, std::string_view instance_id, std::string_view after, std::size_t limit,
                      std::vector<entry>& out);

/** For the account export: the user's entries over all their instances after (`after_instance`,
    `after_wa_id`), ascending by (instance, wa_id), at most `limit`; `instance_ids` parallel. */
core::error_code list_for_user(connection& c, std::string_view user_id, std::string_view after_instance,
                               std::string_view after_wa_id, std::size_t limit, std::vector<std::string>& instance_ids,
                               std::vector<entry>& out);

}  // namespace enfinito::store::optouts
