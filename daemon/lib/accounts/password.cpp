// Password change and reset by mail (see accounts/password.hpp).
#include <enfinito/accounts/password.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/accounts/profile.hpp>
#include <enfinito/accounts/signin.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

namespace enfinito::accounts {

net::awaitable<core::error_code> request_reset(context& ctx, const std::string& email, const std::string& address) {
  const auto token = crypto::random_token(32);
  const auto hash = crypto::sha256_hex(token);
  const auto vault = ctx.vault.current();  // seals the mail: the token is never on disk in the clear
  const auto expires = store::accounts::now_s() + ctx.cfg.auth.reset_token_ttl_s;
  // One write either way, so that a known and an unknown address take about the same time.
  auto work = [&](store::connection& c) -> core::error_code {
    auto u = store::accounts::find_user_by_email(c, email);
    if (!u) return u.error();
    if (!*u || !may_request_reset((*u)->status))
      return store::accounts::audit(c, *u ? (*u)->id : "", "", "password_reset_requested", "", address);
    if (auto e = store::accounts::insert_reset(c, hash, (*u)->id, expires)) return e;
    if (auto e = mail::enqueue(c, mail::password_reset((*u)->id, (*u)->email, token, ctx.cfg), *vault)) return e;
    return store::accounts::audit(c, (*u)->id, "", "password_reset_requested", "", address);
  };
  auto ec = co_await ctx.db.write(work);
  co_return ec;
}

net::awaitable<reset_result> reset_password(context& ctx, const std::string& token, const std::string& password,
                                            const std::string& address) {
  reset_result out;
  auto hash = co_await auth::run_blocking(ctx.blocking, [&password] { return auth::hash_password(password); });
  if (hash.empty()) {
    out.outcome = reset_outcome::busy;
    co_return out;
  }
  const auto token_hash = crypto::sha256_hex(token);
  out.outcome = reset_outcome::invalid_token;
  auto work = [&](store::connection& c) -> core::error_code {
    auto uid = store::accounts::take_reset(c, token_hash);
    if (!uid) return uid.error();
    if (!*uid) return {};
    out.outcome = reset_outcome::done;
    if (auto e = store::accounts::set_password_hash(c, **uid, hash)) return e;
    if (auto e = store::accounts::delete_user_sessions(c, **uid)) return e;  // every session ends
    if (auto e = store::accounts::delete_user_resets(c, **uid)) return e;    // and every other link
    return store::accounts::audit(c, **uid, **uid, "password_reset", "", address);
  };
  out.ec = co_await ctx.db.write(work);
  co_return out;
}

net::awaitable<change_result> change_password(context& ctx, const std::string& user_id, const std::string& keep_session,
                                              const std::string& current, const std::string& fresh,
                                              const std::string& address) {
  change_result out;
  auto u = co_await load_user(ctx, user_id);
  if (!u) {
    out.ec = u.error();
    co_return out;
  }
  if (!*u) {
    out.outcome = change_outcome::not_found;
    co_return out;
  }
  auto check = co_await check_password(ctx, **u, current, address);
  if (check.verdict != password_verdict::ok) {
    out.outcome =
        check.verdict == password_verdict::throttled ? change_outcome::throttled : change_outcome::wrong_password;
    out.wait = check.wait;
    co_return out;
  }
  auto hash = co_await auth::run_blocking(ctx.blocking, [&fresh] { return auth::hash_password(fresh); });
  if (hash.empty()) {
    out.outcome = change_outcome::busy;
    co_return out;
  }
  auto work = [&](store::connection& c) -> core::error_code {
    if (auto e = store::accounts::set_password_hash(c, user_id, hash)) return e;
    if (auto e = store::accounts::delete_user_sessions(c, user_id, keep_session)) return e;  // others end
    return store::accounts::audit(c, user_id, user_id, "password_changed", "", address);
  };
  out.ec = co_await ctx.db.write(work);
  co_return out;
}

}  // namespace enfinito::accounts
