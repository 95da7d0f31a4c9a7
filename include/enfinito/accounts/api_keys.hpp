#pragma once
/**
 * @file accounts API keys: a user's keys for programs. A key is `enf_live_` + 256 random bits,
 * shown once (in the creation's result) and stored as SHA-256; it may be read-only and
 * limited to some of the user's own instances (checked in the insert's transaction, so a
 * concurrent instance deletion cannot slip between). At most `max_api_keys` per user.
 * Creation and revocation are audited; after a revocation commits, the caller invalidates the
 * API-key cache so every reactor refuses the key from its next request on.
 */
#include <enfinito/accounts/context.hpp>
#include <enfinito/core/error.hpp>
#include <enfinito/store/accounts.hpp>

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::accounts {

inline constexpr std::size_t max_api_keys = 100;
inline constexpr std::size_t max_key_instances = 100;

/** Why a new key's `instance_ids` is refused: what to say about the field, and the code. */
struct key_instances_refusal {
  std::string_view detail;
  std::string_view code;
};

/** A new key's `instance_ids` member (`v`; null or absent: every instance) read into `out`: an
    array of at most max_key_instances instance ids (1 to 64 URL-safe characters). Pure. */
std::optional<key_instances_refusal> read_key_instances(const boost::json::value* v, std::vector<std::string>& out);

/** What a new key may do (the name validated, at most max_key_instances instance ids). */
struct key_request {
  std::string name;
  bool read_only = false;
  std::vector<std::string> instance_ids;  // empty: every instance of the user
};

enum class key_create_outcome { created, too_many_keys, unknown_instance, over_quota };
struct key_create_result {
  core::error_code ec;
  key_create_outcome outcome = key_create_outcome::created;
  store::accounts::api_key key;  // when created
  std::string secret;            // the key itself, to show once
  std::int64_t quota = 0;        // over_quota: the tenant's quota of unrevoked keys ([quotas] api_keys)
};

net::awaitable<key_create_result> create_api_key(context& ctx, const std::string& user_id, const key_request& want,
                                                 const std::string& address);

/** The user's keys (never a key or its hash). */
net::awaitable<core::result<std::vector<store::accounts::api_key>>> list_api_keys(context& ctx,
                                                                                  const std::string& user_id);

/** Revokes the user's key `key_id`, audited; store::error::not_found when it is not theirs. */
net::awaitable<core::error_code> revoke_api_key(context& ctx, const std::string& user_id, const std::string& key_id,
                                                const std::string& address);

}  // namespace enfinito::accounts
