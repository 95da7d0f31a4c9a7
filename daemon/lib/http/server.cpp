// http::server: per-reactor acceptors and the HTTP/1.1 session coroutine (plain and TLS). What
// the session does with a request before its body (limits, framing, spooling, 100 Continue,
// 404/405) is decided by http::admit (admission.cpp); the session only carries it out.
//
// Timeouts use one steady_timer per session whose expiry cancels the socket's pending
// operation (rather than beast::tcp_stream's expiry, which closes the socket): after a header
// or body timeout the session can still answer 408 before closing.
#include <enfinito/core/error.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/http/admission.hpp>
#include <enfinito/http/loggable_path.hpp>
#include <enfinito/http/server.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <optional>
#include <random>
#include <unordered_set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace enfinito::http {

using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using parser_t = bhttp::request_parser<bhttp::string_body>;
using spool_parser_t = bhttp::request_parser<bhttp::file_body>;

namespace {

class session_base;

// State owned by one reactor: its acceptor and its live sessions. Touched only on that reactor.
struct reactor_state {
  std::size_t index = 0;
  net::io_context* ctx = nullptr;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unordered_set<session_base*> sessions;
};

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(16, '0');
  auto v = rng();
  for (int i = 0; i < 16; ++i) id[i] = hex[(v >> (i * 4)) & 0xf];
  return id;
}

// A request body spooled to disk (route_options::spool_dir), mapped read-only for the
// handler. The file is unnamed (O_TMPFILE): it vanishes with its last reference, even after
// kill -9, so there is nothing to clean up. The bytes sit in the page cache, which the kernel
// may write back and drop, never in the daemon's heap.
class spooled_body {
 public:
  spooled_body() = default;
  spooled_body(const spooled_body&) = delete;
  spooled_body& operator=(const spooled_body&) = delete;
  ~spooled_body() {
    if (map_) ::munmap(map_, size_);
    if (place_) place_->fetch_sub(1);
  }

  // An unnamed file in `dir` for the parser's body to be written to.
  static core::error_code open(const std::string& dir, spool_parser_t& p) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
      // A filesystem without O_TMPFILE: a named file, unlinked at once (a crash between the
      // two calls can leave one behind; it holds nothing of anyone's until written).
      std::string name = dir + "/upload-XXXXXX";
      fd = ::mkostemp(name.data(), O_CLOEXEC);
      if (fd >= 0) ::unlink(name.c_str());
    }
    if (fd < 0) return {errno, boost::system::system_category()};
    beast::file_posix f;
    f.native_handle(fd);  // owns it from here
    core::error_code ec;
    p.get().body().reset(std::move(f), ec);
    return ec;
  }

  // Maps what the parser wrote (the file closes with the parser; the mapping outlives it).
  core::error_code map(spool_parser_t& p) {
    const int fd = p.get().body().file().native_handle();
    struct stat st {};
    if (::fstat(fd, &st) != 0) return {errno, boost::system::system_category()};
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ == 0) return {};
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      size_ = 0;
      return {errno, boost::system::system_category()};
    }
    map_ = m;
    return {};
  }

  std::string_view bytes() const { return {static_cast<const char*>(map_), map_ ? size_ : 0}; }

  // One of the route's spool places (route_options::spool_max), held until the request ends.
  bool reserve(const route_options& o) {
    if (!o.spooling || o.spool_max == 0) return true;
    if (o.spooling->fetch_add(1) >= o.spool_max) {
      o.spooling->fetch_sub(1);
      return false;
    }
    place_ = o.spooling;
    return true;
  }

 private:
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::shared_ptr<std::atomic<std::size_t>> place_;
};

}  // namespace

struct server::impl {
  impl(const router& r, server_options o, request_metrics& m, std::atomic<bool>* d)
      : routes(r), opts(std::move(o)), metrics(m), draining(d) {}
  const router& routes;
  server_options opts;
  request_metrics& metrics;
  std::vector<reactor_state> reactors;
  std::atomic<std::size_t> open{0};
  std::atomic<bool>* draining = nullptr;
  bool tls() const { return static_cast<bool>(opts.tls); }
};

