#pragma once
/**
 * @file auth::password: Argon2id password hashing (libsodium's `crypto_pwhash_str`).
 *
 * Parameters are OWASP's minimum for Argon2id: 19 MiB of memory, 2 iterations, 1 lane
 * (~50 ms here). They are not configurable: lowering them is never right in production and
 * tests are designed around the real cost. The stored string is self-describing, so a change
 * of parameters is detected by `needs_rehash` and the hash upgraded at the next sign-in.
 *
 * These functions are slow on purpose and block: call them on the blocking pool
 * (`run_blocking`), never on a reactor.
 */
#include <enfinito/core/net.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace enfinito::auth {

inline constexpr std::size_t password_min_chars = 8;
inline constexpr std::size_t password_max_bytes = 1024;
inline constexpr unsigned long long argon2_opslimit = 2;
inline constexpr std::size_t argon2_memlimit = 19u * 1024 * 1024;

/** An Argon2id string for `password`; empty only if memory is exhausted. */
std::string hash_password(std::string_view password);
/** Does `password` match `stored`? False for an empty or malformed `stored`. */
bool verify_password(std::string_view stored, std::string_view password);
/** Was `stored` made with other parameters than today's? */
bool needs_rehash(std::string_view stored);
/**
 * Spends the time of a verification against a fixed dummy hash, so that "no such user"
 * takes as long as "wrong password".
 */
void verify_dummy(std::string_view password);

/** Length rule: 8..1024 characters (code points), checked exactly as typed. */
bool password_length_ok(std::string_view password);

/**
 * Runs `fn()` on `pool` and resumes the calling coroutine on its own executor with the result:
 * `auto h = co_await run_blocking(s.blocking, [pw] { return hash_password(pw); });`
 *
 * GCC 12 destroys some class-type temporaries of a `co_await` expression twice (a lambda
 * capturing a std::string by value crashed here), so this is not a coroutine, and callers
 * capture by reference only: the awaiting coroutine's frame outlives the job (the app joins
 * the blocking pool before it destroys the reactors).
 */
template <class Fn, class R = std::invoke_result_t<Fn>>
net::awaitable<R> run_blocking(net::thread_pool& pool, Fn fn) {
  return net::async_initiate<const net::use_awaitable_t<>, void(R)>(
      [&pool](auto handler, Fn f) {
        net::post(pool, [h = std::move(handler), f = std::move(f)]() mutable {
          R result = f();
          auto ex = net::get_associated_executor(h);
          net::post(ex, [h = std::move(h), result = std::move(result)]() mutable { std::move(h)(std::move(result)); });
        });
      },
      net::use_awaitable, std::move(fn));
}

}  // namespace enfinito::auth
