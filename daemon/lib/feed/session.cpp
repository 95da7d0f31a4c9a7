// feed::start_session: one live-feed WebSocket: handshake, catch-up from the store, then the
// bounded live queue with its single writer. The protocol is described in feed/session.hpp.
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/feed/client_message.hpp>
#include <enfinito/feed/frames.hpp>
#include <enfinito/feed/session.hpp>
#include <enfinito/feed/write_gate.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <array>
#include <deque>

namespace enfinito::feed {
namespace {

using clock = std::chrono::steady_clock;

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The instance list the catch-up query uses: the filter, else the key's scope (the route
// already checked the filter lies within the scope).
std::vector<std::string> effective_instances(const subscription& sub) {
  return sub.instances.empty() ? sub.scope : sub.instances;
}

struct queued {
  std::int64_t id;
  std::shared_ptr<const std::string> payload;
};

template <class NextLayer>
class session final : public subscriber, public std::enable_shared_from_this<session<NextLayer>> {
 public:
  session(NextLayer&& s, beast_request req, session_context ctx)
      : ws_(std::move(s)),
        req_(std::move(req)),
        ctx_(std::move(ctx)),
        wake_(ws_.get_executor()),
        write_deadline_(ws_.get_executor()),
        first_wait_(ws_.get_executor()),
        // A first-message resume only without after= in the URL, and only with a database
        // to resume from (benchmarks run without one and must not wait).
        awaiting_first_(!ctx_.sub.after && ctx_.db && ctx_.opts.resume_wait.count() > 0),
        reader_(awaiting_first_, ctx_.opts.max_client_message) {}

  ~session() override {
    if (subscribed_) ctx_.events->unsubscribe(ctx_.reactor, *this);
    if (ctx_.holds_slot) ctx_.events->release_connection();
  }

  void start() {
    core::spawn(ws_.get_executor(), run(this->shared_from_this()), core::on_exception::log("feed.session_crashed"));
  }

  const std::string& user_id() const override { return ctx_.sub.user_id; }

  void deliver(const item& it) override {
    if (closing_ || !wanted(it)) return;
    if (catching_up_) {
      // Held until the catch-up ends. Past the bound, drop them all: every one of them is in
      // the database, and the catch-up reads it again (see `dropped_generation_`).
      if (pending_.size() >= ctx_.opts.max_queued_messages) {
        pending_.clear();
        ++dropped_generation_;
      }
      pending_.push_back({it.id, it.payload});
      return;
    }
    enqueue(it.id, it.payload);
  }

  void going_away() override { close_with(websocket::close_code::going_away, "server stopping"); }

 private:
  bool wanted(const item& it) const {
    const auto& sub = ctx_.sub;
    if (!sub.scope.empty() && !contains(sub.scope, it.instance_id)) return false;
    if (!sub.instances.empty() && !contains(sub.instances, it.instance_id)) return false;
    if (!sub.types.empty() && !contains(sub.types, it.type)) return false;
    return true;
  }

  void enqueue(std::int64_t id, std::shared_ptr<const std::string> payload) {
    if (closing_ || id <= last_queued_) return;
    if (queue_.size() >= ctx_.opts.max_queued_messages ||
        queued_bytes_ + payload->size() > ctx_.opts.max_queued_bytes) {
      ctx_.events->closed_too_slow.fetch_add(1, std::memory_order_relaxed);
      too_slow_ = true;
      close_with(close_too_slow, {});
      return;
    }
    last_queued_ = id;
    queued_bytes_ += payload->size();
    queue_.push_back({id, std::move(payload)});
    if (writer_waiting_) wake_.cancel();  // a busy writer finds it when its write completes
  }

  void close_with(std::uint16_t code, std::string reason) {
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    queue_.clear();  // whatever is not on the wire yet is not sent: the client resumes by id
    queued_bytes_ = 0;
    wake_.cancel();
    first_wait_.cancel();
  }

  static net::awaitable<void> run(std::shared_ptr<session> self) { co_await self->serve(); }