namespace {

class session_base {
 public:
  virtual ~session_base() = default;
  /** Closes the connection now if it is between requests (drain). */
  virtual void on_drain() = 0;
};

constexpr std::string_view hsts_value = "max-age=31536000";

// How often an expired session timer cancels again (see session::arm).
constexpr auto recancel_interval = std::chrono::milliseconds(50);

/** The headers every response carries that do not change per request. */
void decorate_fixed(response& res) {
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  if (res.find(bhttp::field::cache_control) == res.end()) res.set(bhttp::field::cache_control, "no-store");
  if (res.find("Content-Security-Policy") == res.end())
    res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

/** Adds the headers every response carries. */
void decorate(response& res, const std::string& request_id, bool tls) {
  res.set("X-Request-Id", request_id);
  decorate_fixed(res);
  if (tls) res.set(bhttp::field::strict_transport_security, hsts_value);
}

/** The problem+json of an answer admission.hpp decided. */
response refusal_response(const refusal& r) {
  auto res = problem(bhttp::int_to_status(r.status), r.code, r.title);
  if (r.retry_later) res.set(bhttp::field::retry_after, "5");
  if (r.status == 405) res.set(bhttp::field::allow, r.allow);
  return res;
}

template <class Stream>
class session final : public session_base, public std::enable_shared_from_this<session<Stream>> {
 public:
  template <class... Args>
  session(server::impl& srv, std::shared_ptr<server::impl> keep, reactor_state& r, tcp::socket sock,
          Args&&... stream_args)
      : srv_(srv),
        keep_(std::move(keep)),
        reactor_(r),
        stream_(std::move(sock), std::forward<Args>(stream_args)...),
        timer_(lowest().get_executor()) {
    boost::system::error_code ec;
    remote_ = lowest().remote_endpoint(ec).address();
  }

  ~session() override {
    reactor_.sessions.erase(this);
    srv_.open.fetch_sub(1);
    srv_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() {
    reactor_.sessions.insert(this);
    core::spawn(lowest().get_executor(), run(this->shared_from_this()),
                core::on_exception::terminate("http.session_crashed"));
  }

  void on_drain() override {
    if (idle_) {
      closing_ = true;
      boost::system::error_code ec;
      lowest().cancel(ec);
    }
  }

 private:
  tcp::socket& lowest() {
    if constexpr (std::is_same_v<Stream, tcp::socket>)
      return stream_;
    else
      return stream_.next_layer();
  }

  // Arms the session timer; on expiry the pending socket operation is cancelled. A cancel
  // reaches only the operation pending at that instant: when the operation's own completion
  // was already queued (the timer and the socket became ready in the same reactor turn), the
  // cancel misses it, and the coroutine, or a composed write, goes on to a next operation with
  // no deadline, open for as long as the peer trickles bytes or stops reading. So once expired,
  // the timer cancels again every `recancel_interval` until the session re-arms or disarms.
  // The generation keeps an expiry already queued when the session disarmed from acting.
  void arm(clock::time_point deadline) {
    timed_out_ = false;
    ++timer_generation_;
    timer_.expires_at(deadline);
    wait_timer();
  }
  void disarm() {
    ++timer_generation_;
    timer_.cancel();
  }
  void wait_timer() {
    timer_.async_wait([weak = this->weak_from_this(), generation = timer_generation_](core::error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->timer_generation_ != generation) return;
      self->timed_out_ = true;
      boost::system::error_code ignored;
      self->lowest().cancel(ignored);
      self->timer_.expires_after(recancel_interval);
      self->wait_timer();
    });
  }

  // Reads whatever bytes are available into buffer_ (bounded by its max size).
  net::awaitable<std::size_t> read_some(core::error_code& ec) {
    if (buffer_.size() >= buffer_.max_size()) {
      ec = bhttp::error::header_limit;
      co_return 0;
    }
    auto space = std::min<std::size_t>(16 * 1024, buffer_.max_size() - buffer_.size());
    std::size_t n =
        co_await stream_.async_read_some(buffer_.prepare(space), net::redirect_error(net::use_awaitable, ec));
    buffer_.commit(n);
    co_return n;
  }

  // RFC 9112 §5.2: a server must reject obsolete line folding (or rewrite it); we reject.
  bool has_obs_fold() const {
    auto data = buffer_.data();
    return http::has_obs_fold({static_cast<const char*>(data.data()), data.size()});
  }

  // `head_length`: the answer to a HEAD request, whose Content-Length is the GET body's size.
  net::awaitable<void> write(response res, bool keep_alive, std::chrono::milliseconds timeout = {},
                             std::optional<std::size_t> head_length = {}) {
    decorate(res, request_id_, srv_.tls());
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (head_length) res.content_length(*head_length);
    co_await send(res, timeout);
  }

  // A prepared answer (request::prepared): its head as serialised at startup, the fields that
  // change per request, the blank line and the body (none for HEAD), in one gathered write.
  // Beast writes `Connection: close` only when closing an HTTP/1.1 connection; so does this.
  net::awaitable<void> write_prepared(const prepared_answer& a, bool keep_alive, bool head_only,
                                      std::chrono::milliseconds timeout) {
    tail_.assign("X-Request-Id: ").append(request_id_).append("\r\n");
    if (srv_.tls()) tail_.append("Strict-Transport-Security: ").append(hsts_value).append("\r\n");
    if (!keep_alive) tail_.append("Connection: close\r\n");
    tail_.append("\r\n");
    const std::array<net::const_buffer, 3> parts{net::buffer(a.head), net::buffer(tail_),
                                                 net::buffer(head_only ? std::string_view{} : a.body)};
    arm(clock::now() + (timeout.count() > 0 ? timeout : srv_.opts.write_timeout));
    core::error_code ec;
    co_await net::async_write(stream_, parts, net::redirect_error(net::use_awaitable, ec));
    disarm();
    last_status_ = a.status;
    if (ec) write_failed_ = true;
  }

  template <class Body>
  net::awaitable<void> send(bhttp::response<Body>& res, std::chrono::milliseconds timeout) {
    arm(clock::now() + (timeout.count() > 0 ? timeout : srv_.opts.write_timeout));
    core::error_code ec;
    co_await bhttp::async_write(stream_, res, net::redirect_error(net::use_awaitable, ec));
    disarm();
    last_status_ = res.result_int();
    if (ec) write_failed_ = true;
  }

  // A streamed answer: the head with chunked encoding, then each part the producer gives.
  // Each part is written under the route's write timeout (a media download to a slow client
  // may wait on it for long), else the server's.
  net::awaitable<void> write_streamed(response head, body_producer produce, bool keep_alive, bool head_only,
                                      std::chrono::milliseconds part_timeout) {
    if (part_timeout.count() <= 0) part_timeout = srv_.opts.write_timeout;
    decorate(head, request_id_, srv_.tls());
    bhttp::response<bhttp::empty_body> h{head.result(), 11};
    for (const auto& f : head) h.set(f.name_string(), f.value());
    h.keep_alive(keep_alive);
    h.chunked(true);
    last_status_ = h.result_int();
    bhttp::response_serializer<bhttp::empty_body> sr{h};
    core::error_code ec;
    arm(clock::now() + srv_.opts.write_timeout);
    co_await bhttp::async_write_header(stream_, sr, net::redirect_error(net::use_awaitable, ec));
    disarm();
    if (ec) {
      write_failed_ = true;
      co_return;
    }
    if (head_only) co_return;  // HEAD: the head says chunked, and no body follows
    std::string chunk;
    boost::system::result<bool> more = true;
    while (more && *more) {
      chunk.clear();
      more = co_await produce(chunk);
      if (!more) break;
      if (chunk.empty()) continue;
      arm(clock::now() + part_timeout);
      co_await net::async_write(stream_, bhttp::make_chunk(net::buffer(chunk)),
                                net::redirect_error(net::use_awaitable, ec));
      disarm();
      if (ec) break;
    }
    if (!more || ec) {
      if (!more)
        core::log::error("http.stream_aborted", {{"request_id", request_id_}, {"error", more.error().message()}});
      write_failed_ = true;  // no last chunk: the client sees an incomplete body
      co_return;
    }
    arm(clock::now() + srv_.opts.write_timeout);
    co_await net::async_write(stream_, bhttp::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
    disarm();
    if (ec) write_failed_ = true;
  }

  // Answers a refusal and closes: the connection's framing can no longer be trusted, or the
  // client must come back later.
  net::awaitable<void> fail(const refusal& r) {
    linger_ = true;
    co_await write(refusal_response(r), false);
  }

  net::awaitable<void> shutdown() {
    boost::system::error_code ec;
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      arm(clock::now() + std::chrono::seconds(2));
      co_await stream_.async_shutdown(net::redirect_error(net::use_awaitable, ec));
      disarm();
    }
    lowest().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_) co_await drain_unread();
    lowest().close(ec);
  }

  // After refusing a request whose body we did not read (413, a malformed body), closing at
  // once would make the kernel answer the client's still-arriving bytes with a reset, which
  // can destroy our answer before the client reads it (RFC 9112 §9.6). So read and discard
  // for a short, bounded while (1 s, 16 MiB) until the client closes its side.
  net::awaitable<void> drain_unread() {
    std::array<char, 16 * 1024> sink;
    std::size_t total = 0;
    core::error_code ec;
    arm(clock::now() + std::chrono::seconds(1));
    while (!ec && total < 16 * 1024 * 1024) {
      const auto n = co_await lowest().async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, ec));
      total += n;
    }
    disarm();
  }

  static net::awaitable<void> run(std::shared_ptr<session> self) { co_await self->serve(); }

  // Gives the stream to the upgrade handler; this session ends without touching it again.
  void hand_over(upgrade_handler upgrade, beast_request msg) {
    disarm();
    handed_over_ = true;
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      if (upgrade.plain) upgrade.plain(std::move(stream_), std::move(msg));
    } else {
      if (upgrade.tls) upgrade.tls(std::move(stream_), std::move(msg));
    }
  }

  net::awaitable<void> serve() {
    core::error_code ec;
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      arm(clock::now() + srv_.opts.header_timeout);
      co_await stream_.async_handshake(ssl::stream_base::server, net::redirect_error(net::use_awaitable, ec));
      disarm();
      if (ec) {
        if (!core::is_benign(ec) && !timed_out_)
          core::log::debug("http.tls_handshake_failed", {{"error", ec.message()}});
        co_return;
      }
    }
    std::size_t served = 0;
    for (;;) {
      bool keep = co_await serve_one(served == 0, served + 1 >= srv_.opts.max_requests_per_connection);
      ++served;
      if (!keep || write_failed_ || served >= srv_.opts.max_requests_per_connection) break;
    }
    if (handed_over_) co_return;  // the socket belongs to an upgrade handler now
    co_await shutdown();
  }

  // Reads the rest of a request's body into parser `p` (string or spool file), each read
  // bounded by the body idle timeout.
  template <class Parser>
  net::awaitable<core::error_code> read_body(Parser& p) {
    core::error_code ec;
    p.eager(true);
    while (!p.is_done()) {
      if (buffer_.size() > 0) {
        auto used = p.put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == bhttp::error::need_more) ec = {};
        if (ec || p.is_done()) break;
      }
      arm(clock::now() + srv_.opts.body_idle_timeout);
      co_await read_some(ec);
      disarm();
      if (ec == net::error::eof) ec = bhttp::error::partial_message;
      if (ec) break;
    }
    co_return ec;
  }

  // Reads a request's head into `parser`. Until the first byte arrives the connection is idle
  // (keep-alive timeout); from the first byte (`got_bytes`, `started`) the request must complete
  // its head within header_timeout, however slowly the bytes trickle in. Reads are done here,
  // byte counts in hand, rather than by beast::http::async_read_some, which waits internally
  // for a complete header.
  net::awaitable<core::error_code> read_head(parser_t& parser, bool first, bool& got_bytes,
                                             clock::time_point& started) {
    core::error_code ec;
    arm(started + (got_bytes || first ? srv_.opts.header_timeout : srv_.opts.keepalive_timeout));
    for (;;) {
      if (buffer_.size() > 0) {
        if (has_obs_fold()) {
          ec = bhttp::error::bad_value;
          break;
        }
        auto used = parser.put(buffer_.data(), ec);
        // The head as received, for the framing verdict (Beast's fields are trimmed).
        if (!ec && parser.is_header_done()) head_bytes_.assign(static_cast<const char*>(buffer_.data().data()), used);
        buffer_.consume(used);
        if (ec == bhttp::error::need_more) ec = {};
        if (ec || parser.is_header_done()) break;
      }
      std::size_t n = co_await read_some(ec);
      if (!got_bytes && n > 0) {
        got_bytes = true;
        idle_ = false;
        started = clock::now();
        arm(started + srv_.opts.header_timeout);
      }
      if (ec) break;
    }
    disarm();
    idle_ = false;
    co_return ec;
  }

  // Sends `100 Continue`; false when the write failed (the connection is done).
  net::awaitable<bool> send_continue() {
    core::error_code ec;
    bhttp::response<bhttp::empty_body> cont{status::continue_, 11};
    arm(clock::now() + srv_.opts.write_timeout);
    co_await bhttp::async_write(stream_, cont, net::redirect_error(net::use_awaitable, ec));
    disarm();
    co_return !ec;
  }

  // Reads the body as admitted (each read bounded by the idle timeout): into `parser`, or for
  // a spooling route into an unnamed file in its spool_dir (then `spooling` holds the parser,
  // `spooled_head` the head and `spooled` the mapped file). False: the request ended here
  // (answered if there was anything to answer); the connection closes.
  net::awaitable<bool> read_admitted_body(const admission& a, const route* found, parser_t& parser,
                                          std::optional<spool_parser_t>& spooling, spooled_body& spooled,
                                          beast_request& spooled_head) {
    const bool spool = a.body == body_plan::spool;
    // Refused before the body (and before a 100 Continue): a client never uploads in vain.
    if (spool && !spooled.reserve(found->options)) {
      co_await fail(media_busy);
      co_return false;
    }
    if (a.send_continue && !co_await send_continue()) co_return false;
    core::error_code ec;
    if (spool) {
      // The request is moved-from from here on; the caller's `path` and `query` still point
      // into its fields, which the move hands to `spooling` without copying.
      spooling.emplace(std::move(parser));
      spooling->body_limit(a.body_limit);
      spooled_head.base() = spooling->get().base();
      if (auto e = spooled_body::open(found->options.spool_dir, *spooling)) {
        core::log::error("http.spool_failed", {{"request_id", request_id_}, {"reason", e.message()}});
        co_await fail(spool_unavailable);
        co_return false;
      }
      ec = co_await read_body(*spooling);
      if (!ec) ec = spooled.map(*spooling);
    } else {
      ec = co_await read_body(parser);
    }
    if (!ec) co_return true;
    // The spool file goes before the answer does: a client that retries at once (the disk was
    // full) must find the space this body took already free.
    spooling.reset();
    if (const auto r = body_failure(ec, timed_out_)) co_await fail(r);
    co_return false;
  }

  // What a handler (or, without a route, admission) answers.
  struct handled {
    response res;
    body_producer streamed;
    upgrade_handler upgrade;
    const prepared_answer* prepared = nullptr;  // request::prepared
  };

  net::awaitable<handled> handle(match_result& m, const refusal& miss, beast_request& head, std::string_view path,
                                 std::string_view query, std::string_view spooled_bytes) {
    handled out;
    if (!m.found) {
      out.res = refusal_response(miss);
      co_return out;
    }
    request req{head, path, query, std::move(m.params), request_id_, remote_, reactor_.index, m.found};
    req.spooled_body = spooled_bytes;
    try {
      out.res = co_await m.found->fn(req);
      out.streamed = std::move(req.stream_body);
      out.upgrade = std::move(req.upgrade);
      out.prepared = req.prepared;
    } catch (const std::exception& e) {
      core::log::error("http.handler_threw",
                       {{"request_id", request_id_}, {"route", m.found->name}, {"what", e.what()}});
      out.res = problem(status::internal_server_error, "internal_error", "Internal error");
    }
    co_return out;
  }

  // Reads, handles and answers one request. Returns whether to keep the connection.
  net::awaitable<bool> serve_one(bool first, bool last) {
    parser_t parser;
    parser.header_limit(static_cast<std::uint32_t>(srv_.opts.header_bytes));
    // The body limit depends on the route, known only after the headers: until then, none.
    parser.body_limit(boost::none);
    request_id_ = new_request_id();

    // 1. Head.
    bool got_bytes = buffer_.size() > 0;
    idle_ = !got_bytes;
    if (closing_ || *srv_.draining) co_return false;
    auto started = clock::now();
    if (auto ec = co_await read_head(parser, first, got_bytes, started)) {
      if (closing_) co_return false;
      if (const auto r = head_failure(ec, timed_out_, got_bytes)) co_await fail(r);
      co_return false;
    }
    auto& msg = parser.get();

    // 2. Route and admission (admission.hpp): a refused head is answered and the connection
    //    closes; the bytes after it are never parsed as a request (request smuggling).
    std::string_view target = msg.target();
    auto qpos = target.find('?');
    std::string_view path = target.substr(0, qpos);
    std::string_view query = qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);
    auto m = srv_.routes.match(msg.method(), path);
    const auto a = admit(head_bytes_, msg, parser, m, {srv_.opts.body_bytes});
    if (a.refuse) {
      co_await fail(a.refuse);
      co_return false;
    }
    parser.body_limit(a.body_limit);

    // 3. Body. (`path` and `query` point into the spooled head once spooling; after a refused
    //    body they are not used.)
    std::optional<spool_parser_t> spooling;
    spooled_body spooled;
    beast_request spooled_head;  // a spooled request's header (its body is in the file)
    if (a.body != body_plan::none && !co_await read_admitted_body(a, m.found, parser, spooling, spooled, spooled_head))
      co_return false;
    auto& head = spooling ? spooled_head : msg;

    // 4. Handle.
    bool keep = head.keep_alive() && !a.close && !*srv_.draining && !last;
    const std::size_t route_index = m.found ? m.found->index : srv_.routes.routes().size();
    auto [res, streamed, upgrade, prepared] = co_await handle(m, a.miss, head, path, query, spooled.bytes());
    // HEAD: the head GET would have, Content-Length included (RFC 9110 §9.3.2), and no body.
    const bool head_only = head.method() == verb::head;
    std::optional<std::size_t> head_length;
    if (head_only) {
      head_length = res.body().size();
      res.body().clear();
    }

    // 4b. Upgrade (WebSocket): the handler accepted it; hand the connection over, unless bytes
    //     past the request already arrived (a client must wait for 101 before sending frames).
    if (upgrade && !spooling && beast::websocket::is_upgrade(msg) && buffer_.size() == 0 && !*srv_.draining) {
      // Logged first: `path` and `query` point into the request being handed over.
      observe(route_index, m.found, "GET", path, query, 101, started);
      hand_over(std::move(upgrade), parser.release());
      co_return false;
    }

    // 5. Answer.
    keep = keep && !*srv_.draining;
    const auto write_timeout = m.found ? m.found->options.write_timeout : std::chrono::milliseconds{};
    if (streamed)
      co_await write_streamed(std::move(res), std::move(streamed), keep, head_only, write_timeout);
    else if (prepared)
      co_await write_prepared(*prepared, keep, head_only, write_timeout);
    else
      co_await write(std::move(res), keep, write_timeout, head_length);
    if (core::log::enabled(core::log::level::debug))
      core::log::debug("http.request_headers", {{"request_id", request_id_}, {"headers", loggable_headers(head)}});
    const std::string_view method = bhttp::to_string(head.method());
    observe(route_index, m.found, method, path, query, last_status_, started);
    co_return keep;
  }

  // The answered request's metric and log line.
  void observe(std::size_t route_index, const route* found, std::string_view method, std::string_view path,
               std::string_view query, unsigned status, clock::time_point started) {
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started);
    srv_.metrics.observe(route_index, status, took);
    // The fields (copies, the redacted query) are built only when the line is written.
    if (!core::log::enabled(core::log::level::info)) return;
    core::log::info("http.request", {{"request_id", request_id_},
                                     {"method", method},
                                     {"path", loggable_path(path)},
                                     {"query", redact_query(query)},
                                     {"route", found ? std::string_view(found->name) : std::string_view("-")},
                                     {"status", status},
                                     {"us", took.count()}});
  }

  server::impl& srv_;
  std::shared_ptr<server::impl> keep_;  // the server state outlives every session
  reactor_state& reactor_;
  Stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_{64 * 1024};
  net::ip::address remote_;
  std::string request_id_;
  std::string head_bytes_;  // the current request's head as received (capacity kept across requests)
  std::string tail_;        // a prepared answer's per-request fields (capacity kept across requests)
  unsigned last_status_ = 0;
  bool idle_ = true;
  bool closing_ = false;
  bool timed_out_ = false;
  std::uint64_t timer_generation_ = 0;
  bool write_failed_ = false;
  bool linger_ = false;  // the client may still be sending: drain before closing
  bool handed_over_ = false;
};

