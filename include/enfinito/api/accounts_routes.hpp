#pragma once
/**
 * @file api accounts routes (daemon/lib/api/accounts_routes.cpp): sign-up, sign-in, sessions,
 * password reset, profile, export, deletion, API keys, data-rights links, admin approval. The flows behind them live in
 * accounts/ (include/enfinito/accounts/); this header also lets route modules add their part
 * to `GET /v1/me/export` (instances, messages, inbound media) through the names below.
 */
#include <enfinito/accounts/erasure.hpp>
#include <enfinito/api/services.hpp>
#include <enfinito/http/router.hpp>

namespace enfinito::api {

/** Registers the accounts routes (called by register_all). */
void register_accounts_routes(http::router& r, services& s);

// The export registry is accounts::'s (accounts/erasure.hpp); these names keep the route
// modules that add sections independent of where it lives.
using accounts::add_export_section;
using accounts::add_export_stream;
using accounts::export_pager;
using accounts::export_section;

}  // namespace enfinito::api
