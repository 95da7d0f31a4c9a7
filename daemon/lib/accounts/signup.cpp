// Sign-up and the administrator's approval flow (see accounts/signup.hpp).
#include <enfinito/accounts/signup.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/accounts/profile.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/store.hpp>

namespace enfinito::accounts {

net::awaitable<signup_result> sign_up(context& ctx, const std::string& name, const std::string& email,
                                      const std::string& password, const std::string& address) {
  signup_result out;
  // Hash whether or not the address is taken: the answer and its timing must not tell.
  auto hash = co_await auth::run_blocking(ctx.blocking, [&password] { return auth::hash_password(password); });
  if (hash.empty()) {
    out.outcome = signup_outcome::busy;
    co_return out;
  }
  const bool dev = ctx.cfg.dev;
  auto work = [&](store::connection& c) -> core::error_code {
    auto existing = store::accounts::find_user_by_email(c, email);
    if (!existing) return existing.error();
    if (*existing)  // taken: same answer; the owner is not told (no mail bomb), only the audit log
      return store::accounts::audit(c, (*existing)->id, "", "signup_duplicate", "", address);
    store::accounts::user u;
    u.id = "usr_" + crypto::random_token(16);
    u.email = email;
    u.name = name;
    u.password_hash = hash;
    u.created_at = store::accounts::now_s();
    // Dev mode: the first account administers the sandbox (production: enfinitoctl create-admin).
    // Checked inside the write, so two racing sign-ups cannot both be first.
    if (dev) {
      auto anyone = store::accounts::list_users(c, "", 1);
      if (!anyone) return anyone.error();
      if (anyone->empty()) {
        u.role = "admin";
        u.status = "active";
        out.outcome = signup_outcome::first_admin;
        out.user_id = u.id;
      }
    }
    if (auto e = store::accounts::insert_user(c, u)) return e;
    if (out.outcome == signup_outcome::first_admin)
      if (auto e = store::accounts::audit(c, u.id, u.id, "dev_first_user_admin", "", address)) return e;
    return store::accounts::audit(c, u.id, u.id, "signup", "", address);
  };
  out.ec = co_await ctx.db.write(work);
  if (!out.ec && out.outcome == signup_outcome::first_admin)
    core::log::warn(
        "accounts.dev_first_user_admin",
        {{"warning", "DEV MODE: the first account signed up is an active administrator"}, {"user", out.user_id}});
  co_return out;
}

core::error_code apply_user_action(store::connection& c, const config::settings& cfg, const crypto::vault& vault,
                                   std::string_view user_id, std::string_view action, std::string_view actor_id,
                                   std::string_view address, user_action_result& outcome) {
  auto u = store::accounts::find_user_by_id(c, user_id);
  if (!u) return u.error();
  if (!*u) {
    outcome = user_action_result::not_found;
    return {};
  }
  const transition* t = find_transition(action, (*u)->status);
  if (!t) {
    outcome = user_action_result::invalid_transition;
    return {};
  }
  if (auto e = store::accounts::set_user_status(c, user_id, t->to)) return e;
  if (action == "approve")
    if (auto e = mail::enqueue(c, mail::approved(user_id, (*u)->email, cfg), vault)) return e;
  if (action == "suspend")
    if (auto e = store::accounts::delete_user_sessions(c, user_id)) return e;
  outcome = user_action_result::done;
  return store::accounts::audit(c, user_id, actor_id, t->audit_action, "", address);
}

net::awaitable<administer_result> administer(context& ctx, const std::string& user_id, const std::string& action,
                                             const std::string& actor_id, const std::string& address) {
  administer_result out;
  const auto vault = ctx.vault.current();  // seals the approval mail
  auto work = [&](store::connection& c) {
    return apply_user_action(c, ctx.cfg, *vault, user_id, action, actor_id, address, out.outcome);
  };
  out.ec = co_await ctx.db.write(work);
  if (out.ec || out.outcome != user_action_result::done) co_return out;
  out.ec = co_await read_user(ctx, user_id, out.user);
  co_return out;
}

}  // namespace enfinito::accounts
