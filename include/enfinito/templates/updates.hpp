#pragma once
/**
 * @file templates::updates: Meta's template webhooks (REFERENCE.md §3, [D-MTS]) read into a
 * change of the local copy. Pure: the field and the change's `value` bytes in.
 *
 *   message_template_status_update   {event, message_template_id, _name, _language, _category?, reason}
 *   message_template_quality_update  {new_quality_score, message_template_id, _name, _language}
 *   template_category_update         {new_category, message_template_id, _name, _language}
 *
 * The status event becomes the template's status (REINSTATED: APPROVED again). A value that
 * does not carry a template id is not a change of the copy (the event is still emitted).
 */
#include <enfinito/store/templates.hpp>

#include <optional>
#include <string_view>

namespace enfinito::templates {

/** Whether `field` is one of the three template fields. */
bool is_template_field(std::string_view field) noexcept;

/** The copy's change for a template webhook, or nothing (another field, or not readable). */
std::optional<store::templates::update> read_update(std::string_view field, std::string_view value_json);

}  // namespace enfinito::templates
