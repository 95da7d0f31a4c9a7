// cluster::lease: the instance-lease rule as pure functions (see include/enfinito/cluster/lease.hpp).
#include <enfinito/cluster/lease.hpp>

#include <unistd.h>

#include <climits>

namespace enfinito::cluster {

bool may_take(const std::optional<lease>& current, std::string_view node, std::int64_t now) noexcept {
  return !current || current->node_id == node || current->expires_at <= now;
}

lease take(const std::optional<lease>& current, std::string_view instance_id, std::string_view node, std::int64_t now,
           const lease_policy& p) {
  lease l;
  l.instance_id = std::string(instance_id);
  l.node_id = std::string(node);
  const bool renewal = current && current->node_id == node;
  l.epoch = !current ? 1 : renewal ? current->epoch : current->epoch + 1;
  l.acquired_at = renewal ? current->acquired_at : now;
  l.renewed_at = now;
  l.expires_at = now + p.lease_ms;
  return l;
}

bool may_send(const lease& l, std::string_view node, std::int64_t now, const lease_policy& p) noexcept {
  return l.node_id == node && now < l.expires_at - p.margin_ms();
}

std::int64_t renew_at(const lease& l, const lease_policy& p) noexcept { return l.renewed_at + p.renew_every_ms(); }

std::string default_node_id() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "node";
  return name;
}

}  // namespace enfinito::cluster
