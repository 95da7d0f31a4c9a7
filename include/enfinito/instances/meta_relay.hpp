#pragma once
/**
 * @file instances::meta_relay: the calls an instance relays to Meta for its owner (mark as
 * read, media upload / info / delete, templates, business profile), one function each, for
 * api/meta_routes.cpp. Each builds the Graph request (meta/graph.hpp), sends it with the
 * instance's token and reads Meta's answer into a value, or says why not:
 *
 *   unreachable  no answer from Meta (transport error or timeout): logged `meta_unreachable`
 *   meta_error   Meta's Graph error: logged `meta_call_failed` (code, subcode, fbtrace id;
 *                never Meta's text); a refusal of the token (190) has marked the instance
 *                needs_reauth, with its event (instances/status.hpp), before the caller hears
 *   unexpected   a 2xx whose shape is not what Meta documents
 *
 * The route only shapes the outcome into our answer (problem+json on /v1).
 */
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/graph.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace enfinito::store {
class store;
}

namespace enfinito::instances {

/** An instance ready to call Meta (instances::open_for_meta): where to record a token refusal,
    and its opened credentials. A view: it outlives none of what it refers to. */
struct relay_target {
  store::store& db;
  const meta::client& meta;
  const std::string& instance_id;
  const crypto::graph_credentials& creds;
};

/** Why a relayed call has no value. */
struct relay_failure {
  enum class kind { unreachable, meta_error, unexpected };
  kind what = kind::unexpected;
  core::error_code transport;  // unreachable
  meta::graph_error error;     // meta_error
  bool token_refused = false;  // meta_error: the instance is now needs_reauth
};

/** A relayed call's value, or its failure. */
template <class T>
using relayed = std::variant<T, relay_failure>;

/**
 * Meta's error on a relayed call `op` of `instance_id`: logs it (code, subcode, fbtrace id)
 * and marks the instance needs_reauth when Meta refused its token. The failure to answer.
 */
net::awaitable<relay_failure> meta_failed(store::store& db, const std::string& instance_id, std::string_view op,
                                          const meta::graph_error& e);

/** Meta's error on a lookup or delete of a media id means "no such media for this number":
    unknown object (100, subcode 33) or a permission refusal (10, 200-299), which is what
    Meta answers for another business's media id. Shared with the Graph-compatible routes. */
bool media_not_found(const meta::graph_error& e) noexcept;

/** Mark `wamid` as read (with a typing indicator). */
net::awaitable<relayed<std::monostate>> mark_read(const relay_target& t, std::string_view wamid, bool typing);

/** A conversation read (the web app): its local read mark moves first (the unread count is
    ours), then Meta gets a read receipt for its newest inbound message, if any (blue ticks on
    the customer's phone). `stored`: the write's error (`not_found`: no message to or from
    `peer`); `failure`: the receipt's, where a 2xx from Meta in any shape is enough. */
struct conversation_read {
  core::error_code stored;
  std::optional<relay_failure> failure;
};
net::awaitable<conversation_read> read_conversation(const relay_target& t, const std::string& user_id,
                                                    const std::string& peer);

/** One page of the WABA's templates. */
net::awaitable<relayed<meta::template_page>> list_templates(const relay_target& t, const meta::template_query& q);

/** Submits a template definition (JSON, already checked: meta/relay_input.hpp). Meta's answer
    is read strictly (I-JSON) and must have an `id`; `id`, `status` and `category` are kept. */
net::awaitable<relayed<boost::json::object>> create_template(const relay_target& t, std::string definition_json);

/** The business profile (every documented field). */
net::awaitable<relayed<boost::json::object>> get_business_profile(const relay_target& t);

/** Changes the business profile (fields already checked: meta/relay_input.hpp). */
net::awaitable<relayed<std::monostate>> update_business_profile(const relay_target& t, boost::json::object fields);

/** Uploads a file (`bytes` stays where it is: sent from the caller's mapping). Meta's media id. */
net::awaitable<relayed<std::string>> upload_media(const relay_target& t, std::string_view mime,
                                                  std::string_view filename, std::string_view bytes,
                                                  meta::call_options o);

/** A media id's metadata and short-lived URL, restricted to the instance's number. */
net::awaitable<relayed<meta::media_info>> media_info(const relay_target& t, std::string_view media_id);

/** Deletes a media id of the instance's number. */
net::awaitable<relayed<std::monostate>> delete_media(const relay_target& t, std::string_view media_id);

}  // namespace enfinito::instances
