// accounts sessions: API-key and session lookups for api::authenticate, and the session a
// sign-in opens (see accounts/sessions.hpp).
#include <enfinito/accounts/sessions.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/second_factor.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/this_coro.hpp>

namespace enfinito::accounts {

net::awaitable<credential_lookup> find_key_principal(context& ctx, std::size_t reactor, std::string_view key) {
  if (!key.starts_with(auth::api_key_prefix) || key.size() > 128) co_return credential_lookup{};
  auto hash = crypto::sha256_hex(key);
  auto& cache = ctx.auth.keys();
  auto* hit = cache.get(reactor, hash);
  if (!hit) {
    auto generation = cache.generation();  // before the read: see auth/runtime.hpp
    std::optional<store::accounts::key_lookup> found;
    auto ec = co_await ctx.db.read([&](store::connection& c) -> core::error_code {
      auto r = store::accounts::find_api_key(c, hash);
      if (!r) return r.error();
      found = std::move(*r);
      return {};
    });
    if (ec) co_return credential_lookup{ec, std::nullopt};
    if (!found || found->key.revoked_at || found->status != "active") co_return credential_lookup{};
    auth::cached_key k{found->key.id,        found->key.user_id,      found->role,
                       found->key.read_only, found->key.instance_ids, found->key.last_used_at.value_or(0)};
    cache.put(reactor, hash, std::move(k), generation);
    hit = cache.get(reactor, hash);
    if (!hit) co_return credential_lookup{};  // revoked while we looked it up
  }
  auth::principal p{hit->user_id, hit->role, true, hit->key_id, hit->read_only, hit->instance_ids};
  auto now = store::accounts::now_s();
  if (now - hit->last_touch_s >= auth::touch_every_s) {
    hit->last_touch_s = now;
    // No co_await in the same expression as a capturing lambda: GCC 12 destroys such
    // temporaries twice (see auth::run_blocking).
    auto ex = co_await net::this_coro::executor;
    store::work_fn touch = [id = hit->key_id, now](store::connection& c) {
      return store::accounts::touch_api_key(c, id, now);
    };
    ctx.db.submit_write(std::move(touch), ex, [](core::error_code) {});
  }
  co_return credential_lookup{{}, std::move(p)};
}

net::awaitable<credential_lookup> find_session_principal(context& ctx, std::string_view token, bool touch) {
  if (token.empty() || token.size() > 128) co_return credential_lookup{};
  auto hash = crypto::sha256_hex(token);
  std::optional<store::accounts::session> ses;
  std::optional<store::accounts::user> usr;
  bool enrolment_only = false;
  auto ec = co_await ctx.db.read([&](store::connection& c) -> core::error_code {
    auto r = store::accounts::find_session(c, hash);
    if (!r) return r.error();
    ses = std::move(*r);
    if (!ses) return {};
    auto u = store::accounts::find_user_by_id(c, ses->user_id);
    if (!u) return u.error();
    usr = std::move(*u);
    if (!usr || usr->role != "admin") return {};  // only administrators' sessions can be restricted
    return store::second_factor::session_restricted(c, ses->id, enrolment_only);
  });
  if (ec) co_return credential_lookup{ec, std::nullopt};
  auto now = store::accounts::now_s();
  if (!ses || !usr ||
      !auth::session_usable(usr->status, ses->expires_at, ses->last_seen_at, ctx.cfg.auth.session_idle_timeout_s, now))
    co_return credential_lookup{};
  if (touch && now - ses->last_seen_at >= auth::touch_every_s) {
    auto ex = co_await net::this_coro::executor;
    store::work_fn write = [id = ses->id, now](store::connection& c) {
      return store::accounts::touch_session(c, id, now);
    };
    ctx.db.submit_write(std::move(write), ex, [](core::error_code) {});
  }
  auth::principal p{usr->id, usr->role};
  p.session_id = ses->id;
  p.session_created_at = ses->created_at;
  p.enrolment_only = enrolment_only;
  co_return credential_lookup{{}, std::move(p)};
}

net::awaitable<core::result<std::string>> open_session(context& ctx, const std::string& user_id,
                                                       const std::string& method, const std::string& address) {
  auto token = crypto::random_token(32);  // 256 bits
  store::accounts::session ses;
  ses.id = "ses_" + crypto::random_token(16);
  ses.user_id = user_id;
  ses.created_at = store::accounts::now_s();
  ses.last_seen_at = ses.created_at;
  ses.expires_at = ses.created_at + ctx.cfg.auth.session_absolute_timeout_s;
  ses.client_address = address;
  ses.method = method;
  auto hash = crypto::sha256_hex(token);
  const auto& cfg = ctx.cfg;
  auto ec = co_await ctx.db.write([&](store::connection& c) -> core::error_code {
    // Expired sessions are swept at every sign-in: cheap with the indexes, and no timer needed.
    if (auto e = store::accounts::purge_sessions(c, ses.created_at, cfg.auth.session_idle_timeout_s)) return e;
    if (auto e = store::accounts::insert_session(c, ses, hash)) return e;
    // An administrator without a second factor may only enrol one (accounts/second_factor.hpp).
    auto u = store::accounts::find_user_by_id(c, ses.user_id);
    if (!u) return u.error();
    if (cfg.auth.admin_second_factor && *u && (*u)->role == "admin") {
      bool enrolled = false;
      if (auto e = store::second_factor::enrolled(c, ses.user_id, enrolled)) return e;
      if (!enrolled)
        if (auto e = store::second_factor::restrict_session(c, ses.id, ses.user_id)) return e;
    }
    return store::accounts::audit(c, ses.user_id, ses.user_id, "signin", "method=" + ses.method, ses.client_address);
  });
  if (ec) co_return ec;
  co_return token;
}

}  // namespace enfinito::accounts
