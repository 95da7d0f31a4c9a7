#pragma once
/**
 * @file The REST answer to a send the pre-send checks refused (templates/checks.hpp), shared by
 * the send route (messages_routes.cpp). The template routes themselves live with the other
 * calls to Meta in meta_routes.cpp; the Graph-compatible answers in graph_routes.cpp.
 */
#include <enfinito/http/message.hpp>
#include <enfinito/templates/checks.hpp>

namespace enfinito::api {

/** 422 problem+json: `code` (template_unknown, template_not_approved, template_params_mismatch,
    template_param_format, window_closed), `field`, `detail` and Meta's `meta_code`. */
http::response send_check_problem(const templates::problem& p);

}  // namespace enfinito::api
