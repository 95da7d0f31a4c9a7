#pragma once
/**
 * @file feed::write_gate: the stream layer under the feed's Beast WebSocket stream that lets the
 * session write gathered frames (feed/frames.hpp) straight to the socket without ever
 * interleaving them with a frame Beast writes itself (its keep-alive pings, the pongs and the
 * close it answers from the read side, the handshake response, a message the session sent
 * through Beast).
 *
 * The rule: at most one write on the socket at a time. Beast's writes pass through
 * `async_write_some`; while the session holds the gate (`begin_raw` .. `end_raw`) a Beast write
 * waits and starts when the gate is released. The session only takes the gate when no Beast
 * write is in flight (`beast_writing()`), and a Beast frame is written by a chain of
 * write_some calls continued from their own completion, so a gathered write never lands
 * inside one of Beast's frames. Reads pass straight through.
 *
 * Single-threaded: used on the socket's own reactor only.
 */
#include <enfinito/core/net.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/ssl.hpp>  // teardown of an ssl::stream (boost::beast)
#include <boost/beast/websocket/teardown.hpp>

#include <cstddef>
#include <memory>
#include <utility>

namespace enfinito::feed {

template <class Next>
class write_gate {
 public:
  using next_layer_type = Next;
  using executor_type = typename Next::executor_type;

  template <class... Args>
  explicit write_gate(Args&&... args) : next_(std::forward<Args>(args)...), park_(next_.get_executor()) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  const Next& next_layer() const noexcept { return next_; }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& b, Handler&& h) {
    return next_.async_read_some(b, std::forward<Handler>(h));
  }

  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& b, Handler&& h) {
    return net::async_initiate<Handler, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& buffers) {
          if (raw_) {
            // Exactly one can wait: Beast serializes its own writes. It waits as an operation of
            // the reactor (a timer that end_raw cancels), not as a handler kept in this object:
            // if the reactor is destroyed first, the wait is destroyed with it and so is the
            // handler with its hold on the session (a kept handler would be a cycle, a leak).
            // A gate destroyed first (the session ended; Beast's own pings hold no reference to
            // it) completes the wait when its timer goes: `alive` tells, and the write is dropped
            // as it was before the gate existed.
            parked_ = true;
            park_.expires_at(net::steady_timer::time_point::max());
            park_.async_wait([this, alive = std::weak_ptr<char>(alive_), buffers,
                              h = std::move(handler)](boost::system::error_code) mutable {
              if (alive.expired()) return;
              parked_ = false;
              start_beast_write(buffers, std::move(h));
            });
            return;
          }
          start_beast_write(buffers, std::move(handler));
        },
        h, b);
  }

  /** A Beast write_some is in flight: the session must not take the gate now. */
  bool beast_writing() const noexcept { return beast_writes_ > 0 || parked_; }

  /** The session writes directly to next_layer() until end_raw. */
  void begin_raw() noexcept { raw_ = true; }
  void end_raw() {
    raw_ = false;
    if (parked_) park_.cancel();  // the parked Beast write starts from the reactor's queue
  }

 private:
  template <class Buffers, class Handler>
  void start_beast_write(const Buffers& b, Handler handler) {
    ++beast_writes_;
    auto ex = net::get_associated_executor(handler, get_executor());
    next_.async_write_some(
        b, net::bind_executor(ex, [this, h = std::move(handler)](boost::system::error_code ec, std::size_t n) mutable {
          --beast_writes_;
          // Invoked here, not posted: Beast's next write_some of the same frame starts before
          // the session's writer can run.
          std::move(h)(ec, n);
        }));
  }

  Next next_;
  net::steady_timer park_;                                  // a Beast write waiting for the gate waits on this
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // expires with the gate
  bool raw_ = false;
  bool parked_ = false;
  int beast_writes_ = 0;
};

// Beast tears the connection down through these (found by argument-dependent lookup).
template <class Next>
void teardown(boost::beast::role_type role, write_gate<Next>& s, boost::system::error_code& ec) {
  using boost::beast::teardown;
  using boost::beast::websocket::teardown;
  teardown(role, s.next_layer(), ec);
}

template <class Next, class Handler>
void async_teardown(boost::beast::role_type role, write_gate<Next>& s, Handler&& h) {
  using boost::beast::async_teardown;
  using boost::beast::websocket::async_teardown;
  async_teardown(role, s.next_layer(), std::forward<Handler>(h));
}

}  // namespace enfinito::feed
