#pragma once
// store::pg await_submit: a callback-style submit(executor, done) as an awaitable, for the
// pool's and the writer's coroutine forms. The same bridge as store.cpp's await_submit (see the
// GCC 12 note there): the initiation captures only pointers into this coroutine's frame.
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace enfinito::store::pg::detail {

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

}  // namespace enfinito::store::pg::detail
