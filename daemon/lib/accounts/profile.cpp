// Reading and updating a user's profile (see accounts/profile.hpp).
#include <enfinito/accounts/profile.hpp>
#include <enfinito/accounts/signin.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>

namespace enfinito::accounts {

net::awaitable<core::result<std::optional<store::accounts::user>>> load_user(context& ctx, const std::string& user_id) {
  std::optional<store::accounts::user> u;
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::accounts::find_user_by_id(c, user_id);
    if (!r) return r.error();
    u = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  co_return u;
}

net::awaitable<core::error_code> read_user(context& ctx, const std::string& user_id, store::accounts::user& into) {
  auto u = co_await load_user(ctx, user_id);
  if (!u) co_return u.error();
  if (!*u) co_return store::error::not_found;
  into = std::move(**u);
  co_return core::error_code{};
}

net::awaitable<profile_result> update_profile(context& ctx, const std::string& user_id,
                                              const std::optional<std::string>& name,
                                              const std::optional<std::string>& email_in,
                                              const std::optional<std::string>& current_password,
                                              const std::string& address) {
  profile_result out;
  auto u = co_await load_user(ctx, user_id);
  if (!u) {
    out.ec = u.error();
    co_return out;
  }
  if (!*u) {
    out.outcome = profile_outcome::not_found;
    co_return out;
  }
  std::optional<std::string> email;  // only a real change counts
  if (email_in && *email_in != (*u)->email) {
    if (!current_password) {
      out.outcome = profile_outcome::password_required;
      co_return out;
    }
    auto check = co_await check_password(ctx, **u, *current_password, address);
    if (check.verdict != password_verdict::ok) {
      out.outcome =
          check.verdict == password_verdict::throttled ? profile_outcome::throttled : profile_outcome::wrong_password;
      out.wait = check.wait;
      co_return out;
    }
    email = email_in;
  }
  const std::string fields = std::string(name ? "name" : "") + (name && email ? "," : "") + (email ? "email" : "");
  auto work = [&](store::connection& c) -> core::error_code {
    if (auto e = store::accounts::update_profile(c, user_id, name, email)) return e;
    return store::accounts::audit(c, user_id, user_id, "profile_updated", "fields=" + fields, address);
  };
  out.ec = co_await ctx.db.write(work);
  if (out.ec == store::error::constraint) {
    out.ec = {};
    out.outcome = profile_outcome::email_taken;
    co_return out;
  }
  if (out.ec) co_return out;
  out.ec = co_await read_user(ctx, user_id, out.user);
  co_return out;
}

}  // namespace enfinito::accounts
