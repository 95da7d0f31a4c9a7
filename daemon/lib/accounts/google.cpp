// Google Sign-In's account decisions: flows, sign-in or sign-up, link, unlink (see
// accounts/google.hpp).
#include <enfinito/accounts/google.hpp>
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/accounts/sessions.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace enfinito::accounts::google {
namespace {

namespace oidc = auth::oidc;

// The flow's key: its state bound to the browser's binding.
std::string bound_state_hash(std::string_view state, std::string_view binding) {
  return oidc::flow_state_hash(std::string(state) + "." + std::string(binding));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Stores a new flow bound to a fresh browser binding.
net::awaitable<core::result<started_flow>> new_flow(context& ctx, const oidc::provider_config& provider,
                                                    const std::string& purpose, const std::string& user_id,
                                                    bool age_confirmed = false) {
  auto secrets = oidc::new_flow_secrets();
  started_flow out{oidc::authorization_url(provider, secrets), crypto::random_token(32)};
  store::google::flow f;
  f.state_hash = bound_state_hash(secrets.state, out.binding);
  f.sealed = oidc::seal_flow(secrets.state, secrets.nonce, secrets.code_verifier);
  f.purpose = purpose;
  f.user_id = user_id;
  f.age_confirmed = age_confirmed;
  f.created_at = store::accounts::now_s();
  f.expires_at = f.created_at + flow_ttl_s;
  auto work = [&](store::connection& c) { return store::google::insert_flow(c, f, f.created_at); };
  auto ec = co_await ctx.db.write(work);
  if (ec) co_return ec;
  co_return out;
}

// Inside a write: the account of a linked identity (its profile refreshed from Google), or a
// new pending account for an unknown identity with a verified, unused email.
core::error_code sign_in_tx(store::connection& c, const oidc::identity& id, const std::string& address,
                            std::int64_t now, bool age_confirmed, sign_in_result& out) {
  auto linked = store::google::find_by_sub(c, id.sub);
  if (!linked) return linked.error();
  if (*linked) {
    auto u = store::accounts::find_user_by_id(c, (*linked)->user_id);
    if (!u) return u.error();
    if (!*u) return make_error_code(store::error::not_found);
    out.user = **u;
    store::google::identity fresh = **linked;
    fresh.email = lower(id.email);
    fresh.name = id.name;
    fresh.picture_url = id.picture;
    return store::google::update_identity(c, fresh);
  }
  // An existing account is never linked by matching email.
  if (id.email.empty() || !id.email_verified) {
    out.outcome = sign_in_outcome::email_unverified;
    return {};
  }
  const auto email = lower(id.email);
  auto existing = store::accounts::find_user_by_email(c, email);
  if (!existing) return existing.error();
  if (*existing) {
    out.outcome = sign_in_outcome::email_taken;
    return {};
  }
  // The policy's minimum age, as for email sign-up: no account without the confirmation.
  if (!age_confirmed) {
    out.outcome = sign_in_outcome::age_not_confirmed;
    return {};
  }
  auto& user = out.user;
  user = store::accounts::user{};
  user.id = "usr_" + crypto::random_token(16);
  user.email = email;
  user.name = id.name.empty() ? email.substr(0, email.find('@')) : id.name;
  user.status = "pending";
  user.created_at = now;
  if (auto e = store::accounts::insert_user(c, user)) return e;
  if (auto e = store::google::insert_identity(c, {user.id, id.sub, email, id.name, id.picture, now})) return e;
  out.outcome = sign_in_outcome::created;
  return store::accounts::audit(c, user.id, user.id, "signup", "method=google", address);
}

// The personal-data export (P8) includes the linked Google identity, or null.
core::error_code export_identity(store::connection& c, const std::string& user_id, boost::json::object& out) {
  auto found = store::google::find_by_user(c, user_id);
  if (!found) return found.error();
  if (!*found) {
    out["google_identity"] = nullptr;
    return {};
  }
  out["google_identity"] = identity_json(**found);
  return {};
}

}  // namespace

net::awaitable<start_result> start_sign_in(context& ctx, const oidc::provider_config& provider,
                                           const std::string& address, bool age_confirmed) {
  start_result out;
  if (auto wait = ctx.auth.throttle().hit("google_start:" + address, start_per_address_limit)) {
    out.throttled = true;
    out.wait = *wait;
    co_return out;
  }
  auto flow = co_await new_flow(ctx, provider, "sign_in", "", age_confirmed);
  if (!flow)
    out.ec = flow.error();
  else
    out.flow = std::move(*flow);
  co_return out;
}

net::awaitable<link_start_result> start_link(context& ctx, const oidc::provider_config& provider,
                                             const std::string& user_id) {
  link_start_result out;
  auto existing = co_await linked_identity(ctx, user_id);
  if (!existing) {
    out.ec = existing.error();
    co_return out;
  }
  if (*existing) {
    out.outcome = link_start_outcome::already_linked;
    co_return out;
  }
  auto flow = co_await new_flow(ctx, provider, "link", user_id);
  if (!flow)
    out.ec = flow.error();
  else
    out.flow = std::move(*flow);
  co_return out;
}

net::awaitable<core::result<std::optional<store::google::flow>>> take_flow(context& ctx, const std::string& state,
                                                                           const std::string& binding) {
  std::optional<store::google::flow> flow;
  const auto now = store::accounts::now_s();
  const auto key = bound_state_hash(state, binding);
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::google::take_flow(c, key, now);
    if (!r) return r.error();
    flow = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.write(work);
  if (ec) co_return ec;
  co_return flow;
}

net::awaitable<sign_in_result> sign_in(context& ctx, const oidc::identity& id, const std::string& address,
                                       bool age_confirmed) {
  sign_in_result out;
  const auto now = store::accounts::now_s();
  auto work = [&](store::connection& c) { return sign_in_tx(c, id, address, now, age_confirmed, out); };
  out.ec = co_await ctx.db.write(work);
  if (out.ec || out.outcome != sign_in_outcome::signed_in) co_return out;
  const auto gate = gate_for(out.user.status);
  if (gate == sign_in_gate::pending)
    out.outcome = sign_in_outcome::pending;
  else if (gate == sign_in_gate::refused)
    out.outcome = sign_in_outcome::refused;
  if (out.outcome != sign_in_outcome::signed_in) co_return out;
  const std::string method = "google";
  auto token = co_await open_session(ctx, out.user.id, method, address);
  if (!token)
    out.ec = token.error();
  else
    out.session_token = std::move(*token);
  co_return out;
}

net::awaitable<core::result<link_outcome>> link(context& ctx, const std::string& user_id, const oidc::identity& id,
                                                const std::string& address) {
  link_outcome result = link_outcome::linked;
  const auto now = store::accounts::now_s();
  auto work = [&](store::connection& c) -> core::error_code {
    auto by_sub = store::google::find_by_sub(c, id.sub);
    if (!by_sub) return by_sub.error();
    if (*by_sub) {
      result = (*by_sub)->user_id == user_id ? link_outcome::already_linked : link_outcome::in_use;
      return {};
    }
    auto mine = store::google::find_by_user(c, user_id);
    if (!mine) return mine.error();
    if (*mine) {
      result = link_outcome::already_linked;
      return {};
    }
    if (auto e = store::google::insert_identity(c, {user_id, id.sub, lower(id.email), id.name, id.picture, now}))
      return e;
    return store::accounts::audit(c, user_id, user_id, "google.link", "", address);
  };
  auto ec = co_await ctx.db.write(work);
  if (ec) co_return ec;
  co_return result;
}

net::awaitable<core::result<std::optional<store::google::identity>>> linked_identity(context& ctx,
                                                                                     const std::string& user_id) {
  std::optional<store::google::identity> id;
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::google::find_by_user(c, user_id);
    if (!r) return r.error();
    id = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  co_return id;
}

net::awaitable<core::result<unlink_outcome>> unlink(context& ctx, const std::string& user_id,
                                                    const std::string& address) {
  unlink_outcome result = unlink_outcome::unlinked;
  auto work = [&](store::connection& c) -> core::error_code {
    auto u = store::accounts::find_user_by_id(c, user_id);
    if (!u) return u.error();
    auto mine = store::google::find_by_user(c, user_id);
    if (!mine) return mine.error();
    if (!*mine) {
      result = unlink_outcome::not_linked;
      return {};
    }
    // Without a password, Google is the only way in: unlinking would lock the user out.
    if (!*u || !may_unlink_google(!(*u)->password_hash.empty())) {
      result = unlink_outcome::last_method;
      return {};
    }
    if (auto e = store::google::delete_identity(c, user_id)) return e;
    return store::accounts::audit(c, user_id, user_id, "google.unlink", "", address);
  };
  auto ec = co_await ctx.db.write(work);
  if (ec) co_return ec;
  co_return result;
}

boost::json::object identity_json(const store::google::identity& id) {
  return {{"sub", id.sub},
          {"email", id.email},
          {"name", id.name},
          {"picture_url", id.picture_url},
          {"linked_at", id.linked_at}};
}

void register_export() {
  static std::once_flag exported;
  std::call_once(exported, [] { add_export_section("google_identity", export_identity); });
}

}  // namespace enfinito::accounts::google
