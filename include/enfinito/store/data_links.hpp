#pragma once
/**
 * @file store::data_links: the SQL of the mailed single-use data-rights links (migration 14;
 * accounts/erasure.hpp uses them). Same conventions as store::accounts: every function takes
 * the `connection&` of a store write; times are unix seconds; only token hashes are stored.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::store::data_links {

/** Removes expired links (at most a bounded number), then stores a new one. */
core::error_code insert(connection& c, std::string_view token_hash, std::string_view user_id, std::string_view action,
                        std::int64_t expires_at, std::int64_t now);

/**
 * Consumes the link `token_hash`: the user it was mailed to when it is live and made for
 * `action`, else nullopt. A live link made for another action is left alone.
 */
core::result<std::optional<std::string>> take(connection& c, std::string_view token_hash, std::string_view action,
                                              std::int64_t now);

}  // namespace enfinito::store::data_links
