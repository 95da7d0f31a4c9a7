#pragma once
/**
 * @file store::audit: who changed what, written in the same store write as the change, and the
 * reads of the log (GET /v1/me/audit, GET /v1/admin/audit) and its retention purge.
 *
 * A row (table audit_log, schema.sql) names its *subject* (the tenant: the user whose account,
 * instance, key or endpoint it is), its *actor* (the user who acted; empty for the system or an
 * unauthenticated caller), the action, a detail of `key=value` words and the client address.
 * The detail never holds a secret: a changed credential is named (`fields=access_token`),
 * never valued. Times are unix seconds. Every function takes the `connection&` of a store
 * write (record, purge) or read (newest).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store::audit {

/** Who acted, and from where: built by the route from its principal and request. */
struct actor {
  std::string user_id;     // empty: the system, or nobody signed in
  std::string api_key_id;  // set when the request came with an API key (recorded as key=…)
  std::string address;     // the client address
};

/** Appends an entry about `subject_id` by `who`; `detail` is `key=value` words, no secret. */
core::error_code record(connection& c, const actor& who, std::string_view subject_id, std::string_view action,
                        std::string_view detail);

/**
 * A page of the log, newest first. Every non-empty filter must hold. `mine` restricts to the
 * entries a user may read about themselves: the ones they are the subject or the actor of.
 */
struct filter {
  std::int64_t before_id = 0;  // 0: from the newest
  std::string mine;            // a user id: their own entries only
  std::string user;            // subject or actor
  std::string actor;           // actor exactly
  std::string tenant;          // subject exactly
  std::string action;
  std::int64_t since = 0;  // created_at >= since (0: no bound)
  std::int64_t until = 0;  // created_at < until (0: no bound)
  std::size_t limit = 50;
};
core::result<std::vector<accounts::audit_entry>> newest(connection& c, const filter& f);

/** Deletes up to `batch` entries older than `before` (unix s); `removed` says how many. */
core::error_code purge(connection& c, std::int64_t before, std::size_t batch, std::size_t& removed);

}  // namespace enfinito::store::audit
