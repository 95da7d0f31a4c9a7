#pragma once
// Tenants for integration tests: an active user and an API key, and sessions for them, planted
// straight through the accounts store (no sign-up, approval or sign-in round trips); the API
// calls of such a tenant; and the bodies of a real sign-up and sign-in, for tests that go
// through POST /v1/auth/signup and /v1/auth/signin.
#include "support/http_client.hpp"

#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::test {

struct tenant {
  std::string user_id;
  std::string key;  // the API key (enf_live_…), to send as Authorization: Bearer
  std::string key_id;
};

struct tenant_options {
  std::vector<std::string> instance_ids;  // the key's instance scope; empty: all of the user's
  bool read_only = false;
  std::string role = "user";     // or "admin"
  std::string existing_user_id;  // set: only a new key for this user
};

/** Plants inside a store write (several tenants in one transaction). */
core::error_code plant_tenant(store::connection& c, tenant& out, const std::string& email,
                              const tenant_options& o = {});
/** Plants in its own write; fails the test on error. */
tenant make_tenant(store::store& db, const std::string& email, std::vector<std::string> instance_ids = {},
                   bool read_only = false);
tenant make_tenant(store::store& db, const std::string& email, const tenant_options& o);
/** Plants through a connection of its own on the database file of a daemon running as a child
    process (as enfinitoctl would); fails the test on error. */
tenant plant_tenant_in_file(const std::string& db_path, const std::string& email);

/** A request as the tenant's program sends it to the daemon at 127.0.0.1:`port`: the API key as
    Authorization: Bearer, and Content-Type: application/json with a body. */
http_result api_call(std::uint16_t port, const tenant& t, const std::string& method, const std::string& target,
                     const std::string& body = {}, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/** A session as a password sign-in creates it: one hour, from 127.0.0.1. */
struct session {
  std::string id;
  std::string token;  // the cookie's value (api::session_cookie_name(settings) + "=" + token)
};
/** Plants inside a store write. */
core::error_code plant_session(store::connection& c, session& out, const std::string& user_id);
/** Plants in its own write; fails the test on error. */
session make_session(store::store& db, const std::string& user_id);

/** The JSON body of POST /v1/auth/signin. */
std::string signin_body(const std::string& email, const std::string& password);

/** The JSON body of POST /v1/auth/signup, with the required age confirmation (16 or over). */
std::string signup_body(const std::string& name, const std::string& email, const std::string& password);

}  // namespace enfinito::test
