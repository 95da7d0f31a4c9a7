// store::pg migrations: the block splitter, the version table and the runner.
#include <enfinito/store/pg/migrate.hpp>

#include <enfinito/core/log.hpp>

#include <algorithm>
#include <cstdlib>
#include <tuple>

namespace enfinito::store::pg::detail {
extern const std::string_view schema_pg_sql;
}

namespace enfinito::store::pg {

namespace {
constexpr std::string_view main_marker = "-- migration: ";
constexpr std::string_view cluster_marker = "-- cluster migration: ";
// pg_advisory_xact_lock's key for "the schema is being migrated" (any constant of our own).
constexpr std::int64_t migration_lock_key = 0x656e66696e69746f;  // "enfinito"

// The next block header at or after `from`, which must start a line.
std::size_t next_header(std::string_view text, std::size_t from, std::string_view& marker) {
  for (std::size_t pos = from; pos < text.size();) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    if (line_start) {
      for (auto m : {main_marker, cluster_marker})
        if (text.substr(pos, m.size()) == m) {
          marker = m;
          return pos;
        }
    }
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return std::string_view::npos;
}
}  // namespace

std::string_view embedded_schema() { return detail::schema_pg_sql; }

std::vector<migration> migrations(std::string_view text) {
  std::vector<migration> out;
  std::string_view marker;
  auto pos = next_header(text, 0, marker);
  while (pos != std::string_view::npos) {
    const auto num_begin = pos + marker.size();
    const auto line_end = std::min(text.find('\n', num_begin), text.size());
    migration m;
    m.track = marker == main_marker ? "main" : "cluster";
    m.version = std::atoi(std::string(text.substr(num_begin, line_end - num_begin)).c_str());
    const auto body_begin = std::min(line_end + 1, text.size());
    std::string_view next_marker;
    const auto next = next_header(text, body_begin, next_marker);
    m.sql = std::string(
        text.substr(body_begin, next == std::string_view::npos ? std::string_view::npos : next - body_begin));
    out.push_back(std::move(m));
    pos = next;
    marker = next_marker;
  }
  // Main first, then cluster; each in number order.
  std::stable_sort(out.begin(), out.end(), [](const migration& a, const migration& b) {
    return a.track != b.track ? a.track == "main" : a.version < b.version;
  });
  return out;
}

core::result<schema_versions> current_versions(connection& conn) {
  // Under the migration lock: two nodes creating the table at once would collide.
  if (auto ec = conn.exec("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key) +
                          "); CREATE TABLE IF NOT EXISTS schema_version ("
                          "track TEXT PRIMARY KEY, version BIGINT NOT NULL); COMMIT")) {
    if (conn.ok()) conn.exec("ROLLBACK");
    return ec;
  }
  auto r = conn.query("SELECT track, version FROM schema_version");
  if (!r) return r.error();
  schema_versions v;
  for (int i = 0; i < r->size(); ++i) {
    if (r->text(i, 0) == "main") v.main = r->int64(i, 1);
    if (r->text(i, 0) == "cluster") v.cluster = r->int64(i, 1);
  }
  return v;
}

namespace {
core::error_code apply(connection& conn, const migration& m, std::string* why) {
  // Under the lock, the version is read again: another node may have applied the block since.
  std::string tx = "BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key) + ");";
  if (auto ec = conn.exec(tx)) return ec;
  auto done = conn.scalar_int("SELECT COALESCE((SELECT version FROM schema_version WHERE track = $1), 0)",
                              params().add(m.track));
  if (!done) {
    conn.exec("ROLLBACK");
    return done.error();
  }
  if (*done >= m.version) return conn.exec("COMMIT");
  auto ec = conn.exec(m.sql);
  if (!ec) {
    auto set = conn.query(
        "INSERT INTO schema_version (track, version) VALUES ($1, $2) "
        "ON CONFLICT (track) DO UPDATE SET version = EXCLUDED.version",
        params().add(m.track).add(static_cast<std::int64_t>(m.version)));
    if (!set) ec = set.error();
  }
  if (!ec) ec = conn.exec("COMMIT");
  if (ec) {
    if (why) *why = m.track + " migration " + std::to_string(m.version) + " failed: " + conn.last_message();
    if (conn.ok()) conn.exec("ROLLBACK");
    return ec;
  }
  core::log::info("store.pg_migrated", {{"track", m.track}, {"version", m.version}});
  return {};
}
}  // namespace

core::error_code migrate(connection& conn, std::string_view schema_text, std::string* why) {
  auto current = current_versions(conn);
  if (!current) {
    if (why) *why = "cannot read the schema version: " + conn.last_message();
    return current.error();
  }
  auto blocks = migrations(schema_text);
  schema_versions newest;
  for (auto& m : blocks) {
    auto& n = m.track == "main" ? newest.main : newest.cluster;
    n = std::max<std::int64_t>(n, m.version);
  }
  for (auto [track, have, know] :
       {std::tuple{"main", current->main, newest.main}, std::tuple{"cluster", current->cluster, newest.cluster}}) {
    if (have > know) {
      if (why)
        *why = std::string("database schema version ") + std::to_string(have) + " (" + track +
               ") is newer than this program's " + std::to_string(know) + "; refusing to run";
      return make_error_code(error::schema_too_new);
    }
  }
  for (auto& m : blocks) {
    if (m.version <= (m.track == "main" ? current->main : current->cluster)) continue;
    if (auto ec = apply(conn, m, why)) return ec;
  }
  return {};
}

}  // namespace enfinito::store::pg
