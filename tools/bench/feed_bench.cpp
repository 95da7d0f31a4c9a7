// feed_bench: live-feed fan-out. N WebSocket subscribers (one user) on loopback receive events
// published through feed::bus (serialized once, posted to the reactors, per-socket bounded
// queue and single writer: the daemon's code path from the store writer's callback on),
// against a bare Beast WebSocket broadcaster on the same number of sockets in the same run
// (no bus, no filters, no serialization: one pre-built string written to every socket).
//
// The publisher is a closed loop with a window: it keeps at most `window` events per socket
// outstanding (published but not yet received by every client), so both modes run at the
// fastest rate they can sustain without overflowing a socket's queue. Each event carries its
// publish time; clients record delivery latency for every message.
//
// A third mode, when its npm set-up is installed (tools/bench/peers: `npm ci`, which
// `tools/dev bench` runs), is the Node peer (issue 22): tools/bench/peers/feed_ws.js, a `ws`
// broadcaster, on the same number of sockets with the same client and the same event strings
// as the bare broadcaster, handed to it over a pipe; feed_bench prints Enfinito / Node. The
// peers directory is $ENFINITO_BENCH_PEERS, else tools/bench/peers under the current directory.
//
//   build/release/tools/bench/feed_bench [seconds-per-mode (5)] [subscribers (1000)] [reactors (2)]
//                                        [events/s (0: saturate; else a fixed rate, for latency)]
#include "node_peer.hpp"

#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/feed/bus.hpp>
#include <enfinito/feed/session.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace enfinito;
using enfinito::bench::node_peer;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

// ---- clients ----------------------------------------------------------------------------

struct client_stats {
  std::atomic<std::uint64_t> received{0};
  std::mutex mu;
  std::vector<std::int64_t> latencies_ns;  // appended every 32 messages of a socket by the client thread
};