  net::awaitable<void> serve() {
    core::error_code ec;
    websocket::stream_base::timeout t{};
    t.handshake_timeout = ctx_.opts.handshake_timeout;
    // Beast pings after half the idle timeout without traffic from the peer, and drops a peer
    // silent for the whole idle timeout: a ping every ping_interval, two intervals to answer.
    t.idle_timeout = ctx_.opts.ping_interval * 2;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(ctx_.opts.max_client_message);
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(boost::beast::http::field::server, "enfinito"); }));
    co_await ws_.async_accept(req_, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    req_ = {};

    // 1. Subscribe before reading the database: nothing committed from now on is missed.
    ctx_.events->subscribe(ctx_.reactor, *this);
    subscribed_ = true;
    catching_up_ = true;
    // Ignored: read errors come back as `ec` and end the loop, which marks the session dead; the
    // session itself is run()'s, whose end is logged.
    core::spawn(ws_.get_executor(), read_loop(this->shared_from_this()), core::on_exception::ignore());

    // 2. Catch up.
    bool ok = co_await catch_up();
    catching_up_ = false;
    last_sent_ = std::max(last_sent_, last_queued_);  // where a resume would start
    if (!ok && !closing_) close_with(websocket::close_code::internal_error, "database error");

    // 3. Live: what arrived meanwhile, minus what the catch-up already sent.
    for (auto& p : pending_)
      if (p.id > last_queued_) enqueue(p.id, std::move(p.payload));
    pending_.clear();
    pending_.shrink_to_fit();
    co_await write_loop();
  }

  // Sends stored events after `after` (or starts at the newest id). False on a store error.
  net::awaitable<bool> catch_up() {
    if (!ctx_.db) co_return true;
    bool from_now = false;
    if (!ctx_.sub.after) {
      std::int64_t newest = 0;
      auto read_newest = [&](store::connection& c) { return store::events::newest_id(c, ctx_.sub.user_id, newest); };
      auto ec = co_await ctx_.db->read(read_newest);
      if (ec) co_return false;
      last_queued_ = newest;
      last_sent_ = newest;
      // Live events meanwhile are held in pending_ (after `newest`, so none is lost); a
      // first message {"resume_after": id} turns this into a resume from `id`.
      co_await await_first_message();
      if (resume_from_) {
        ctx_.sub.after = resume_from_;
      } else if (dropped_generation_ == 0) {
        co_return true;
      } else {
        // Live events overflowed pending_ during the wait: read them back from "now".
        ctx_.sub.after = newest;
        from_now = true;
      }
    }
    if (!from_now) ctx_.events->resumes.fetch_add(1, std::memory_order_relaxed);
    last_queued_ = *ctx_.sub.after;
    last_sent_ = last_queued_;
    store::events::filter f;
    f.user_id = ctx_.sub.user_id;
    f.instance_ids = effective_instances(ctx_.sub);
    f.types = ctx_.sub.types;
    f.limit = ctx_.opts.catchup_page;
    std::vector<store::events::event> page;
    bool done = false;
    bool failed = false;
    std::uint64_t generation = 0;
    core::error_code ec;
    auto read_page = [&](store::connection& c) { return store::events::list(c, f, page); };
    while (!done && !failed && !closing_) {
      page.clear();
      f.after = last_queued_;
      generation = dropped_generation_;
      ec = co_await ctx_.db->read(read_page);
      if (ec) {
        failed = true;
        continue;
      }
      // Finished only by an empty page read after the last time live events were dropped.
      if (page.empty()) {
        done = generation == dropped_generation_;
        continue;
      }
      for (const auto& e : page) enqueue_catch_up(e);
      ctx_.events->replayed.fetch_add(page.size(), std::memory_order_relaxed);
      co_await write_queued();  // a page at a time: memory stays bounded by the page size
    }
    co_return !failed;
  }

