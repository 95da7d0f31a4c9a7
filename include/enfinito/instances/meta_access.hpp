#pragma once
/**
 * @file instances::meta_access: an instance calling Meta on its owner's behalf, for the routes
 * that relay calls (templates, media, business profile, mark-as-read: api/meta_routes.cpp and
 * the Graph-compatible api/graph_routes.cpp). The send queue has its own path (outbound/queue).
 *
 *   open_for_meta:  the instance may call Meta (not needs_reauth, not disabled) → its phone
 *                   number id, WABA id and token opened (crypto/instance_fields.hpp)
 *   find_on_waba:   the owner's instances on a WABA (the Graph-compatible WABA routes)
 *   call_meta:      the call with the instance's token; Meta refusing the token (190/0) marks
 *                   the instance needs_reauth, with its event (instances/status.hpp), before
 *                   the caller sees the answer
 *
 * Routes only shape the outcome: problem+json on /v1, Meta's envelope on /graph.
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/store/instances.hpp>

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace enfinito::store {
class store;
}

namespace enfinito::instances {

struct meta_access {
  enum class kind { ready, needs_reauth, disabled, vault_failed };
  kind what = kind::ready;
  crypto::graph_credentials creds;  // ready
};

/** Whether `row` may call Meta now (its status), and its credentials opened if so. */
net::awaitable<meta_access> open_for_meta(crypto::vault_source& vault, net::thread_pool& blocking,
                                          const store::instances::instance& row);

/**
 * Meta's error on a call for an instance: a refusal of its token (190/0) marks it
 * needs_reauth, with its event. Whether it was such a refusal.
 */
net::awaitable<bool> note_meta_error(store::store& db, const std::string& instance_id, const meta::graph_error& e);

/**
 * Sends `rq` to Meta with `token` (the instance's). Meta's answer whatever its status, or the
 * transport error; a refusal of the token has marked the instance needs_reauth by then.
 */
net::awaitable<core::result<meta::response>> call_meta(store::store& db, const meta::client& meta,
                                                       const std::string& instance_id, const core::secret_string& token,
                                                       meta::request rq, meta::call_options o = {});

/** The user's instances on one WhatsApp Business Account, in id order, with their phone number ids. */
struct waba_instances {
  std::vector<std::shared_ptr<const store::instances::instance>> rows;
  std::vector<std::string> phone_numbers;  // same order
};

/**
 * The instances of `user_id` (the first `max_instances`, those `visible` lets through: an API
 * key's scope) whose WABA is `waba_id`. The WABA id is stored sealed: each instance's
 * credentials are opened on the blocking pool to compare it; one that does not open is skipped.
 */
net::awaitable<core::result<waba_instances>> find_on_waba(store::store& db, crypto::vault_source& vault,
                                                          net::thread_pool& blocking, std::string user_id,
                                                          std::string waba_id, std::size_t max_instances,
                                                          std::function<bool(std::string_view)> visible);

}  // namespace enfinito::instances