net::awaitable<void> client(tcp::endpoint ep, client_stats& st, std::atomic<int>& connected) {
  auto ex = co_await net::this_coro::executor;
  websocket::stream<tcp::socket> ws(ex);
  core::error_code ec;
  co_await ws.next_layer().async_connect(ep, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return;
  ws.next_layer().set_option(tcp::no_delay(true));
  co_await ws.async_handshake("127.0.0.1", "/v1/stream", net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    std::fprintf(stderr, "handshake: %s\n", ec.message().c_str());
    co_return;
  }
  connected.fetch_add(1);
  beast::flat_buffer buf;
  std::vector<std::int64_t> local;
  local.reserve(4096);
  while (!ec) {
    co_await ws.async_read(buf, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    auto data = static_cast<const char*>(buf.data().data());
    std::string_view text(data, buf.size());
    // The publish time is the "t" field of data: {"id":…,"data":{"t":<ns>}}.
    auto pos = text.find("\"t\":");
    if (pos != std::string_view::npos) local.push_back(now_ns() - std::strtoll(text.data() + pos + 4, nullptr, 10));
    buf.consume(buf.size());
    st.received.fetch_add(1, std::memory_order_relaxed);
    if (local.size() == 32) {
      std::lock_guard lk(st.mu);
      st.latencies_ns.insert(st.latencies_ns.end(), local.begin(), local.end());
      local.clear();
    }
  }
  std::lock_guard lk(st.mu);
  st.latencies_ns.insert(st.latencies_ns.end(), local.begin(), local.end());
}

// ---- the baseline: a bare Beast broadcaster -----------------------------------------------

struct bare_socket : std::enable_shared_from_this<bare_socket> {
  explicit bare_socket(tcp::socket s) : ws(std::move(s)) {}
  websocket::stream<tcp::socket> ws;
  std::deque<std::shared_ptr<const std::string>> q;
  bool writing = false;
  void send(std::shared_ptr<const std::string> m) {
    q.push_back(std::move(m));
    if (!writing) write_next();
  }
  void write_next() {
    if (q.empty()) {
      writing = false;
      return;
    }
    writing = true;
    ws.async_write(net::buffer(*q.front()), [self = shared_from_this()](core::error_code ec, std::size_t) {
      if (ec) return;
      self->q.pop_front();
      self->write_next();
    });
  }
};

struct bare_reactor {
  std::vector<std::shared_ptr<bare_socket>> sockets;
};

// ---- servers ------------------------------------------------------------------------------

// Accepts on `ctx`, reads the upgrade request, and hands the socket to `on_upgrade`.
template <class F>
net::awaitable<void> accept_loop(tcp::acceptor& acc, F on_upgrade) {
  for (;;) {
    core::error_code ec;
    tcp::socket s(acc.get_executor());
    co_await acc.async_accept(s, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    s.set_option(tcp::no_delay(true));
    auto buf = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<feed::beast_request>();
    co_await beast::http::async_read(s, *buf, *req, net::redirect_error(net::use_awaitable, ec));
    if (ec) continue;
    on_upgrade(std::move(s), std::move(*req));
  }
}

struct result {
  double deliveries_per_s = 0;
  double p50_us = 0, p99_us = 0;
  std::uint64_t closed_slow = 0;
};

enum class mode { bare, feed, node };

// The event string the bare broadcaster and the Node peer send (the feed builds the same one).
std::string bench_event(std::int64_t id) {
  return "{\"id\":" + std::to_string(id) +
         ",\"type\":\"message.received\",\"instance_id\":\"ins_bench\","
         "\"created_at\":1700000000000,\"data\":{\"t\":" +
         std::to_string(now_ns()) + "}}";
}

result run(mode m, double seconds, int subscribers, std::size_t reactors, double rate) {
  const bool use_bus = m == mode::feed;
  node_peer peer;
  if (m == mode::node && !peer.start("feed_ws.js")) {
    std::fprintf(stderr, "node peer did not start\n");
    return {};
  }
  auto pool_owner = std::make_unique<core::io_context_pool>(reactors);
  auto& pool = *pool_owner;
  feed::bus bus(pool);  // outlives the contexts: sessions unsubscribe when they are destroyed
  std::vector<bare_reactor> bare(reactors);
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::uint16_t port = 0;
  // One acceptor per reactor, SO_REUSEPORT, as the daemon does: connections spread.
  for (std::size_t i = 0; i < reactors; ++i) {
    auto acc = std::make_unique<tcp::acceptor>(pool.at(i));
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    acc->open(ep.protocol());
    acc->set_option(tcp::acceptor::reuse_address(true));
    acc->set_option(net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acc->bind(ep);
    acc->listen();
    port = acc->local_endpoint().port();
    auto on_upgrade = [&, i](tcp::socket s, feed::beast_request req) {
      if (use_bus) {
        feed::session_context ctx;
        ctx.events = &bus;
        ctx.reactor = i;
        ctx.sub.user_id = "usr_bench";
        ctx.opts.max_queued_messages = 4096;
        ctx.opts.write_timeout = std::chrono::seconds(60);
        feed::start_session(std::move(s), std::move(req), std::move(ctx));
      } else {
        auto b = std::make_shared<bare_socket>(std::move(s));
        auto r = std::make_shared<feed::beast_request>(std::move(req));
        b->ws.async_accept(*r, [b, r, &bare, i](core::error_code ec) {
          if (!ec) bare[i].sockets.push_back(b);
        });
      }
    };
    net::co_spawn(pool.at(i), accept_loop(*acc, on_upgrade), net::detached);
    acceptors.push_back(std::move(acc));
  }
  pool.run();

  // Clients on their own thread.
  net::io_context client_ctx{1};
  client_stats st;
  std::atomic<int> connected{0};
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), m == mode::node ? peer.port() : port);
  for (int i = 0; i < subscribers; ++i) net::co_spawn(client_ctx, client(ep, st, connected), net::detached);
  std::thread client_thread([&] { client_ctx.run(); });
  while (connected.load() < subscribers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Sessions subscribe right after their handshake: wait until all have.
  if (use_bus)
    while (bus.subscribers() < static_cast<std::size_t>(subscribers))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Publisher: closed loop, `window` events outstanding per socket, batches of `batch` events.
  const std::uint64_t window = 32;
  const int batch = 8;
  std::uint64_t published = 0;
  std::int64_t next_id = 1;
  auto start = clock_type::now();
  auto end = start + std::chrono::duration<double>(seconds);
  const std::uint64_t received_before = st.received.load();
  while (clock_type::now() < end) {
    std::uint64_t delivered_events = (st.received.load(std::memory_order_relaxed) - received_before) / subscribers;
    if (published - delivered_events >= window) {
      // Sleep, not spin: on two cores a spinning publisher would take a reactor's CPU.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    // Fixed-rate mode (events/s): latency at a given load rather than at saturation.
    if (rate > 0 && clock_type::now() < start + std::chrono::duration<double>(static_cast<double>(published) / rate)) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    if (use_bus) {
      // What the store writer hands the bus: committed events, serialized once inside.
      std::vector<store::events::event> evs;
      for (int k = 0; k < batch; ++k)
        evs.push_back({next_id++, "usr_bench", "ins_bench", "message.received",
                       "{\"t\":" + std::to_string(now_ns()) + "}", 1700000000000});
      bus.publish(evs);
    } else if (m == mode::node) {
      // The same strings, one per line, to the Node peer, which sends each to every socket.
      std::string lines;
      for (int k = 0; k < batch; ++k) lines += bench_event(next_id++) + "\n";
      if (!peer.send(lines)) break;
    } else {
      for (int k = 0; k < batch; ++k) {
        // Bare: the message string is built, then the same bytes go to every socket.
        auto msg = std::make_shared<const std::string>(bench_event(next_id++));
        for (std::size_t i = 0; i < reactors; ++i)
          net::post(pool.at(i), [&bare, i, msg] {
            for (auto& s : bare[i].sockets) s->send(msg);
          });
      }
    }
    published += batch;
  }
  auto measured = clock_type::now() - start;
  std::uint64_t received = st.received.load() - received_before;

  result r;
  r.deliveries_per_s = static_cast<double>(received) / std::chrono::duration<double>(measured).count();
  r.closed_slow = bus.closed_too_slow.load();
  // Stop: close everything, collect latencies.
  pool.stop();
  client_ctx.stop();
  client_thread.join();
  pool.join();
  std::vector<std::int64_t> lat;
  {
    std::lock_guard lk(st.mu);
    lat = std::move(st.latencies_ns);
  }
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    r.p50_us = static_cast<double>(lat[lat.size() / 2]) / 1000.0;
    r.p99_us = static_cast<double>(lat[lat.size() * 99 / 100]) / 1000.0;
  }
  for (auto& a : acceptors) a.reset();
  bare.clear();
  pool_owner.reset();  // destroys the sessions (they unsubscribe from the live bus)
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  int subscribers = argc > 2 ? std::atoi(argv[2]) : 1000;
  std::size_t reactors = argc > 3 ? static_cast<std::size_t>(std::atoi(argv[3])) : 2;
  double rate = argc > 4 ? std::atof(argv[4]) : 0;  // events/s; 0: as fast as delivered
  std::printf("feed_bench: %d subscribers (one user), %zu server reactor(s), 1 client thread, %.1f s per mode, %s\n",
              subscribers, reactors, seconds,
              rate > 0 ? ("publishing " + std::to_string(static_cast<long>(rate)) + " events/s").c_str()
                       : "publishing as fast as delivered (32 events in flight per socket)");
  auto base = run(mode::bare, seconds, subscribers, reactors, rate);
  std::printf("bare beast broadcaster : %10.0f deliveries/s  p50 %8.0f us  p99 %8.0f us\n", base.deliveries_per_s,
              base.p50_us, base.p99_us);
  auto feed = run(mode::feed, seconds, subscribers, reactors, rate);
  std::printf("feed::bus + sessions   : %10.0f deliveries/s  p50 %8.0f us  p99 %8.0f us  (closed too slow: %llu)\n",
              feed.deliveries_per_s, feed.p50_us, feed.p99_us, static_cast<unsigned long long>(feed.closed_slow));
  std::printf("ratio feed/bare        : %10.2f\n", feed.deliveries_per_s / base.deliveries_per_s);
  if (!bench::node_peer_installed("feed_ws.js", {"ws"})) {
    bench::print_node_peer_skipped("node ws peer           ");
    return 0;
  }
  auto node = run(mode::node, seconds, subscribers, reactors, rate);
  std::printf("node ws broadcaster    : %10.0f deliveries/s  p50 %8.0f us  p99 %8.0f us\n", node.deliveries_per_s,
              node.p50_us, node.p99_us);
  if (node.deliveries_per_s > 0)
    std::printf("ratio Enfinito/Node    : %10.2f\n", feed.deliveries_per_s / node.deliveries_per_s);
  return 0;
}
