// core::spawn: starts a coroutine that nobody awaits, with a named policy for an exception that
// escapes it. One of three, chosen at the call site:
//
//   core::spawn(ex, sweep(), core::on_exception::terminate("outbound.queue_crashed"));  // a part the
//                                        // daemon cannot run without: log, then std::terminate
//   core::spawn(ex, run(self), core::on_exception::log("feed.session_crashed"));  // log, go on
//   core::spawn(ex, read_loop(self), core::on_exception::ignore());  // only with a comment saying why
//
// A log line names the event (`module.event`) and, for a std::exception, its what(). The
// coroutine's own result, if it has one, is dropped; a site that wants it writes its own
// completion handler and calls the policy on the exception_ptr (policies are callable).
// Coroutines that are co_awaited (`co_spawn(..., use_awaitable)`) do not come through here.
#pragma once

#include <enfinito/core/log.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/co_spawn.hpp>

#include <exception>
#include <string_view>
#include <utility>

namespace enfinito::core {

namespace on_exception {
namespace detail {
inline void log_exception(std::string_view event, const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    core::log::error(event, {{"what", x.what()}});
  } catch (...) {
    core::log::error(event, {});
  }
}
}  // namespace detail

/** Logs the exception as `event` (error level) and goes on. */
struct log {
  constexpr explicit log(std::string_view event) : event(event) {}
  void operator()(const std::exception_ptr& e) const noexcept {
    if (e) detail::log_exception(event, e);
  }
  std::string_view event;
};

/** Logs the exception as `event` (error level), then std::terminate. */
struct terminate {
  constexpr explicit terminate(std::string_view event) : event(event) {}
  void operator()(const std::exception_ptr& e) const noexcept {
    if (!e) return;
    detail::log_exception(event, e);
    std::terminate();
  }
  std::string_view event;
};

/** Drops the exception. Only where a comment at the call site says why nothing is lost. */
struct ignore {
  void operator()(const std::exception_ptr&) const noexcept {}
};

}  // namespace on_exception

/** co_spawn `task` on `where` (an executor or an execution context), detached, with `policy`
    deciding what an escaping exception does. */
template <class Where, class T, class Policy>
void spawn(Where&& where, net::awaitable<T> task, Policy policy) {
  net::co_spawn(std::forward<Where>(where), std::move(task), [policy](std::exception_ptr e, auto&&...) { policy(e); });
}

}  // namespace enfinito::core
