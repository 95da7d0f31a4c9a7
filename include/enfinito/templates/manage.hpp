#pragma once
/**
 * @file templates::manage: an instance's templates managed through Enfinito, for the REST
 * routes (api/meta_routes.cpp) and the Graph-compatible ones (api/graph_waba_routes.cpp) alike.
 * Each change goes to Meta first; only once Meta said yes does the local copy follow, in one
 * store write (a copy never holds what Meta refused). Reads come from the copy alone.
 *
 *   list    the copy, filtered, paged by an opaque cursor (no call to Meta)
 *   create  `POST /{waba}/message_templates` → the copy gains the template (Meta's id and status)
 *   edit    `POST /{template-id}` (components and/or category) → the copy follows
 *   remove  `DELETE /{waba}/message_templates?name=[&hsm_id=]` → the copy drops it
 *
 * Failures are instances::relay_failure (meta_relay.hpp): Meta unreachable, Meta's error (a
 * refused token has marked the instance needs_reauth), or an unexpected answer.
 */
#include <enfinito/core/net.hpp>
#include <enfinito/instances/meta_relay.hpp>
#include <enfinito/meta/relay_input.hpp>
#include <enfinito/store/templates.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace enfinito::templates {

/** An edit's body: `components` (1 to 10 objects, at most one BODY) and/or `category`
    (MARKETING, UTILITY, AUTHENTICATION), nothing else. Pure. */
std::optional<meta::input_problem> check_edit(const boost::json::value& v);

/** Meta's template id (digits, 1 to 32) and a template name as Meta takes them. Pure. */
bool template_id_like(std::string_view id) noexcept;
bool template_name_like(std::string_view name) noexcept;

/** A page of the copy: Meta's template objects (name, language, status, category,
    parameter_format, components, id, quality_score) and the cursor to the next page. */
struct copy_page {
  boost::json::array data;
  std::string next;      // empty: last page
  std::string previous;  // empty: first page
};

/** The page as Graph pages it: `data`, and `paging` {after, before} (null at either end). */
boost::json::object page_json(copy_page page);

/** Meta's object for a row of the copy. */
boost::json::object meta_object(const store::templates::row& r);

/** A page in Meta's list shape, as the Graph-compatible list answers it: `{data}`, and when
    there is data `paging: {cursors: {before, after}}` (null at either end) with `next`, the
    URL `next_base` followed by the next cursor, when a next page exists. Pure. */
boost::json::object graph_list_body(copy_page page, std::string_view next_base);

/** The cursor after `r` (opaque: hex of name and language). */
std::string cursor_after(const store::templates::row& r);
/** The filter's `after` (or `before`) from a cursor; false for one this API never gave. */
bool read_cursor(std::string_view cursor, store::templates::filter& f, bool before = false);

/** The copy's filter for a checked list query (meta::read_template_query): its limit, name,
    status, language and cursor. Nothing, or the parameter ("after" or "before") holding a
    cursor this API never gave. Pure. */
std::optional<std::string_view> list_filter(const meta::template_query& q, store::templates::filter& f);

/** Was instance `instance_id`'s copy ever synced? A copy never synced proves nothing: the list
    routes sync it once (sync.hpp, sync_now) before the first page. */
net::awaitable<core::result<bool>> ever_synced(store::store& db, std::string instance_id);

/** The template with Meta's id `template_id` in the copies of `user_id`'s instances
    (store::error::not_found when none has it). */
net::awaitable<core::result<store::templates::row>> find_by_id(store::store& db, std::string user_id,
                                                               std::string template_id);

/** One page of instance `instance_id`'s copy (`f.limit` rows at most). */
net::awaitable<core::result<copy_page>> list(store::store& db, const std::string& instance_id,
                                             store::templates::filter f);

/** Creates a template (definition already checked: meta/relay_input.hpp); Meta's answer
    (id, status, category) once the copy holds it too. */
net::awaitable<instances::relayed<boost::json::object>> create(const instances::relay_target& t,
                                                               const boost::json::object& definition);

/** Edits the copy's template `template_id` (body: components and/or category, checked). */
net::awaitable<instances::relayed<std::monostate>> edit(const instances::relay_target& t,
                                                        const std::string& template_id,
                                                        const boost::json::object& changes);

/** Deletes the template `name` (every language), or only Meta's id `template_id` when given. */
net::awaitable<instances::relayed<std::monostate>> remove(const instances::relay_target& t, const std::string& name,
                                                          const std::string& template_id);

}  // namespace enfinito::templates
