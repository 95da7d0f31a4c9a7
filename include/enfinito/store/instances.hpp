#pragma once
/**
 * @file store::instances: the SQL of WhatsApp instances (schema.sql migration 3).
 *
 * Rows carry vault blobs, never plaintext credentials: the caller (api/instances.cpp,
 * enfinitoctl) encrypts and decrypts; this file only moves bytes. Every per-user function
 * takes the owner's id and matches on it, so another user's instance is simply not found.
 * All functions run on a store thread, inside `store::write` / `store::read`.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/store/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace enfinito::store::instances {

/** The credential columns, in schema order; also the vault AAD field names. */
inline constexpr const char* credential_fields[] = {"phone_number_id", "waba_id", "access_token",
                                                    "app_secret",      "app_id",  "verify_token"};
inline constexpr std::size_t credential_count = std::size(credential_fields);
/** The vault AAD table name. */
inline constexpr const char* table = "instances";

struct instance {
  std::string id;
  std::string user_id;
  std::string name;
  std::string blobs[credential_count];  // vault blobs, indexed like credential_fields
  std::string phone_number_lookup;
  std::string token_last4;
  std::string display_phone_number;
  std::string verified_name;
  std::string quality_rating;
  std::string status = "active";  // active | needs_reauth | disabled
  std::string status_reason;
  std::optional<std::int64_t> verified_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool media_fetch = false;                   // keep inbound media (migration 8; inbound/media_fetcher.cpp)
  std::string throughput_level = "STANDARD";  // Meta's level for the number (migration 9): STANDARD | HIGH
  // Migration 22: the closed-window policy of free-form sends (auto | reject | warn | off;
  // templates/checks.hpp) and Meta's messaging limit of the number ('' until Meta said).
  std::string window_policy = "auto";
  std::string messaging_limit_tier;
};

/**
 * The process-wide generation of instance rows: caches of instance rows or of what they hold
 * (api::instance_cache, the webhook credential cache, the send queue's rows) remember the
 * generation read before their store read and drop entries once it moved. `changed()` moves
 * it; only the change stream calls it, after a commit whose writes marked an instance
 * (store/changes.hpp: every write function here does). Any thread.
 */
void changed() noexcept;
std::uint64_t generation() noexcept;

/** Inserts; `constraint` when the phone number is already connected (lookup hash unique). */
core::error_code insert(connection& c, const instance& i);
/** Replaces every mutable column of the user's instance `i.id`; `not_found` otherwise. */
core::error_code update(connection& c, const instance& i);
/** The user's instance; `not_found` when absent or someone else's. */
core::error_code get(connection& c, std::string_view user_id, std::string_view id, instance& out);
/**
 * The user's instance whose phone number id has this vault lookup hash
 * (`vault.lookup_hash("phone_number_id", id)`): the Graph-compatible routes name instances by
 * phone number id. `not_found` when absent or someone else's.
 */
core::error_code get_by_phone(connection& c, std::string_view user_id, std::string_view phone_lookup, instance& out);
/** Any user's instance by id (webhooks, the send path). */
core::error_code get_any(connection& c, std::string_view id, instance& out);
/** The user's instances with id > `after`, ascending, at most `limit`. */
core::error_code list(connection& c, std::string_view user_id, std::string_view after, std::size_t limit,
                      std::vector<instance>& out);
/** Deletes the user's instance (and, by cascade, everything hanging off it). */
core::error_code remove(connection& c, std::string_view user_id, std::string_view id);
/** Sets the health state; `not_found` when the instance is gone. */
core::error_code set_status(connection& c, std::string_view id, std::string_view status, std::string_view reason,
                            std::int64_t now);

/** Sets Meta's throughput level of the number; `changed` says whether it was different. */
core::error_code set_throughput(connection& c, std::string_view id, std::string_view level, std::int64_t now,
                                bool& changed);

/**
 * Sets Meta's messaging limit tier of the number (e.g. TIER_1K); `changed` says whether it was
 * different (an unchanged tier writes nothing and marks nothing).
 */
core::error_code set_messaging_limit(connection& c, std::string_view id, std::string_view tier, std::int64_t now,
                                     bool& changed);

/** Every instance with id > `after` (any user), ascending: the re-key job's batches. */
core::error_code scan(connection& c, std::string_view after, std::size_t limit, std::vector<instance>& out);
/**
 * Replaces the blobs of `fresh.id` only if they still equal `old`'s (compare-and-swap: a
 * concurrent update by the daemon wins, and the re-key job sees the row again on its next
 * pass). Sets `swapped`.
 */
core::error_code replace_blobs(connection& c, const instance& old, const instance& fresh, bool& swapped);

}  // namespace enfinito::store::instances
