#pragma once
// The route files' "a value or the answer to give instead": checked<T>; ENF_TRY, which unwraps
// one inside a handler or returns its answer; ENF_AUTH, the same for the caller's principal.
// Internal to daemon/lib/api.
#include <enfinito/http/message.hpp>

#include <utility>
#include <variant>

namespace enfinito::api::detail {

/** A value or the problem to answer with. */
template <class T>
using checked = std::variant<T, http::response>;

}  // namespace enfinito::api::detail

// Unwraps a checked<T> (any std::variant<T, http::response>) or returns its answer from the
// handler.
#define ENF_TRY(var, expr)                                                                            \
  auto var##_checked = (expr);                                                                        \
  if (auto* var##_err = std::get_if<http::response>(&var##_checked)) co_return std::move(*var##_err); \
  auto& var = std::get<0>(var##_checked)

// Authenticates (api/auth_guard.hpp: `req` and services `s` in scope) or returns the refusal
// from the handler.
#define ENF_AUTH(var, need) ENF_TRY(var, co_await authenticate(req, s, need))
