#pragma once
/**
 * @file cluster::lease_keeper: one node's instance leases over time. Every lease_ms / 3 it
 * renews what the node holds and claims free instances (a dead node's included), in one pool
 * job, and reports the instances it gained and lost; the send queue will start and stop their
 * dispatchers from those reports (not wired yet: issue 17, docs/engineering-notes.md).
 *
 * When the database cannot be reached, nothing is renewed: each lease is dropped (reported
 * lost) once cluster::may_send says its holder must stop, so a node cut off from PostgreSQL
 * stops sending before any other node may take over.
 *
 * Thread safety: all state lives on `ex` (one reactor); start, stop and owned run there.
 */
#include <enfinito/cluster/lease.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/pg/pool.hpp>

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace enfinito::cluster {

class lease_keeper : public std::enable_shared_from_this<lease_keeper> {
 public:
  struct events {
    std::function<void(const lease&)> gained;
    std::function<void(const std::string& instance_id)> lost;
  };

  lease_keeper(store::pg::pool& pool, executor ex, std::string node, lease_policy policy, std::int64_t claim_limit,
               events ev, std::function<std::int64_t()> now);

  /** First round at once, then every policy.renew_every_ms(). */
  void start();
  /** No more rounds. Leases are left to expire (release them for a clean hand-over). */
  void stop();
  /** The leases held, by instance id. */
  const std::map<std::string, lease>& owned() const noexcept { return owned_; }
  /** A round is waiting for the database. */
  bool busy() const noexcept { return in_flight_; }
  std::uint64_t rounds() const noexcept { return rounds_; }

 private:
  void round();
  void apply(core::error_code ec, std::vector<lease> held);
  void schedule();

  store::pg::pool& pool_;
  executor ex_;
  net::steady_timer timer_;
  std::string node_;
  lease_policy policy_;
  std::int64_t claim_limit_;
  events events_;
  std::function<std::int64_t()> now_;
  std::map<std::string, lease> owned_;
  bool stopped_ = false;
  bool in_flight_ = false;
  std::uint64_t rounds_ = 0;
};

}  // namespace enfinito::cluster
