#pragma once
/**
 * @file store::pg::leases: instance leases in PostgreSQL (table instance_leases, schema.pg.sql
 * cluster migration 1). Each call is one statement, so it is atomic on its own: the rule of
 * cluster::may_take is the WHERE of an INSERT … ON CONFLICT DO UPDATE, evaluated under the row's
 * lock, so two nodes racing for one instance cannot both win. Run them on a pool thread.
 */
#include <enfinito/cluster/lease.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/store/pg/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace enfinito::store::pg::leases {

/** Takes or renews one instance's lease; nullopt when another node holds it unexpired. */
core::result<std::optional<cluster::lease>> claim(connection& c, const std::string& instance_id,
                                                  const std::string& node, std::int64_t now,
                                                  const cluster::lease_policy& p);

/**
 * Takes up to `limit` instances that no node holds (no lease, or an expired one: a dead node's),
 * active instances only, oldest id first. Returns the leases won (a takeover has a new epoch).
 */
core::result<std::vector<cluster::lease>> claim_free(connection& c, const std::string& node, std::int64_t now,
                                                     const cluster::lease_policy& p, std::int64_t limit);

/**
 * Renews every unexpired lease `node` holds, in one statement; returns them. A lease that
 * expired is not renewed (another node may hold it now): the node stops that queue and claims
 * it again like any free instance.
 */
core::result<std::vector<cluster::lease>> renew(connection& c, const std::string& node, std::int64_t now,
                                                const cluster::lease_policy& p);

/** Gives up `node`'s leases (a clean shutdown: others take over at once, not after lease_ms). */
core::result<std::int64_t> release_all(connection& c, const std::string& node);

/** The lease of one instance, if any row exists. */
core::result<std::optional<cluster::lease>> find(connection& c, const std::string& instance_id);

}  // namespace enfinito::store::pg::leases
