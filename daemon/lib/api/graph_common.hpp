#pragma once
// What the Graph-compatible route files share (graph_routes.cpp: sends and media;
// graph_waba_routes.cpp: phone numbers, business profiles, WABAs, templates): Meta's error
// envelope, the caller's instance behind a phone number id, and relayed calls. Defined in
// graph_routes.cpp.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/services.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/http/message.hpp>
#include <enfinito/http/router.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/store/instances.hpp>

#include "api/checked.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace enfinito::api::graph_detail {

/** An instance ready to call Meta: its row (shared with the instance cache) and credentials. */
struct graph_target {
  std::shared_ptr<const store::instances::instance> row;  // shared with the instance cache, never copied
  crypto::graph_credentials creds;
};
using row_ptr = std::shared_ptr<const store::instances::instance>;

/** Meta's envelope `{"error":{message "(#code) title", type, code, error_subcode?, error_data?, fbtrace_id}}`. */
http::response meta_error(http::status http_status, std::int64_t code, std::string_view type, std::string_view title,
                          std::string_view details, const http::request& req, std::int64_t subcode);
/** 400, code 100. */
http::response invalid_parameter(std::string_view details, const http::request& req);
/** 400, code 100 subcode 33 GraphMethodException: unknown, foreign and unsupported ids alike. */
http::response unknown_object(std::string_view id, const http::request& req);
/** 503, code 2 (nothing stored, retry). */
http::response service_unavailable(const http::request& req);
/** Enfinito's own 401/403 in Meta's words (190, 200). */
http::response auth_refusal(const http::response& ours, const http::request& req);
/** The caller of a Graph route: a known `{version}` and an authenticated principal allowed
    `need`, or the refusal in Meta's words. */
net::awaitable<std::variant<principal, http::response>> graph_caller(services& s, http::request& req, access need);
/** Meta's answer to a relayed call, unchanged. */
http::response relay(const meta::response& r);
/** Meta's answer to a relayed call, or 503 code 2 when Meta was not reached. */
http::response relayed(const core::result<meta::response>& got, const http::request& req);
/** 400 code 100 "Param {field or body}: {detail}", the refusal of a checked body or query. */
http::response param_refused(std::string_view field, std::string_view detail, const http::request& req);
/** 400 code 100: the body is not a JSON object. */
http::response not_json(const http::request& req);

/** The row may call Meta: its status checked (190 / 10 in Meta's words), its credentials opened. */
net::awaitable<std::variant<graph_target, http::response>> ready(services& s, row_ptr row, const http::request& req);
/** The caller's instance row for a phone number id (Meta's "does not exist" otherwise). */
net::awaitable<std::variant<row_ptr, http::response>> find_by_phone(services& s, const principal& p, std::string phone,
                                                                    const http::request& req);
/** A relayed call for the instance (Meta refusing its token marks it needs_reauth). */
net::awaitable<core::result<meta::response>> relay_call(services& s, const graph_target& t, meta::request rq,
                                                        meta::call_options o);

/** GET {prefix}/{version}/{id} for an id that is not a media id: the caller's phone number
    (relayed with `fields`) or a template of the caller's copies. Nothing: neither. */
net::awaitable<std::optional<http::response>> object_get(services& s, const principal& p, const std::string& id,
                                                         http::request& req);

/**
 * What a set of Graph route handlers holds (graph_routes.cpp's graph_routes derives from it;
 * graph_waba_routes.cpp's waba_routes can too): the services, and `who`, the caller of a
 * request by graph_caller.
 */
struct graph_handlers {
  services& s;
  net::awaitable<std::variant<principal, http::response>> who(http::request& req, access need) const {
    return graph_caller(s, req, need);
  }
};

/** Registers the WABA, phone-number and template routes under `prefix`. */
void register_graph_waba_routes(http::router& r, services& s);

}  // namespace enfinito::api::graph_detail
