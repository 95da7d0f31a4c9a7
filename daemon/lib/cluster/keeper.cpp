// cluster::lease_keeper: renew, claim, report gained and lost (see include/enfinito/cluster/keeper.hpp).
#include <enfinito/cluster/keeper.hpp>

#include <enfinito/core/log.hpp>
#include <enfinito/store/pg/leases.hpp>

#include <set>

namespace enfinito::cluster {

lease_keeper::lease_keeper(store::pg::pool& pool, executor ex, std::string node, lease_policy policy,
                           std::int64_t claim_limit, events ev, std::function<std::int64_t()> now)
    : pool_(pool),
      ex_(ex),
      timer_(ex),
      node_(std::move(node)),
      policy_(policy),
      claim_limit_(claim_limit),
      events_(std::move(ev)),
      now_(std::move(now)) {}

void lease_keeper::start() { round(); }

void lease_keeper::stop() {
  stopped_ = true;
  timer_.cancel();
}

void lease_keeper::round() {
  if (stopped_ || in_flight_) return;
  in_flight_ = true;
  auto held = std::make_shared<std::vector<lease>>();
  const auto now = now_();
  // Two statements, each atomic on its own: renewing first means a lease of ours that
  // expired is not renewed but claimed again like any free one (a new epoch if someone else
  // held it meanwhile).
  pool_.submit(
      [held, node = node_, now, p = policy_, limit = claim_limit_](store::pg::connection& c) -> core::error_code {
        auto renewed = store::pg::leases::renew(c, node, now, p);
        if (!renewed) return renewed.error();
        *held = std::move(*renewed);
        auto claimed = store::pg::leases::claim_free(c, node, now, p, limit);
        if (!claimed) return claimed.error();
        held->insert(held->end(), claimed->begin(), claimed->end());
        return {};
      },
      ex_, [self = shared_from_this(), held](core::error_code ec) { self->apply(ec, std::move(*held)); });
}

void lease_keeper::apply(core::error_code ec, std::vector<lease> held) {
  in_flight_ = false;
  ++rounds_;
  if (stopped_) return;
  std::vector<std::string> lost;
  if (ec) {
    // Nothing confirmed: keep each lease only while its holder may still send on it.
    core::log::warn("cluster.lease_round_failed", {{"reason", ec.message()}});
    const auto now = now_();
    for (auto& [id, l] : owned_)
      if (!may_send(l, node_, now, policy_)) lost.push_back(id);
  } else {
    std::map<std::string, lease> next;
    for (auto& l : held) next.emplace(l.instance_id, l);
    for (auto& [id, _] : owned_)
      if (!next.count(id)) lost.push_back(id);
    for (auto& [id, l] : next)
      if (!owned_.count(id)) {
        owned_[id] = l;
        if (events_.gained) events_.gained(l);
      }
    for (auto& [id, l] : next) owned_[id] = l;
  }
  for (auto& id : lost) {
    owned_.erase(id);
    if (events_.lost) events_.lost(id);
  }
  schedule();
}

void lease_keeper::schedule() {
  timer_.expires_after(std::chrono::milliseconds(policy_.renew_every_ms()));
  timer_.async_wait([self = shared_from_this()](core::error_code ec) {
    if (!ec) self->round();
  });
}

}  // namespace enfinito::cluster
