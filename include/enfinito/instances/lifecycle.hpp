#pragma once
/**
 * @file instances::lifecycle: connecting a WhatsApp number, re-checking it, changing it and
 * deleting it; the flows behind /v1/instances (the route, api/instances_routes.cpp, parses the body,
 * authenticates, loads the caller's row and shapes the answer).
 *
 *   connect:  credentials → meta::verify_number (the token reaches the number, the WABA owns
 *             it) → the token inspected (instances/onboarding.hpp; refused when it cannot send
 *             for the WABA) → seal the five credentials and a new webhook verify token
 *             (crypto/instance_fields.hpp) → one insert → the app subscribed to the WABA (with
 *             the callback override) → its outcome saved (instance_health)
 *   reverify: open what was not given → verify with Meta → health (190 → needs_reauth, a
 *             passing check → active again) → the token inspected → seal → one update → the
 *             subscription renewed and its outcome saved
 *   update:   new credentials or a re-activation go through reverify; a name, media_fetch or
 *             status alone is written as is
 *   remove:   one delete; the schema's cascade takes the instance's logs and jobs with it
 *
 * Every status change is committed with its `instance.status` event (instances/status.hpp),
 * and every write with its audit entry (instance_created, instance_updated with the names of
 * the changed fields, instance_verified, instance_deleted) in the same transaction.
 * After a successful write the caller tells the send queue (`queue::notify(id)`): a fixed
 * token or a new status reaches it at once, not at the next sweep. Plaintext credentials
 * live only in these calls' memory, as core::secret_string; nothing here logs a value.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/instances/onboarding.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/store/audit.hpp>
#include <enfinito/store/instances.hpp>

#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace enfinito::store {
class store;
}
namespace enfinito::crypto {
class vault_source;
}

namespace enfinito::instances {

/** What a request asks to change (connect: every credential; update: any subset). */
struct changes {
  std::optional<std::string> name;
  std::optional<core::secret_string> values[5];  // indexed like crypto::f_phone .. f_app
  std::optional<std::string> status;             // update only: active | disabled
  std::optional<bool> media_fetch;               // keep inbound media (api/media_inbound.cpp)
  std::optional<std::string> window_policy;      // auto | reject | warn | off (templates/checks.hpp)
};

/** What the flows need of the daemon. */
struct context {
  store::store& db;
  crypto::vault_source& vault;
  net::thread_pool& blocking;  // key-file reads
  const meta::client& meta;
  store::audit::actor who{};  // recorded with every write (store/audit.hpp): credential fields named, never valued
  // The tenant's quota of instances ([quotas] instances, or its override: store/limits.hpp),
  // checked in the insert's transaction.
  std::int64_t quota = INT64_MAX;
  // The token inspection and the WABA subscription (instances/onboarding.hpp); off by default.
  onboarding_options onboarding{};
};

struct outcome {
  enum class kind {
    done,              // `row` as stored
    not_found,         // not the caller's (or gone meanwhile)
    refused_by_meta,   // `verdict` says why (the caller names the field)
    phone_in_use,      // another instance has this number
    phone_is_waba,     // the phone number id equals the WABA id
    token_incomplete,  // the token cannot send for this WABA (`token_problems` say why)
    vault_failed,      // a stored credential did not open (logged)
    store_failed,      // `ec`
    over_quota,        // the tenant has `quota` instances already: nothing stored
  };
  kind what = kind::done;
  store::instances::instance row;
  meta::verification verdict;
  core::error_code ec;
  std::int64_t quota = 0;                     // over_quota
  std::vector<token_problem> token_problems;  // token_incomplete
};

/** Connects a number for `user_id` (`in` holds every credential). */
net::awaitable<outcome> connect(context ctx, std::string user_id, changes in);

/**
 * Re-checks the stored credentials (and those in `in`) with Meta and saves the outcome.
 * `must_pass`: a refusal by Meta is answered, not recorded (an update); otherwise a 190 is
 * recorded as needs_reauth (POST /verify).
 */
net::awaitable<outcome> reverify(context ctx, store::instances::instance row, changes in, bool must_pass);

/** Applies an update: through reverify when it brings credentials or re-activates. */
net::awaitable<outcome> update(context ctx, store::instances::instance row, changes in);

/** Deletes the user's instance and everything hanging off it. */
net::awaitable<outcome> remove(context ctx, std::string user_id, std::string id);

}  // namespace enfinito::instances