net::awaitable<void> accept_loop(std::shared_ptr<server::impl> srv, reactor_state& r) {
  net::steady_timer backoff(*r.ctx);
  for (;;) {
    core::error_code ec;
    tcp::socket sock(*r.ctx);
    co_await r.acceptor->async_accept(sock, net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted || !r.acceptor->is_open()) co_return;
    if (ec) {
      // EMFILE/ENFILE and friends: pause instead of spinning on the error.
      core::log::warn("http.accept_failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    srv->metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
    if (srv->open.fetch_add(1) >= srv->opts.max_connections) {
      srv->open.fetch_sub(1);
      srv->metrics.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      sock.close(ignored);
      continue;
    }
    srv->metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    sock.set_option(tcp::no_delay(true), ec);
    if (srv->tls()) {
      std::make_shared<session<ssl::stream<tcp::socket>>>(*srv, srv, r, std::move(sock), *srv->opts.tls)->start();
    } else {
      std::make_shared<session<tcp::socket>>(*srv, srv, r, std::move(sock))->start();
    }
  }
}

}  // namespace

prepared_answer prepare_answer(response head, std::string_view body) {
  decorate_fixed(head);
  head.content_length(body.size());
  prepared_answer out{{}, body, head.result_int()};
  out.head.append("HTTP/1.1 ").append(std::to_string(head.result_int())).append(" ");
  out.head.append(head.reason()).append("\r\n");
  for (const auto& f : head) out.head.append(f.name_string()).append(": ").append(f.value()).append("\r\n");
  return out;
}

server::server(core::io_context_pool& pool, const router& routes, server_options opts, request_metrics& metrics)
    : pool_(pool), impl_(std::make_shared<impl>(routes, std::move(opts), metrics, &draining_)) {
  impl_->reactors.resize(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) {
    impl_->reactors[i].index = i;
    impl_->reactors[i].ctx = &pool.at(i);
  }
}

server::~server() = default;

core::error_code server::listen(const std::string& address, std::uint16_t port, std::string* why) {
  core::error_code ec;
  auto addr = net::ip::make_address(address, ec);
  if (ec) {
    if (why) *why = "server.listen: not an IP address";
    return ec;
  }
  std::uint16_t bound = port;
  for (auto& r : impl_->reactors) {
    auto acc = std::make_unique<tcp::acceptor>(*r.ctx);
    tcp::endpoint ep(addr, bound);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    // SO_REUSEPORT: every reactor has its own accept queue and the kernel spreads connections.
    if (!ec) acc->set_option(net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      if (why) *why = "cannot listen on " + address + ":" + std::to_string(bound) + ": " + ec.message();
      return ec;
    }
    bound = acc->local_endpoint().port();  // port 0: the first bind chooses, the rest share it
    r.acceptor = std::move(acc);
  }
  port_ = bound;
  return {};
}

void server::start() {
  listening_ = true;
  for (auto& r : impl_->reactors) {
    // A crash is logged; the other reactors go on accepting.
    core::spawn(*r.ctx, accept_loop(impl_, r), core::on_exception::log("http.accept_loop_crashed"));
  }
}

void server::stop_accepting() {
  listening_ = false;
  for (auto& r : impl_->reactors) {
    net::post(*r.ctx, [keep = impl_, &r] {
      boost::system::error_code ec;
      if (r.acceptor) r.acceptor->close(ec);
    });
  }
}

void server::drain() {
  draining_ = true;
  for (auto& r : impl_->reactors) {
    net::post(*r.ctx, [keep = impl_, &r] {
      // Copy first: on_drain may end a session, which erases it from the set.
      std::vector<session_base*> live(r.sessions.begin(), r.sessions.end());
      for (auto* s : live) s->on_drain();
    });
  }
}

void server::release_acceptors() {
  for (auto& r : impl_->reactors) r.acceptor.reset();
}

std::size_t server::open_connections() const noexcept { return impl_->open.load(); }

}  // namespace enfinito::http
