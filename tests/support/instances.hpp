#pragma once
// Instances for integration tests, connected the way a tenant connects one: the credentials of a
// fake number as POST /v1/instances takes them, that call, and the fake's number pointed at the
// daemon's webhook for the new instance (as a tenant does in Meta's dashboard); and a customer's
// message delivered to it; and the fixture most conversation tests start from.
#include "support/daemon.hpp"
#include "support/fake_graph_server.hpp"
#include "support/tenants.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace enfinito::store {
class store;
}

namespace enfinito::test {

/** The Meta credentials of one fake number. */
struct meta_credentials {
  std::string phone_number_id;
  std::string waba_id;
  std::string access_token;
  std::string app_secret;
  std::string app_id = "1234567890123";
  std::string name = "Shop";

  /** The JSON body of POST /v1/instances; `extra` adds fields (media_fetch, ...). */
  std::string body(const boost::json::object& extra = {}) const;
};

/** POST /v1/instances with the API key `key` on the daemon at 127.0.0.1:`port`; requires a 201
    and returns its answer (id, webhook.verify_token, onboarding, ...). */
boost::json::object connect_instance(std::uint16_t port, const std::string& key, const meta_credentials& c,
                                     const boost::json::object& extra = {});

/** The daemon's webhook URL for an instance: http://127.0.0.1:PORT/webhooks/meta/ID. */
std::string meta_callback(std::uint16_t port, const std::string& instance_id);

/** Points the fake's number `c.phone_number_id` at the instance `created` (connect_instance's
    answer) on the daemon at `port`: its callback, signed with `c.app_secret`, the subscription
    handshake answered with the instance's verify token. */
void route_webhooks(fake_meta& meta, std::uint16_t port, const boost::json::object& created, const meta_credentials& c);

/** The fake posts Meta's signed webhook of one inbound message (`inbound`: the body of its
    /_admin/inbound); waits until the daemon on `db` has stored one more inbound message, and
    fails the test if it does not within 15 s. */
void deliver_inbound(fake_meta& meta, store::store& db, const boost::json::object& inbound);

/** connect_instance, then route_webhooks: the new instance's id. */
std::string connect_routed_instance(fake_meta& meta, std::uint16_t port, const std::string& key,
                                    const meta_credentials& c);

/**
 * A fixture: the fake as Meta (started with `config_json`), the daemon in-process pointed at it
 * (and changed by `tweak`), tenants alice and bob, and alice's instance of `number` with the
 * fake's webhooks routed to it.
 */
struct connected_shop {
  fake_meta meta;
  running_app app;
  tenant alice;
  tenant bob;
  std::string instance_id;

  connected_shop(std::string config_json, const meta_credentials& number,
                 const std::function<void(config::settings&)>& tweak = {});
  /** api_call on this daemon. */
  http_result call(const tenant& t, const std::string& method, const std::string& target, const std::string& body = {});
  /** The single integer `sql` reads from the daemon's database. */
  std::int64_t count(const std::string& sql);
};

}  // namespace enfinito::test
