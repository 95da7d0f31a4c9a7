#pragma once
/**
 * @file accounts: the account flows (sign-up and approval, sign-in and sessions, passwords,
 * profile, API keys, export and deletion with the data-rights links, Google Sign-In, the
 * administrators' reads) and their rules as pure functions (policy.hpp). Each flow is a coroutine that runs the whole
 * sequence (validated input in, hashing on the blocking pool, one store transaction with its
 * audit entry and mail, the outcome out) and knows nothing of HTTP: the routes in api/ parse,
 * authenticate, call one flow and shape its outcome into an answer.
 *
 * `context` is what the flows use; api/ builds one from its services per request. The
 * references outlive every flow (the app owns them and joins the blocking pool first).
 */
#include <enfinito/config/settings.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/thread_pool.hpp>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}
namespace enfinito::auth {
class runtime;
}

namespace enfinito::accounts {

struct context {
  const config::settings& cfg;
  store::store& db;
  net::thread_pool& blocking;   // password hashing
  crypto::vault_source& vault;  // seals outgoing mail
  auth::runtime& auth;          // the sign-in throttle
};

}  // namespace enfinito::accounts