  // Waits (up to resume_wait) for the client's first message, unless it already came.
  net::awaitable<void> await_first_message() {
    core::error_code ec;
    if (awaiting_first_ && !closing_) {
      first_wait_.expires_after(ctx_.opts.resume_wait);
      co_await first_wait_.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    awaiting_first_ = false;
    reader_.resume_window_closed();
  }

  // One complete client message (from read_loop): the protocol is client_reader's.
  void on_client_message(std::string_view payload, bool text) {
    const auto a = reader_.on_message(payload, text);
    if (awaiting_first_) {
      awaiting_first_ = false;  // any first message ends the wait
      first_wait_.cancel();
    }
    if (a.what == client_action::kind::resume)
      resume_from_ = a.resume_after;
    else if (a.what == client_action::kind::close)
      close_with(a.close_code, std::string(a.reason));
  }

  void enqueue_catch_up(const store::events::event& e) {
    // Not bounded by max_queued_*: a page is bounded, and the writer empties it before the next.
    last_queued_ = e.id;
    auto payload = std::make_shared<const std::string>(to_json(e));
    queued_bytes_ += payload->size();
    queue_.push_back({e.id, std::move(payload)});
  }

  // Writes until the queue is empty (or the socket fails). Used by the catch-up.
  net::awaitable<void> write_queued() {
    core::error_code ec;
    while (!queue_.empty() && !closing_) {
      ec = co_await write_next();
      if (ec) close_now();
    }
  }

  // The single writer: waits for queued messages and sends them one by one.
  net::awaitable<void> write_loop() {
    core::error_code ec;
    while (!closing_ || !queue_.empty()) {
      if (queue_.empty()) {
        wake_.expires_at(clock::time_point::max());
        writer_waiting_ = true;
        co_await wake_.async_wait(net::redirect_error(net::use_awaitable, ec));
        writer_waiting_ = false;
        continue;
      }
      ec = co_await write_next();
      if (ec) close_now();
    }
    if (dead_) co_return;
    if (too_slow_) close_reason_ = "too slow, resume with after=" + std::to_string(last_sent_);
    if (close_code_ == 0) close_code_ = websocket::close_code::normal;
    write_started_ = clock::now();
    writing_ = true;
    arm_watchdog();
    websocket::close_reason why;
    why.code = close_code_;  // close_code is an enum of the registered codes; 4008 is ours
    why.reason = close_reason_;
    co_await ws_.async_close(why, net::redirect_error(net::use_awaitable, ec));
    writing_ = false;
    write_deadline_.cancel();
  }

  // Writes the front of the queue: every queued event that fits in max_gather_bytes in one
  // socket write of ready-made frames, unless Beast is writing a frame of its own (or the
  // close handshake began): then the front one alone, through Beast.
  net::awaitable<core::error_code> write_next() {
    auto& gate = ws_.next_layer();
    if (gate.beast_writing() || !ws_.is_open()) co_return co_await write_front();
    const std::size_t n = plan_gather(queue_.begin(), queue_.end(), ctx_.opts.max_gather_bytes,
                                      [](const queued& q) { return q.payload->size(); });
    // The events stay referenced until the write completes (a single one is not copied).
    batch_.clear();
    wire_.clear();
    for (std::size_t i = 0; i < n; ++i) {
      batch_.push_back(std::move(queue_.front()));
      queue_.pop_front();
      queued_bytes_ -= batch_.back().payload->size();
    }
    if (n == 1) {
      append_text_frame_header(wire_, batch_.front().payload->size());
    } else {
      for (const auto& m : batch_) append_text_frame(wire_, *m.payload);
    }
    const std::array<net::const_buffer, 2> single{net::buffer(wire_), net::buffer(*batch_.front().payload)};
    write_started_ = clock::now();
    writing_ = true;
    arm_watchdog();
    core::error_code ec;
    gate.begin_raw();
    if (n == 1)
      co_await net::async_write(gate.next_layer(), single, net::redirect_error(net::use_awaitable, ec));
    else
      co_await net::async_write(gate.next_layer(), net::buffer(wire_), net::redirect_error(net::use_awaitable, ec));
    gate.end_raw();
    writing_ = false;
    // Sent means the whole write completed: a connection lost mid-write reports the previous
    // id, and the client resumes from the last event it parsed.
    if (!ec) {
      last_sent_ = batch_.back().id;
      ctx_.events->count_delivered(ctx_.reactor, n);
      if (n > 1) ctx_.events->gathered_writes.fetch_add(1, std::memory_order_relaxed);
    }
    batch_.clear();
    if (wire_.capacity() > 4 * ctx_.opts.max_gather_bytes) std::string().swap(wire_);
    co_return ec;
  }

  // One event through Beast's own write.
  net::awaitable<core::error_code> write_front() {
    core::error_code ec;
    auto msg = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= msg.payload->size();
    // The watchdog checks this write's start time: no timer operation per message.
    write_started_ = clock::now();
    writing_ = true;
    arm_watchdog();
    co_await ws_.async_write(net::buffer(*msg.payload), net::redirect_error(net::use_awaitable, ec));
    writing_ = false;
    if (!ec) {
      last_sent_ = msg.id;
      ctx_.events->count_delivered(ctx_.reactor);
    }
    co_return ec;
  }

  // A write that does not finish in time (a peer that stopped reading, a dead link) drops
  // the TCP connection; the peer can no longer be told why, it resumes by id. One watchdog
  // timer per socket, armed when idle and re-armed on expiry, rather than a timer per write.
  void arm_watchdog() {
    if (watchdog_armed_ || dead_) return;
    watchdog_armed_ = true;
    write_deadline_.expires_at(write_started_ + ctx_.opts.write_timeout);
    write_deadline_.async_wait([weak = this->weak_from_this()](core::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->watchdog_armed_ = false;
      if (ec || self->dead_) return;
      if (self->writing_ && clock::now() - self->write_started_ >= self->ctx_.opts.write_timeout) {
        self->close_now();
        return;
      }
      if (self->writing_) self->arm_watchdog();  // a later write is in progress: check it
    });
  }

  void close_now() {
    dead_ = true;
    closing_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    core::error_code ignored;
    boost::beast::get_lowest_layer(ws_).close(ignored);
    wake_.cancel();
    first_wait_.cancel();
  }

  // Client messages: read (bounded by read_message_max: bigger closes with 1009) and handed
  // to on_client_message. The read also runs Beast's control-frame handling: pongs, and the
  // peer's close.
  static net::awaitable<void> read_loop(std::shared_ptr<session> self) {
    boost::beast::flat_buffer buf;
    core::error_code ec;
    std::string_view payload;
    while (!ec) {
      co_await self->ws_.async_read(buf, net::redirect_error(net::use_awaitable, ec));
      if (!ec) {
        payload = std::string_view(static_cast<const char*>(buf.data().data()), buf.size());
        self->on_client_message(payload, self->ws_.got_text());
      }
      buf.consume(buf.size());
    }
    // The peer closed, timed out or broke the protocol: Beast already answered as needed.
    self->dead_ = true;
    self->closing_ = true;
    self->queue_.clear();
    self->queued_bytes_ = 0;
    self->wake_.cancel();
    self->first_wait_.cancel();
  }

  websocket::stream<write_gate<NextLayer>> ws_;
  beast_request req_;
  session_context ctx_;
  net::steady_timer wake_;
  net::steady_timer write_deadline_;
  net::steady_timer first_wait_;  // the wait for a first-message resume request
  bool awaiting_first_;           // waiting for (or not yet past) the first client message
  client_reader reader_;
  std::optional<std::int64_t> resume_from_;  // set by a first-message resume request
  std::deque<queued> queue_;
  std::vector<queued> batch_;  // the events of the gathered write in progress
  std::string wire_;           // their frames (or the lone event's frame header)
  std::size_t queued_bytes_ = 0;
  std::vector<queued> pending_;  // live events that arrived during the catch-up
  std::uint64_t dropped_generation_ = 0;
  std::int64_t last_queued_ = 0;  // highest id queued (or skipped as already known)
  std::int64_t last_sent_ = 0;    // highest id written to the socket
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
  bool subscribed_ = false;
  bool catching_up_ = false;
  bool closing_ = false;
  bool too_slow_ = false;
  bool dead_ = false;  // the connection is gone: no close handshake
  bool writer_waiting_ = false;
  bool writing_ = false;
  bool watchdog_armed_ = false;
  clock::time_point write_started_{};
};

}  // namespace

void start_session(tcp_socket socket, beast_request req, session_context ctx) {
  std::make_shared<session<tcp_socket>>(std::move(socket), std::move(req), std::move(ctx))->start();
}

void start_session(ssl::stream<tcp_socket> socket, beast_request req, session_context ctx) {
  std::make_shared<session<ssl::stream<tcp_socket>>>(std::move(socket), std::move(req), std::move(ctx))->start();
}

}  // namespace enfinito::feed
