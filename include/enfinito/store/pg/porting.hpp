#pragma once
/**
 * @file store::pg porting status: which store modules have a PostgreSQL dialect yet. The
 * daemon with `store.backend = "postgres"` refuses to start while any is missing, and says
 * which (app.cpp): it never runs half on one database and half on none.
 * A module is ported when its SQL has a PostgreSQL twin in daemon/lib/store/pg/ and the
 * integration suite passes on PostgreSQL for the routes that use it; then it leaves this list.
 */
#include <string>
#include <vector>

namespace enfinito::store::pg {

/** The store modules (daemon/lib/store/<name>.cpp) without a PostgreSQL dialect yet. */
inline std::vector<std::string> modules_not_ported() {
  return {"accounts", "conversations", "data_links", "events",   "google",  "hooks",
          "inbound",  "instances",     "media",      "messages", "timeline"};
}

/** What the PostgreSQL backend has today. */
inline std::vector<std::string> modules_ported() {
  return {"connection pool",
          "migrations (schema.pg.sql)",
          "instance leases (cluster::lease_keeper)",
          "writer (group commit, change stream, NOTIFY)",
          "event appends in commit order",
          "change listener (LISTEN)"};
}

/** The operator's message when store.backend = "postgres". */
inline std::string not_ready_message() {
  std::string list;
  for (auto& m : modules_not_ported()) list += (list.empty() ? "" : ", ") + m;
  return "store.backend = \"postgres\": not available yet. Ported so far: connection pool, migrations, "
         "instance leases, the writer and the change listener; not yet ported: " +
         list + ". Use store.backend = \"sqlite\" (the default).";
}

}  // namespace enfinito::store::pg
