// Sign-in, re-authentication and the caller's sessions (see accounts/signin.hpp).
#include <enfinito/accounts/profile.hpp>
#include <enfinito/accounts/second_factor.hpp>
#include <enfinito/accounts/sessions.hpp>
#include <enfinito/accounts/signin.hpp>
#include <enfinito/accounts/policy.hpp>
#include <enfinito/auth/password.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/store/store.hpp>

namespace enfinito::accounts {

net::awaitable<sign_in_result> sign_in(context& ctx, const std::string& email, const std::string& password,
                                       const std::string& address) {
  sign_in_result out;
  if (auto wait = ctx.auth.throttle().blocked(email, address)) {
    out.outcome = sign_in_outcome::throttled;
    out.wait = *wait;
    co_return out;
  }
  std::optional<store::accounts::user> u;
  auto find = [&](store::connection& c) -> core::error_code {
    auto r = store::accounts::find_user_by_email(c, email);
    if (!r) return r.error();
    u = std::move(*r);
    return {};
  };
  out.ec = co_await ctx.db.read(find);
  if (out.ec) co_return out;
  const std::string stored = u ? u->password_hash : std::string();
  auto verify = [&stored, &password] {
    if (stored.empty() || password.size() > auth::password_max_bytes) {
      auth::verify_dummy(password);  // same time as a real check
      return false;
    }
    return auth::verify_password(stored, password);
  };
  const bool ok = co_await auth::run_blocking(ctx.blocking, verify);
  if (!ok) {
    ctx.auth.throttle().failure(email, address);
    auto record = [&](store::connection& c) {
      return store::accounts::audit(c, u ? u->id : "", "", "signin_failed", "", address);
    };
    co_await ctx.db.write(record);
    out.outcome = sign_in_outcome::invalid_credentials;
    co_return out;
  }
  ctx.auth.throttle().success(email);
  out.user = std::move(*u);
  // Only someone who knows the password learns the account's state.
  if (gate_for(out.user.status) != sign_in_gate::allowed) {
    out.outcome = sign_in_outcome::not_active;
    co_return out;
  }
  if (auth::needs_rehash(out.user.password_hash)) {
    auto fresh = co_await auth::run_blocking(ctx.blocking, [&password] { return auth::hash_password(password); });
    if (!fresh.empty()) {
      auto store_hash = [&](store::connection& c) { return store::accounts::set_password_hash(c, out.user.id, fresh); };
      co_await ctx.db.write(store_hash);
    }
  }
  // An enrolled second factor: no session yet, a challenge for the second step.
  const std::string method = "password";
  auto gate = co_await second_factor_gate(ctx, out.user, method);
  out.ec = gate.ec;
  if (out.ec) co_return out;
  if (gate.required) {
    out.outcome = sign_in_outcome::second_factor_required;
    out.challenge = std::move(gate.challenge);
    co_return out;
  }
  auto token = co_await open_session(ctx, out.user.id, method, address);
  if (!token) {
    out.ec = token.error();
    co_return out;
  }
  out.session_token = std::move(*token);
  out.outcome = sign_in_outcome::signed_in;
  co_return out;
}

net::awaitable<password_check> check_password(context& ctx, const store::accounts::user& u, const std::string& password,
                                              const std::string& address) {
  password_check out;
  if (auto wait = ctx.auth.throttle().blocked(u.email, address)) {
    out.verdict = password_verdict::throttled;
    out.wait = *wait;
    co_return out;
  }
  // Captures by reference only: the frame outlives the job (see auth::run_blocking).
  auto verify = [&hash = u.password_hash, &password] {
    if (hash.empty()) {
      auth::verify_dummy(password);
      return false;
    }
    return auth::verify_password(hash, password);
  };
  const bool ok = co_await auth::run_blocking(ctx.blocking, verify);
  if (ok) {
    out.verdict = password_verdict::ok;
    co_return out;
  }
  ctx.auth.throttle().failure(u.email, address);
  auto record = [&](store::connection& c) {
    return store::accounts::audit(c, u.id, u.id, "password_check_failed", "", address);
  };
  co_await ctx.db.write(record);
  co_return out;
}

net::awaitable<identity_check> check_password_of(context& ctx, const std::string& user_id, const std::string& password,
                                                 const std::string& address) {
  identity_check out;
  store::accounts::user u;
  out.ec = co_await read_user(ctx, user_id, u);
  if (out.ec) co_return out;
  out.check = co_await check_password(ctx, u, password, address);
  co_return out;
}

net::awaitable<core::error_code> sign_out(context& ctx, const std::string& user_id, const std::string& session_id,
                                          const std::string& address) {
  auto work = [&](store::connection& c) -> core::error_code {
    if (auto e = store::accounts::delete_session(c, session_id)) return e;
    return store::accounts::audit(c, user_id, user_id, "signout", "", address);
  };
  auto ec = co_await ctx.db.write(work);
  co_return ec;
}

net::awaitable<core::result<std::vector<store::accounts::session>>> list_sessions(context& ctx,
                                                                                  const std::string& user_id) {
  std::vector<store::accounts::session> rows;
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::accounts::list_sessions(c, user_id);
    if (!r) return r.error();
    rows = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  co_return rows;
}

net::awaitable<core::error_code> revoke_session(context& ctx, const std::string& user_id, const std::string& session_id,
                                                const std::string& address) {
  auto work = [&](store::connection& c) -> core::error_code {
    if (auto e = store::accounts::delete_user_session(c, user_id, session_id)) return e;
    return store::accounts::audit(c, user_id, user_id, "session_revoked", "session=" + session_id, address);
  };
  auto ec = co_await ctx.db.write(work);
  co_return ec;
}

}  // namespace enfinito::accounts
