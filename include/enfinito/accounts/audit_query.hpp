#pragma once
/**
 * @file accounts audit_query: the query string of GET /v1/me/audit and GET /v1/admin/audit
 * read into a store::audit::filter, or the field that is wrong (pure; tests/unit/accounts).
 *
 *   limit    1..200 (default 50)
 *   cursor   the `next_cursor` of the previous page
 *   action   an action name (signin, instance_created, …)
 *   since    unix milliseconds, inclusive; until: exclusive (whole seconds: entries keep seconds)
 * Administrators only (`admin`):
 *   user     a user id, as subject or actor;  actor: who acted;  tenant: whose account it is about
 */
#include <enfinito/store/audit.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace enfinito::accounts {

struct query_refusal {
  std::string field;
  std::string detail;
};

using query_param = std::function<std::optional<std::string>(std::string_view name)>;

/** The filter the parameters ask for; `admin` admits the user, actor and tenant filters. */
std::variant<store::audit::filter, query_refusal> read_audit_query(const query_param& param, bool admin);

}  // namespace enfinito::accounts
