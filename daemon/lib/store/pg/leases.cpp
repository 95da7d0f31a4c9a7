// store::pg::leases: instance leases as single atomic statements (see the header).
#include <enfinito/store/pg/leases.hpp>

namespace enfinito::store::pg::leases {
namespace {

constexpr const char* columns = "instance_id, node_id, epoch, acquired_at, renewed_at, expires_at";

cluster::lease from_row(const rows& r, int i) {
  return {
      std::string(r.text(i, 0)), std::string(r.text(i, 1)), r.int64(i, 2), r.int64(i, 3), r.int64(i, 4), r.int64(i, 5)};
}

std::vector<cluster::lease> all(const rows& r) {
  std::vector<cluster::lease> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(from_row(r, i));
  return out;
}

// cluster::take as SQL: a renewal keeps epoch and acquired_at, a takeover starts a new epoch;
// the WHERE is cluster::may_take, checked under the conflicting row's lock.
// $2 node, $3 now, $4 lease_ms.
const std::string upsert_tail =
    " ON CONFLICT (instance_id) DO UPDATE SET"
    "  epoch = CASE WHEN instance_leases.node_id = EXCLUDED.node_id THEN instance_leases.epoch"
    "          ELSE instance_leases.epoch + 1 END,"
    "  acquired_at = CASE WHEN instance_leases.node_id = EXCLUDED.node_id THEN instance_leases.acquired_at"
    "                ELSE EXCLUDED.acquired_at END,"
    "  node_id = EXCLUDED.node_id, renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at"
    " WHERE instance_leases.node_id = EXCLUDED.node_id OR instance_leases.expires_at <= $3::bigint"
    " RETURNING " +
    std::string(columns);

}  // namespace

core::result<std::optional<cluster::lease>> claim(connection& c, const std::string& instance_id,
                                                  const std::string& node, std::int64_t now,
                                                  const cluster::lease_policy& p) {
  static const std::string sql =
      "INSERT INTO instance_leases (instance_id, node_id, epoch, acquired_at, renewed_at, expires_at)"
      " VALUES ($1, $2, 1, $3::bigint, $3::bigint, $3::bigint + $4::bigint)" +
      upsert_tail;
  auto r = c.query(sql, params().add(instance_id).add(node).add(now).add(p.lease_ms));
  if (!r) return r.error();
  if (r->empty()) return std::optional<cluster::lease>{};
  return std::optional<cluster::lease>{from_row(*r, 0)};
}

core::result<std::vector<cluster::lease>> claim_free(connection& c, const std::string& node, std::int64_t now,
                                                     const cluster::lease_policy& p, std::int64_t limit) {
  // The SELECT may see a lease another node takes a moment later; the upsert's WHERE, checked
  // under the row lock, then leaves that row out of RETURNING.
  static const std::string sql =
      "INSERT INTO instance_leases (instance_id, node_id, epoch, acquired_at, renewed_at, expires_at)"
      " SELECT i.id, $2, 1, $3::bigint, $3::bigint, $3::bigint + $4::bigint FROM instances i"
      " LEFT JOIN instance_leases l ON l.instance_id = i.id"
      " WHERE i.status = 'active' AND (l.instance_id IS NULL OR l.expires_at <= $3::bigint)"
      " ORDER BY i.id LIMIT $1" +
      upsert_tail;
  auto r = c.query(sql, params().add(limit).add(node).add(now).add(p.lease_ms));
  if (!r) return r.error();
  return all(*r);
}

core::result<std::vector<cluster::lease>> renew(connection& c, const std::string& node, std::int64_t now,
                                                const cluster::lease_policy& p) {
  static const std::string sql =
      "UPDATE instance_leases SET renewed_at = $2::bigint, expires_at = $2::bigint + $3::bigint"
      " WHERE node_id = $1 AND expires_at > $2::bigint RETURNING " +
      std::string(columns);
  auto r = c.query(sql, params().add(node).add(now).add(p.lease_ms));
  if (!r) return r.error();
  return all(*r);
}

core::result<std::int64_t> release_all(connection& c, const std::string& node) {
  auto r = c.query("DELETE FROM instance_leases WHERE node_id = $1", params().add(node));
  if (!r) return r.error();
  return r->affected();
}

core::result<std::optional<cluster::lease>> find(connection& c, const std::string& instance_id) {
  static const std::string sql = "SELECT " + std::string(columns) + " FROM instance_leases WHERE instance_id = $1";
  auto r = c.query(sql, params().add(instance_id));
  if (!r) return r.error();
  if (r->empty()) return std::optional<cluster::lease>{};
  return std::optional<cluster::lease>{from_row(*r, 0)};
}

}  // namespace enfinito::store::pg::leases
