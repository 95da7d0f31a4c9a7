#include "support/instances.hpp"

#include "support/http_client.hpp"
#include "support/temp_store.hpp"
#include "support/wait.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace enfinito::test {

namespace json = boost::json;

std::string meta_credentials::body(const json::object& extra) const {
  json::object o{{"name", name},
                 {"phone_number_id", phone_number_id},
                 {"waba_id", waba_id},
                 {"access_token", access_token},
                 {"app_secret", app_secret},
                 {"app_id", app_id}};
  for (const auto& [k, v] : extra) o[k] = v;
  return json::serialize(o);
}

json::object connect_instance(std::uint16_t port, const std::string& key, const meta_credentials& c,
                              const json::object& extra) {
  auto r = http_request("127.0.0.1", port, "POST", "/v1/instances",
                        {{"authorization", "Bearer " + key}, {"content-type", "application/json"}}, c.body(extra));
  BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
  return json::parse(r.body).as_object();
}

std::string meta_callback(std::uint16_t port, const std::string& instance_id) {
  return "http://127.0.0.1:" + std::to_string(port) + "/webhooks/meta/" + instance_id;
}

void route_webhooks(fake_meta& meta, std::uint16_t port, const json::object& created, const meta_credentials& c) {
  meta.admin("numbers", {{"id", c.phone_number_id},
                         {"callback_url", meta_callback(port, std::string(created.at("id").as_string()))},
                         {"app_secret", c.app_secret},
                         {"verify_token", created.at("webhook").at("verify_token")}});
}

void deliver_inbound(fake_meta& meta, store::store& db, const json::object& inbound) {
  const std::string sql = "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'";
  const auto before = db_scalar(db, sql);
  meta.admin("inbound", inbound);
  BOOST_REQUIRE(wait_until([&] { return db_scalar(db, sql) > before; }));
}

std::string connect_routed_instance(fake_meta& meta, std::uint16_t port, const std::string& key,
                                    const meta_credentials& c) {
  const auto created = connect_instance(port, key, c);
  route_webhooks(meta, port, created, c);
  return std::string(created.at("id").as_string());
}

connected_shop::connected_shop(std::string config_json, const meta_credentials& number,
                               const std::function<void(config::settings&)>& tweak)
    : meta(std::move(config_json)), app([this, &tweak](config::settings& s) {
        s.meta.base_url = meta.base_url();
        if (tweak) tweak(s);
      }) {
  alice = make_tenant(app.get().database(), "alice@example.com");
  bob = make_tenant(app.get().database(), "bob@example.com");
  instance_id = connect_routed_instance(meta, app.port(), alice.key, number);
}

http_result connected_shop::call(const tenant& t, const std::string& method, const std::string& target,
                                 const std::string& body) {
  return api_call(app.port(), t, method, target, body);
}

std::int64_t connected_shop::count(const std::string& sql) { return db_scalar(app.get().database(), sql); }

}  // namespace enfinito::test
