// A user's API keys: a new key's instance scope read from its body, creation (limits checked
// in the insert's transaction), list, revocation (see accounts/api_keys.hpp).
#include <enfinito/accounts/api_keys.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/limits.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json/value.hpp>

namespace enfinito::accounts {

std::optional<key_instances_refusal> read_key_instances(const boost::json::value* v, std::vector<std::string>& out) {
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_array()) return key_instances_refusal{"must be an array of instance ids", "invalid_type"};
  if (v->as_array().size() > max_key_instances) return key_instances_refusal{"too many instances", "invalid_field"};
  for (const auto& e : v->as_array()) {
    const bool id_like =
        e.is_string() && !e.as_string().empty() && e.as_string().size() <= 64 && core::url_safe_chars(e.as_string());
    if (!id_like) return key_instances_refusal{"must hold instance ids", "invalid_field"};
    out.emplace_back(e.as_string());
  }
  return std::nullopt;
}

net::awaitable<key_create_result> create_api_key(context& ctx, const std::string& user_id, const key_request& want,
                                                 const std::string& address) {
  key_create_result out;
  out.secret = "enf_live_" + crypto::random_token(32);  // 256 random bits after the prefix
  auto& k = out.key;
  k.id = "key_" + crypto::random_token(16);
  k.user_id = user_id;
  k.name = want.name;
  k.prefix = out.secret.substr(0, 16);
  k.read_only = want.read_only;
  k.instance_ids = want.instance_ids;
  k.created_at = store::accounts::now_s();
  const auto hash = crypto::sha256_hex(out.secret);
  auto work = [&](store::connection& c) -> core::error_code {
    auto existing = store::accounts::list_api_keys(c, user_id);
    if (!existing) return existing.error();
    if (existing->size() >= max_api_keys) {
      out.outcome = key_create_outcome::too_many_keys;
      return {};
    }
    auto full = store::limits::full(c, user_id, store::limits::quota::api_keys, ctx.cfg.quotas.api_keys);
    if (!full) return full.error();
    if (*full) {
      out.outcome = key_create_outcome::over_quota;
      out.quota = **full;
      return {};
    }
    // Only the caller's own instances (in the same transaction as the insert).
    store::instances::instance row;
    for (const auto& id : k.instance_ids) {
      auto e = store::instances::get(c, user_id, id, row);
      if (e == store::error::not_found) {
        out.outcome = key_create_outcome::unknown_instance;
        return {};
      }
      if (e) return e;
    }
    if (auto e = store::accounts::insert_api_key(c, k, hash)) return e;
    return store::accounts::audit(c, user_id, user_id, "api_key_created", "key=" + k.id, address);
  };
  out.ec = co_await ctx.db.write(work);
  if (out.ec || out.outcome != key_create_outcome::created) out.secret.clear();
  co_return out;
}

net::awaitable<core::result<std::vector<store::accounts::api_key>>> list_api_keys(context& ctx,
                                                                                  const std::string& user_id) {
  std::vector<store::accounts::api_key> keys;
  auto work = [&](store::connection& c) -> core::error_code {
    auto r = store::accounts::list_api_keys(c, user_id);
    if (!r) return r.error();
    keys = std::move(*r);
    return {};
  };
  auto ec = co_await ctx.db.read(work);
  if (ec) co_return ec;
  co_return keys;
}

net::awaitable<core::error_code> revoke_api_key(context& ctx, const std::string& user_id, const std::string& key_id,
                                                const std::string& address) {
  auto work = [&](store::connection& c) -> core::error_code {
    if (auto e = store::accounts::revoke_api_key(c, user_id, key_id)) return e;
    return store::accounts::audit(c, user_id, user_id, "api_key_revoked", "key=" + key_id, address);
  };
  auto ec = co_await ctx.db.write(work);
  co_return ec;
}

}  // namespace enfinito::accounts
