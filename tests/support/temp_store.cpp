#include "support/temp_store.hpp"

#include <enfinito/store/connection.hpp>

#include <boost/test/unit_test.hpp>

namespace enfinito::test {

temp_store::temp_store(const std::function<void(store::options&)>& tweak) {
  store::options o;
  o.path = path();
  o.read_connections = 1;
  if (tweak) tweak(o);
  std::string why;
  auto r = store::store::open(o, &why);
  BOOST_REQUIRE_MESSAGE(r, why);
  db = std::move(*r);
}

void temp_store::exec(const std::string& sql) {
  auto ec = db->write_sync([&](store::connection& c) { return c.exec(sql); });
  BOOST_REQUIRE_MESSAGE(!ec, sql << ": " << ec.message());
}

std::vector<std::vector<std::string>> db_rows(store::store& db, const std::string& sql,
                                              const std::vector<std::string>& params) {
  std::vector<std::vector<std::string>> rows;
  auto ec = db.read_sync([&](store::connection& c) {
    core::error_code e;
    auto* st = c.prepare(sql, e);
    if (!st) return e;
    for (std::size_t i = 0; i < params.size(); ++i) st->bind(static_cast<int>(i + 1), params[i]);
    while (st->step(e)) {
      auto& row = rows.emplace_back();
      for (int col = 0; col < st->column_count(); ++col) row.push_back(st->text(col));
    }
    st->reset();
    return e;
  });
  BOOST_REQUIRE_MESSAGE(!ec, sql << ": " << ec.message());
  return rows;
}

std::string db_text(store::store& db, const std::string& sql, const std::vector<std::string>& params) {
  const auto rows = db_rows(db, sql, params);
  return rows.empty() || rows[0].empty() ? std::string() : rows[0][0];
}

std::int64_t db_scalar(store::store& db, const std::string& sql, const std::vector<std::string>& params) {
  const auto rows = db_rows(db, sql, params);
  if (rows.empty() || rows[0].empty()) return -1;
  return rows[0][0].empty() ? 0 : std::stoll(rows[0][0]);  // NULL reads as 0, as SQLite's own integer read does
}

std::int64_t temp_store::scalar(const std::string& sql) { return db_scalar(*db, sql); }

std::string temp_store::text(const std::string& sql) { return db_text(*db, sql); }

void temp_store::add_users() {
  exec(
      "INSERT INTO users(id, email, name, role, status, created_at, updated_at) VALUES"
      "('usr_a', 'a@x', 'A', 'user', 'active', 0, 0), ('usr_b', 'b@x', 'B', 'user', 'active', 0, 0)");
}

void temp_store::add_instance(const std::string& id, const std::string& user_id, const std::string& lookup,
                              bool media_fetch, const std::string& name) {
  exec(
      "INSERT INTO instances(id, user_id, name, phone_number_id_enc, waba_id_enc, access_token_enc, "
      "app_secret_enc, app_id_enc, verify_token_enc, phone_number_lookup, token_last4, media_fetch, created_at, "
      "updated_at) VALUES('" +
      id + "', '" + user_id + "', '" + name + "', x'00', x'00', x'00', x'00', x'00', x'00', '" + lookup +
      "', '1234', " + (media_fetch ? "1" : "0") + ", 0, 0)");
}

}  // namespace enfinito::test
