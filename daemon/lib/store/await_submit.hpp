#pragma once
// await_submit: bridges a callback-style submission (store::store's writer and readers,
// store::pg::pool's connections) to a coroutine. `submit(executor, done)` hands the work on and
// calls `done(ec)` when it ends; the handler resumes the coroutine on its own executor.
//
// The initiation captures only pointers into this coroutine's frame (which outlives the
// co_await): GCC 12 may destroy a temporary in a co_await operand twice, and a capture that
// owns memory (the work_fn inside `submit`, when its callable does not fit std::function's
// small buffer) was then freed twice. Raw pointers make a double destruction harmless.
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace enfinito::store::detail {

template <class Submit>
net::awaitable<core::error_code> await_submit(Submit submit) {
  auto ex = co_await net::this_coro::executor;
  core::error_code ec;
  auto token = net::redirect_error(net::use_awaitable, ec);
  Submit* sp = &submit;
  executor* exp = &ex;
  co_await net::async_initiate<decltype(token), void(core::error_code)>(
      [sp, exp](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        (*sp)(*exp, [h](core::error_code e) { (*h)(e); });
      },
      token);
  co_return ec;
}

}  // namespace enfinito::store::detail
