#pragma once
/**
 * @file accounts Google Sign-In: what a verified Google identity may do with accounts. The
 * protocol rules live in auth/oidc.hpp (sans-I/O) and auth/google_client.hpp (provider calls,
 * whose Google tokens never leave it, P3); the cookies and redirects in api/google_routes.cpp.
 *
 * - A Google account never seen before creates a *pending* account (like email sign-up),
 *   unless its email already belongs to an account: then nothing is linked (never silently by
 *   matching email) and the person is told to sign in and link from their account. Like email
 *   sign-up it needs the person's confirmation that they are 16 or over: the sign-in flow is
 *   started with it (`age_confirmed`, kept with the flow only); without it no account is made.
 * - A linked Google account signs its user in only while the user is active (policy.hpp).
 * - Linking happens only from a signed-in session, in a flow bound to that user.
 * - Login CSRF: a flow is stored under hash(state + binding), where the binding is a random
 *   value the starting browser keeps in a short-lived cookie, so a callback replayed in another
 *   browser finds no flow. A state works once: the callback consumes its flow first.
 * - Starting a sign-in is limited per client address (each start stores a flow row).
 * - Unlinking is refused while Google is the only way in (no password).
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/auth/oidc.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/google.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace enfinito::accounts::google {

inline constexpr std::int64_t flow_ttl_s = 10 * 60;
inline constexpr unsigned start_per_address_limit = 30;  // per auth.signin_window_s

/** A stored flow: where to send the browser, and the binding its cookie must carry back. */
struct started_flow {
  std::string url;
  std::string binding;
};
struct start_result {
  core::error_code ec;
  bool throttled = false;  // too many starts from this address: retry after `wait`
  std::chrono::seconds wait{};
  started_flow flow;
};

/** Starts a sign-in flow for a browser at `address` (throttled per address); `age_confirmed`:
    the person confirmed they are 16 or over (needed only if the flow ends in a new account). */
net::awaitable<start_result> start_sign_in(context& ctx, const auth::oidc::provider_config& provider,
                                           const std::string& address, bool age_confirmed = false);

enum class link_start_outcome { started, already_linked };
struct link_start_result {
  core::error_code ec;
  link_start_outcome outcome = link_start_outcome::started;
  started_flow flow;
};
/** Starts a link flow bound to the signed-in user `user_id`, unless one is linked already. */
net::awaitable<link_start_result> start_link(context& ctx, const auth::oidc::provider_config& provider,
                                             const std::string& user_id);

/** Consumes the flow of `state` bound to `binding`: nullopt when unknown, expired or used. */
net::awaitable<core::result<std::optional<store::google::flow>>> take_flow(context& ctx, const std::string& state,
                                                                           const std::string& binding);

enum class sign_in_outcome {
  signed_in,          // `user` is active and may get a session
  created,            // a new pending account for this identity
  age_not_confirmed,  // a new identity, but the flow was started without the age confirmation
  email_unverified,   // no verified email: no account can be made
  email_taken,        // the email belongs to an account that did not link Google
  pending,            // linked, but the account awaits approval
  refused,            // linked, but the account may not sign in
};
struct sign_in_result {
  core::error_code ec;
  sign_in_outcome outcome = sign_in_outcome::signed_in;
  store::accounts::user user;
  std::string session_token;  // signed_in: the session opened (accounts/sessions.hpp)
};
/** Signs in (opening a session) or signs up (when `age_confirmed`) the verified identity `id`. */
net::awaitable<sign_in_result> sign_in(context& ctx, const auth::oidc::identity& id, const std::string& address,
                                       bool age_confirmed = false);

enum class link_outcome { linked, in_use, already_linked };
/** Links `id` to `user_id` (the user who started the flow), audited. */
net::awaitable<core::result<link_outcome>> link(context& ctx, const std::string& user_id,
                                                const auth::oidc::identity& id, const std::string& address);

/** The identity linked to `user_id`, or nullopt. */
net::awaitable<core::result<std::optional<store::google::identity>>> linked_identity(context& ctx,
                                                                                     const std::string& user_id);

enum class unlink_outcome { unlinked, not_linked, last_method };
/** Unlinks Google from `user_id`, audited, unless it is the only way in. */
net::awaitable<core::result<unlink_outcome>> unlink(context& ctx, const std::string& user_id,
                                                    const std::string& address);

/** The linked identity's JSON form (also its part of the personal-data export). */
boost::json::object identity_json(const store::google::identity& id);

/** Adds the linked identity to every export (once per process; tests start many apps). */
void register_export();

}  // namespace enfinito::accounts::google
