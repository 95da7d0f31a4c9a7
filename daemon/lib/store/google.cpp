// store::google: the SQL of Google identities and sign-in flows (schema migration 4).
#include <enfinito/store/error.hpp>
#include <enfinito/store/google.hpp>
#include "store/columns.hpp"

namespace enfinito::store::google {
namespace {

#define ENF_GOOGLE_PREPARE(var, sql)         \
  core::error_code var##_ec;                 \
  statement* var = c.prepare(sql, var##_ec); \
  if (!var) return var##_ec ? var##_ec : make_error_code(error::misuse)

constexpr column_list identity_cols{"user_id, sub, email, name, picture_url, linked_at"};

identity read_identity(statement& s) {
  identity i;
  i.user_id = s.text(identity_cols["user_id"]);
  i.sub = s.text(identity_cols["sub"]);
  i.email = s.text(identity_cols["email"]);
  i.name = s.text(identity_cols["name"]);
  i.picture_url = s.text(identity_cols["picture_url"]);
  i.linked_at = s.int64(identity_cols["linked_at"]);
  return i;
}

core::result<std::optional<identity>> one_identity(statement& s) {
  core::error_code ec;
  std::optional<identity> out;
  if (s.step(ec)) out = read_identity(s);
  s.reset();
  if (ec) return ec;
  return out;
}

}  // namespace

core::error_code purge_flows(connection& c, std::int64_t now, std::size_t limit, std::size_t& removed) {
  ENF_GOOGLE_PREPARE(s,
                     "DELETE FROM google_flows WHERE state_hash IN (SELECT state_hash FROM google_flows "
                     "WHERE expires_at <= ?1 LIMIT ?2)");
  s->bind(1, now).bind(2, static_cast<std::int64_t>(limit));
  if (auto ec = s->run()) return ec;
  removed = static_cast<std::size_t>(c.changes());
  return {};
}

core::error_code insert_flow(connection& c, const flow& f, std::int64_t now) {
  {
    ENF_GOOGLE_PREPARE(purge, "DELETE FROM google_flows WHERE expires_at <= ?1");
    purge->bind(1, now);
    if (auto ec = purge->run()) return ec;
  }
  auto live = count_flows(c);
  if (!live) return live.error();
  if (*live >= max_live_flows) return make_error_code(error::constraint);
  ENF_GOOGLE_PREPARE(s,
                     "INSERT INTO google_flows(state_hash, sealed, purpose, user_id, created_at, expires_at, "
                     "age_confirmed) VALUES(?1, ?2, ?3, NULLIF(?4, ''), ?5, ?6, ?7)");
  s->bind(1, f.state_hash)
      .bind_blob(2, f.sealed)
      .bind(3, f.purpose)
      .bind(4, f.user_id)
      .bind(5, f.created_at ? f.created_at : now)
      .bind(6, f.expires_at)
      .bind(7, f.age_confirmed ? 1 : 0);
  return s->run();
}

core::result<std::optional<flow>> take_flow(connection& c, std::string_view state_hash, std::int64_t now) {
  std::optional<flow> out;
  {
    static constexpr column_list flow_cols{
        "state_hash, sealed, purpose, COALESCE(user_id, '') AS user_id, created_at, expires_at, age_confirmed"};
    ENF_GOOGLE_PREPARE(s, std::string("SELECT ") + flow_cols.sql() + " FROM google_flows WHERE state_hash = ?1");
    s->bind(1, state_hash);
    core::error_code ec;
    if (s->step(ec))
      out = flow{s->text(flow_cols["state_hash"]),
                 s->blob(flow_cols["sealed"]),
                 s->text(flow_cols["purpose"]),
                 s->text(flow_cols["user_id"]),
                 s->int64(flow_cols["created_at"]),
                 s->int64(flow_cols["expires_at"]),
                 s->int64(flow_cols["age_confirmed"]) != 0};
    s->reset();
    if (ec) return ec;
  }
  if (!out) return out;
  ENF_GOOGLE_PREPARE(d, "DELETE FROM google_flows WHERE state_hash = ?1");
  d->bind(1, state_hash);
  if (auto ec = d->run()) return ec;
  if (out->expires_at <= now) return std::optional<flow>();
  return out;
}

core::result<std::int64_t> count_flows(connection& c) { return c.scalar_int("SELECT COUNT(*) FROM google_flows"); }

core::error_code insert_identity(connection& c, const identity& id) {
  ENF_GOOGLE_PREPARE(s,
                     "INSERT INTO google_identities(user_id, sub, email, name, picture_url, linked_at) "
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  s->bind(1, id.user_id)
      .bind(2, id.sub)
      .bind(3, id.email)
      .bind(4, id.name)
      .bind(5, id.picture_url)
      .bind(6, id.linked_at);
  return s->run();
}

core::result<std::optional<identity>> find_by_sub(connection& c, std::string_view sub) {
  ENF_GOOGLE_PREPARE(s, std::string("SELECT ") + identity_cols.sql() + " FROM google_identities WHERE sub = ?1");
  s->bind(1, sub);
  return one_identity(*s);
}

core::result<std::optional<identity>> find_by_user(connection& c, std::string_view user_id) {
  ENF_GOOGLE_PREPARE(s, std::string("SELECT ") + identity_cols.sql() + " FROM google_identities WHERE user_id = ?1");
  s->bind(1, user_id);
  return one_identity(*s);
}

core::error_code update_identity(connection& c, const identity& id) {
  ENF_GOOGLE_PREPARE(s, "UPDATE google_identities SET email = ?2, name = ?3, picture_url = ?4 WHERE sub = ?1");
  s->bind(1, id.sub).bind(2, id.email).bind(3, id.name).bind(4, id.picture_url);
  return s->run();
}

core::error_code delete_identity(connection& c, std::string_view user_id) {
  ENF_GOOGLE_PREPARE(s, "DELETE FROM google_identities WHERE user_id = ?1");
  s->bind(1, user_id);
  if (auto ec = s->run()) return ec;
  return c.changes() == 0 ? make_error_code(error::not_found) : core::error_code{};
}

#undef ENF_GOOGLE_PREPARE

}  // namespace enfinito::store::google
