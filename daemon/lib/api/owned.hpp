#pragma once
// The route plumbing the instance-centred routes share (internal to daemon/lib/api): a handler
// bound to the services, a handler called once its caller is authenticated, and the caller's
// own rows loaded by the id in the path (an instance, a message, a broadcast) with one 404 for
// anything missing, not theirs or outside their API key's scope, and the store's problem
// (store_problem.hpp) when the read fails.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/store_problem.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace enfinito::api::detail {

/** The longest id a path may carry: a longer one is the same 404 as a missing one. */
inline constexpr std::size_t max_path_id = 64;

/** A route's handler, and one that is handed its authenticated caller. */
using handler = net::awaitable<http::response> (*)(services&, http::request&);
using caller_handler = net::awaitable<http::response> (*)(services&, http::request&, principal&);

/** `fn` as the router's handler. */
inline auto bind(services& s, handler fn) {
  return [&s, fn](http::request& q) { return fn(s, q); };
}

/** Authenticates for `need`, then calls `fn` with the caller (or answers 401/403). */
inline net::awaitable<http::response> authenticated(services& s, http::request& req, access need, caller_handler fn) {
  auto who = co_await authenticate(req, s, need);
  auto* p = std::get_if<principal>(&who);
  if (!p) co_return std::move(std::get<http::response>(who));
  auto res = co_await fn(s, req, *p);
  co_return res;
}

/** `fn` as the router's handler, called with its caller authenticated for `need`. */
inline auto as_caller(services& s, access need, caller_handler fn) {
  return [&s, need, fn](http::request& q) { return authenticated(s, q, need, fn); };
}

/**
 * The caller's row `id`, read with `get` (store::messages::get, store::broadcasts::get, …),
 * which matches the user. A row of an instance outside the caller's API key is `missing()`
 * too, like an id that is empty, too long or not found.
 */
template <class Row>
net::awaitable<std::variant<Row, http::response>> load_owned(services& s, const principal& p, std::string_view id,
                                                             core::error_code (*get)(store::connection&,
                                                                                     std::string_view, std::string_view,
                                                                                     Row&),
                                                             http::response (*missing)()) {
  if (id.empty() || id.size() > max_path_id) co_return missing();
  Row row;
  const std::string uid = p.user_id, key(id);
  auto fn = [&](store::connection& c) { return get(c, uid, key, row); };
  auto ec = co_await s.db.read(fn);
  if (ec == store::error::not_found) co_return missing();
  if (ec) co_return store_problem(ec);
  if constexpr (requires { row.instance_id; })
    if (!p.may_use_instance(row.instance_id)) co_return missing();
  co_return row;
}

/** The caller's instance `id` (no store read for one outside the caller's API key). */
inline net::awaitable<std::variant<store::instances::instance, http::response>> load_instance(services& s,
                                                                                              const principal& p,
                                                                                              std::string_view id) {
  if (!p.may_use_instance(id)) co_return instance_not_found();
  auto got = co_await load_owned(s, p, id, store::instances::get, instance_not_found);
  co_return got;
}

}  // namespace enfinito::api::detail
