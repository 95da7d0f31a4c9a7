#include "support/tenants.hpp"

#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

namespace enfinito::test {

namespace acc = store::accounts;

core::error_code plant_tenant(store::connection& c, tenant& t, const std::string& email, const tenant_options& o) {
  acc::user u;
  u.id = o.existing_user_id.empty() ? "usr_" + crypto::random_token(12) : o.existing_user_id;
  u.email = email;
  u.name = "Tenant";
  u.role = o.role;
  u.status = "active";
  u.created_at = u.updated_at = acc::now_s();
  if (o.existing_user_id.empty())
    if (auto ec = acc::insert_user(c, u)) return ec;
  acc::api_key k;
  k.id = "key_" + crypto::random_token(12);
  k.user_id = u.id;
  k.name = "test";
  t.key = "enf_live_" + crypto::random_token(32);
  k.prefix = t.key.substr(0, 16);
  k.read_only = o.read_only;
  k.instance_ids = o.instance_ids;
  k.created_at = u.created_at;
  t.user_id = u.id;
  t.key_id = k.id;
  return acc::insert_api_key(c, k, crypto::sha256_hex(t.key));
}

tenant make_tenant(store::store& db, const std::string& email, const tenant_options& o) {
  tenant t;
  auto ec = db.write_sync([&](store::connection& c) { return plant_tenant(c, t, email, o); });
  BOOST_REQUIRE_MESSAGE(!ec, "planting " << email << ": " << ec.message());
  return t;
}

tenant make_tenant(store::store& db, const std::string& email, std::vector<std::string> instance_ids, bool read_only) {
  tenant_options o;
  o.instance_ids = std::move(instance_ids);
  o.read_only = read_only;
  return make_tenant(db, email, o);
}

tenant plant_tenant_in_file(const std::string& db_path, const std::string& email) {
  auto conn = store::connection::open(db_path, false);
  BOOST_REQUIRE(conn.has_value());
  (*conn)->exec("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
  tenant t;
  auto ec = plant_tenant(**conn, t, email);
  BOOST_REQUIRE_MESSAGE(!ec, "planting " << email << ": " << ec.message());
  return t;
}

core::error_code plant_session(store::connection& c, session& out, const std::string& user_id) {
  acc::session s;
  s.id = "ses_" + crypto::random_token(16);
  s.user_id = user_id;
  s.created_at = s.last_seen_at = acc::now_s();
  s.expires_at = s.created_at + 3600;
  s.client_address = "127.0.0.1";
  s.method = "password";
  out.id = s.id;
  out.token = crypto::random_token(32);
  return acc::insert_session(c, s, crypto::sha256_hex(out.token));
}

session make_session(store::store& db, const std::string& user_id) {
  session s;
  auto ec = db.write_sync([&](store::connection& c) { return plant_session(c, s, user_id); });
  BOOST_REQUIRE_MESSAGE(!ec, "planting a session: " << ec.message());
  return s;
}

http_result api_call(std::uint16_t port, const tenant& t, const std::string& method, const std::string& target,
                     const std::string& body, std::chrono::milliseconds timeout) {
  header_list h{{"authorization", "Bearer " + t.key}};
  if (!body.empty()) h.emplace_back("content-type", "application/json");
  return http_request("127.0.0.1", port, method, target, h, body, timeout);
}

std::string signin_body(const std::string& email, const std::string& password) {
  return boost::json::serialize(boost::json::object{{"email", email}, {"password", password}});
}

std::string signup_body(const std::string& name, const std::string& email, const std::string& password) {
  return boost::json::serialize(
      boost::json::object{{"name", name}, {"email", email}, {"password", password}, {"age_confirmed", true}});
}

}  // namespace enfinito::test
