#pragma once
/**
 * @file cluster::lease: who runs an instance's send queue when several nodes share one
 * PostgreSQL database (issue 17). Pure decisions, `now` given (tests drive them with a manual
 * clock); store/pg/leases.hpp applies the same rule atomically in the database.
 *
 * A lease is a row (instance, node, epoch, expires_at). A node takes an instance's lease when it
 * is free or expired, renews it every `lease_ms / 3`, and sends only while `may_send` holds. A
 * node that dies stops renewing; `lease_ms` after its last renewal another node may take the
 * instance and resume from the durable queue (a send that was in flight is flagged
 * possible_duplicate, exactly as after kill -9 of a single node). `epoch` grows with every
 * change of holder: a fencing token.
 *
 * Clocks: expiries are unix ms from the nodes' clocks. A holder stops sending `margin_ms`
 * before its expiry, so two nodes never both send while their clocks differ by less than the
 * margin (NTP keeps them within milliseconds; the default margin is lease_ms / 5).
 */
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::cluster {

struct lease {
  std::string instance_id;
  std::string node_id;
  std::int64_t epoch = 0;
  std::int64_t acquired_at = 0;  // unix ms the holder took it
  std::int64_t renewed_at = 0;
  std::int64_t expires_at = 0;
};

struct lease_policy {
  std::int64_t lease_ms = 15'000;
  std::int64_t renew_every_ms() const noexcept { return lease_ms / 3; }
  std::int64_t margin_ms() const noexcept { return lease_ms / 5; }
};

/** May `node` take (or renew) the lease `current` (none: never held) at `now`? */
bool may_take(const std::optional<lease>& current, std::string_view node, std::int64_t now) noexcept;

/**
 * The lease after `node` takes or renews it at `now` (call only when may_take): its own lease
 * keeps epoch and acquired_at; a takeover, or a first lease, starts a new epoch.
 */
lease take(const std::optional<lease>& current, std::string_view instance_id, std::string_view node, std::int64_t now,
           const lease_policy& p);

/** May `node` send for this instance at `now`? Only its holder, and not in the last margin. */
bool may_send(const lease& l, std::string_view node, std::int64_t now, const lease_policy& p) noexcept;

/** When the holder should renew next (unix ms). */
std::int64_t renew_at(const lease& l, const lease_policy& p) noexcept;

/** A node's default id: the host name, or "node" when it has none. */
std::string default_node_id();

}  // namespace enfinito::cluster
