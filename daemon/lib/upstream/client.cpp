// upstream::client: outbound HTTP(S) calls with kept-alive connections per reactor and TLS
// session resumption. See include/enfinito/upstream/client.hpp for the contract.
#include <enfinito/upstream/client.hpp>

#include <enfinito/crypto/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace enfinito::upstream {
namespace {

using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

class error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "enfinito.upstream"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::timeout:
        return "upstream call timed out";
      case error::resolve_failed:
        return "cannot resolve the upstream host";
      case error::connect_failed:
        return "cannot connect to the upstream host";
      case error::tls_failed:
        return "TLS handshake with the upstream host failed";
      case error::io_failed:
        return "upstream connection broke";
      case error::response_too_large:
        return "upstream response too large";
      case error::bad_response:
        return "upstream response is not valid HTTP";
      case error::bad_url:
        return "URL is not http(s)://host[:port][/path]";
      case error::address_refused:
        return "the upstream host resolves to a refused address";
    }
    return "upstream error";
  }
};

// One connection: the (maybe TLS) stream and what is left in its read buffer.
struct connection {
  connection(const executor& ex, ssl::context& ctx) : stream(ex, ctx) {}
  ssl::stream<tcp::socket> stream;
  beast::flat_buffer buf;
  clock::time_point idle_since{};
  std::size_t uses = 0;
  bool clean = false;  // the last exchange completed: the TLS session is sound
  void close() {
    // Closing without close_notify makes OpenSSL mark the session unresumable when the SSL
    // object is freed. After a complete answer the session is sound, so say it was shut down.
    if (clean) SSL_set_shutdown(stream.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    core::error_code ignored;
    stream.next_layer().close(ignored);
  }
};

// An idle connection is worth reusing only if the peer has neither closed it nor sent
// anything since the last answer (a TLS close_notify, or junk). Non-blocking peek.
bool still_usable(connection& c) {
  auto& sock = c.stream.next_layer();
  if (!sock.is_open() || c.buf.size() != 0) return false;
  char byte;
  const auto n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;  // 0: closed; >0: unexpected bytes
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

bool idempotent(std::string_view method) { return method == "GET" || method == "HEAD" || method == "DELETE"; }

bool header_safe(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos && s.find('\0') == std::string_view::npos;
}

bool headers_safe(std::span<const std::pair<std::string_view, std::string_view>> hs) {
  for (const auto& [n, v] : hs)
    if (n.empty() || !header_safe(n) || n.find(':') != std::string_view::npos || !header_safe(v)) return false;
  return true;
}

// The serialized request, wiped when it goes away (it may hold a bearer token).
struct wiped {
  std::string s;
  ~wiped() {
    if (!s.empty()) core::detail::secure_wipe(s.data(), s.size());
  }
};

// The request head (it may hold the token: the caller wipes it). The body goes out as its
// own buffer, so a large upload is not copied into the head.
std::string serialize_head(const request& r, const origin& o, bool keep_alive) {
  std::string w;
  w.reserve(256 + r.target.size());
  w.append(r.method).append(" ").append(r.target).append(" HTTP/1.1\r\nHost: ").append(o.authority());
  w.append("\r\nUser-Agent: enfinito/" ENFINITO_VERSION "\r\nAccept: ").append(r.accept).append("\r\n");
  if (!keep_alive) w.append("Connection: close\r\n");
  if (r.bearer) w.append("Authorization: Bearer ").append(r.bearer->reveal()).append("\r\n");
  for (const auto& [name, value] : r.headers) w.append(name).append(": ").append(value).append("\r\n");
  const std::size_t length = r.body.size() + r.body_more[0].size() + r.body_more[1].size();
  if (length > 0 || r.method == "POST") {
    w.append("Content-Type: ").append(r.content_type.empty() ? std::string_view("application/json") : r.content_type);
    w.append("\r\nContent-Length: ").append(std::to_string(length)).append("\r\n");
  }
  w.append("\r\n");
  return w;
}

// What one write + read on a connection gave.
struct exchange_result {
  core::error_code ec;
  response answer;
  bool keep_alive = false;
  bool got_some = false;  // any byte of the answer arrived (then the request surely reached the peer)
};

// The head and the body's parts, as one gather write.
using wire_buffers = std::array<net::const_buffer, 4>;
wire_buffers gather(const std::string& head, const request& r) {
  return {net::buffer(head), net::buffer(r.body), net::buffer(r.body_more[0]), net::buffer(r.body_more[1])};
}

// What goes on the wire: the head and the body, and the answer's cap.
struct outgoing {
  wire_buffers wire;
  std::size_t max_response_bytes;
};

template <class Stream>
net::awaitable<exchange_result> exchange(Stream& s, beast::flat_buffer& buf, const outgoing& out_msg,
                                         const options& o) {
  exchange_result out;
  auto [wec, n] = co_await net::async_write(s, out_msg.wire, tuple_awaitable);
  (void)n;
  if (wec) {
    out.ec = error::io_failed;
    co_return out;
  }
  beast::http::response_parser<beast::http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
  parser.body_limit(out_msg.max_response_bytes);
  auto [rec, m] = co_await beast::http::async_read(s, buf, parser, tuple_awaitable);
  (void)m;
  out.got_some = parser.got_some();
  if (rec == beast::http::error::body_limit || rec == beast::http::error::header_limit) {
    out.ec = error::response_too_large;
    co_return out;
  }
  // The peer closing (before or during the answer) is a broken connection, not bad HTTP.
  const bool closed = rec == beast::http::error::end_of_stream || rec == beast::http::error::partial_message;
  if (rec && !closed && rec.category() == make_error_code(beast::http::error::bad_version).category()) {
    out.ec = error::bad_response;
    co_return out;
  }
  if (rec) {
    out.ec = error::io_failed;
    co_return out;
  }
  auto msg = parser.release();
  out.keep_alive = msg.keep_alive();
  out.answer.status = msg.result_int();
  if (auto ct = msg.find(beast::http::field::content_type); ct != msg.end())
    out.answer.content_type = std::string(ct->value());
  if (auto ra = msg.find(beast::http::field::retry_after); ra != msg.end())
    out.answer.retry_after = std::string(ra->value().substr(0, 64));
  out.answer.body = std::move(msg.body());
  co_return out;
}

}  // namespace

const boost::system::error_category& category() noexcept {
  static const error_category_impl c;
  return c;
}

std::string origin::authority() const {
  std::string a = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? "443" : "80")) a += ":" + port;
  return a;
}

core::result<url_parts> parse_url(std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return error::bad_url;
  url_parts p;
  const auto scheme = u->scheme();
  if (scheme == "https")
    p.where.tls = true;
  else if (scheme == "http")
    p.where.tls = false;
  else
    return error::bad_url;
  if (u->has_userinfo() || !u->has_authority() || u->has_fragment()) return error::bad_url;
  p.where.host = u->host_address();  // IPv6 without brackets
  if (p.where.host.empty()) return error::bad_url;
  if (u->has_port()) {
    // (port_number() wraps values over 65535, so the text is checked.)
    const std::string port(u->port());
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      return error::bad_url;
    const auto n = std::stoul(port);
    if (n == 0 || n > 65535) return error::bad_url;
    p.where.port = std::to_string(n);
  } else {
    p.where.port = p.where.tls ? "443" : "80";
  }
  p.target = std::string(u->encoded_path());
  if (p.target.empty()) p.target = "/";
  if (u->has_query()) p.target += "?" + std::string(u->encoded_query());
  return p;
}

// Idle connections per io_context, the TLS session to resume, and the counters.
struct client::pool {
  std::mutex mu;
  std::unordered_map<net::execution_context*, std::vector<std::unique_ptr<connection>>> idle;
  SSL_SESSION* session = nullptr;  // the newest resumable session (owned)
  bool closed = false;
  std::atomic<std::uint64_t> opened{0}, reused{0}, resumed{0};

  ~pool() {
    if (session) SSL_SESSION_free(session);
  }

  std::unique_ptr<connection> take(net::execution_context* ctx, const options& o) {
    std::vector<std::unique_ptr<connection>> stale;  // closed outside the lock
    std::unique_ptr<connection> out;
    {
      std::lock_guard lock(mu);
      auto it = idle.find(ctx);
      if (it == idle.end()) return nullptr;
      auto& list = it->second;
      const auto now = clock::now();
      while (!list.empty() && !out) {
        auto c = std::move(list.back());
        list.pop_back();
        if (now - c->idle_since < o.idle_timeout && still_usable(*c))
          out = std::move(c);
        else
          stale.push_back(std::move(c));
      }
    }
    for (auto& c : stale) c->close();
    return out;
  }

  void give_back(net::execution_context* ctx, std::unique_ptr<connection> c, const options& o) {
    c->idle_since = clock::now();
    std::lock_guard lock(mu);
    if (closed) return;  // destroyed here, closing the socket
    auto& list = idle[ctx];
    if (list.size() < o.max_idle_per_reactor) list.push_back(std::move(c));
  }

  void offer_session(SSL* ssl) {
    SSL_SESSION* s = SSL_get1_session(ssl);
    if (!s) return;
    if (!SSL_SESSION_is_resumable(s)) {
      SSL_SESSION_free(s);
      return;
    }
    std::lock_guard lock(mu);
    if (session) SSL_SESSION_free(session);
    session = s;
  }

  void resume_into(SSL* ssl) {
    std::lock_guard lock(mu);
    if (session) SSL_set_session(ssl, session);  // takes its own reference
  }
};

client::client(origin where, options opts, std::shared_ptr<ssl::context> tls)
    : origin_(std::move(where)), opts_(opts), tls_(std::move(tls)), pool_(std::make_unique<pool>()) {}

client::~client() = default;

std::shared_ptr<client> client::make(origin where, options opts, std::shared_ptr<ssl::context> tls) {
  return std::shared_ptr<client>(new client(std::move(where), opts, std::move(tls)));
}

client_stats client::stats() const noexcept {
  return {pool_->opened.load(), pool_->reused.load(), pool_->resumed.load()};
}

void client::close_idle() {
  std::unordered_map<net::execution_context*, std::vector<std::unique_ptr<connection>>> all;
  {
    std::lock_guard lock(pool_->mu);
    pool_->closed = true;
    all.swap(pool_->idle);
  }
  for (auto& [ctx, list] : all)
    for (auto& c : list) c->close();
}

namespace {

// Everything one call owns, shared with the deadline timer's handler, which closes the
// socket (ending whichever operation is pending).
struct call_state {
  explicit call_state(const executor& ex) : resolver(ex), timer(ex) {}
  tcp::resolver resolver;
  net::steady_timer timer;
  std::unique_ptr<connection> conn;
  bool timed_out = false;
  void close() {
    resolver.cancel();
    if (conn) conn->close();
  }
};

void arm(const std::shared_ptr<call_state>& st, clock::time_point deadline) {
  st->timer.expires_at(deadline);
  st->timer.async_wait([w = std::weak_ptr<call_state>(st)](core::error_code ec) {
    if (ec) return;  // re-armed or cancelled
    if (auto s = w.lock()) {
      s->timed_out = true;
      s->close();
    }
  });
}

}  // namespace

// A fresh connection into `st->conn`: resolve (with the SSRF guard), connect, TLS handshake
// with session resumption, all under the connect deadline; then the call's deadline is armed.
static net::awaitable<core::error_code> connect_fresh(std::shared_ptr<call_state> st, const origin& o,
                                                      const options& opts, ssl::context& tls, client::pool& pool,
                                                      clock::time_point deadline) {
  auto ex = co_await net::this_coro::executor;
  st->conn = std::make_unique<connection>(ex, tls);
  arm(st, std::min(deadline, clock::now() + opts.connect_timeout));
  auto [rec, results] = co_await st->resolver.async_resolve(o.host, o.port, tuple_awaitable);
  if (rec) co_return error::resolve_failed;
  // The SSRF guard: every resolved address must pass, and only those are connected to.
  bool refused = false;
  if (opts.address_filter)
    for (const auto& e : results)
      if (!opts.address_filter(e.endpoint().address())) refused = true;
  if (refused) co_return error::address_refused;
  // P5: every connection out is recorded with its purpose before it is made.
  if (opts.why)
    note_connect(*opts.why, o.host, o.port);
  else
    note_unnamed_connect(o.host, o.port);
  auto [cec, peer] = co_await net::async_connect(st->conn->stream.next_layer(), results, tuple_awaitable);
  (void)peer;
  if (cec) co_return error::connect_failed;
  core::error_code nodelay_ec;
  st->conn->stream.next_layer().set_option(tcp::no_delay(true), nodelay_ec);
  pool.opened.fetch_add(1, std::memory_order_relaxed);
  if (o.tls) {
    if (auto ec = crypto::prepare_client_stream(st->conn->stream, o.host)) co_return ec;
    pool.resume_into(st->conn->stream.native_handle());
    auto [hec] = co_await st->conn->stream.async_handshake(ssl::stream_base::client, tuple_awaitable);
    if (hec) co_return error::tls_failed;
    if (SSL_session_reused(st->conn->stream.native_handle())) pool.resumed.fetch_add(1, std::memory_order_relaxed);
  }
  arm(st, deadline);
  co_return core::error_code{};
}

// One attempt: on `st->conn` if set (a reused connection), else on a fresh one.
static net::awaitable<exchange_result> attempt(std::shared_ptr<call_state> st, const origin& o, const options& opts,
                                               ssl::context& tls, client::pool& pool, const outgoing& wire,
                                               clock::time_point deadline) {
  exchange_result out;
  const bool fresh = !st->conn;
  if (fresh) {
    auto ec = co_await connect_fresh(st, o, opts, tls, pool, deadline);
    if (ec) {
      out.ec = ec;
      co_return out;
    }
  }
  // (Not a ?: over two co_awaits: GCC 12 destroys the result twice.)
  if (o.tls)
    out = co_await exchange(st->conn->stream, st->conn->buf, wire, opts);
  else
    out = co_await exchange(st->conn->stream.next_layer(), st->conn->buf, wire, opts);
  st->conn->clean = !out.ec;
  // TLS 1.3 tickets arrive after the handshake: the session is worth keeping only now.
  if (!out.ec && fresh && o.tls) pool.offer_session(st->conn->stream.native_handle());
  co_return out;
}

// Nothing in the request may break the head's framing.
static bool request_safe(const request& r) {
  return header_safe(r.method) && header_safe(r.target) && header_safe(r.content_type) && header_safe(r.accept) &&
         headers_safe(r.headers) && !r.target.empty() && r.target.front() == '/' &&
         r.target.find(' ') == std::string_view::npos;
}

net::awaitable<core::result<response>> client::call(request r) {
  if (!request_safe(r)) co_return error::bad_url;
  auto ex = co_await net::this_coro::executor;
  auto* ctx = &net::query(ex, net::execution::context);
  const bool keep = opts_.max_idle_per_reactor > 0;
  const auto deadline = clock::now() + (r.timeout.count() > 0 ? r.timeout : opts_.timeout);
  wiped head;
  head.s = serialize_head(r, origin_, keep);
  const outgoing wire{gather(head.s, r), r.max_response_bytes ? r.max_response_bytes : opts_.max_response_bytes};

  auto st = std::make_shared<call_state>(ex);
  if (keep) st->conn = pool_->take(ctx, opts_);
  const bool reused = st->conn != nullptr;
  if (reused) {
    pool_->reused.fetch_add(1, std::memory_order_relaxed);
    arm(st, deadline);
  }
  exchange_result res = co_await attempt(st, origin_, opts_, *tls_, *pool_, wire, deadline);
  // A kept-alive connection the peer closed while we were writing: nothing was answered, so
  // an idempotent request is safe to send once more on a fresh connection.
  const bool retry = reused && res.ec == error::io_failed && !res.got_some && !st->timed_out && idempotent(r.method);
  if (retry) {
    st->conn->close();
    st->conn.reset();
    res = co_await attempt(st, origin_, opts_, *tls_, *pool_, wire, deadline);
  }
  st->timer.cancel();
  if (st->timed_out) {
    st->close();
    co_return error::timeout;
  }
  if (res.ec) {
    st->close();
    co_return res.ec;
  }
  st->conn->uses++;
  if (keep && res.keep_alive && st->conn->uses < opts_.max_requests_per_connection)
    pool_->give_back(ctx, std::move(st->conn), opts_);
  else
    st->close();
  co_return std::move(res.answer);
}

// ---- streamed answers ------------------------------------------------------------------------

// A buffer_body parser reads the body straight into the caller's buffer: the only other
// memory is the connection's read buffer (one socket read, about 64 KiB at most).
struct body_reader::state {
  std::shared_ptr<call_state> call;
  bool tls = false;
  beast::http::response_parser<beast::http::buffer_body> parser;
  std::string content_type;
  ~state() {
    call->timer.cancel();
    call->close();
  }
};

body_reader::body_reader(std::shared_ptr<state> st) : st_(std::move(st)) {}
body_reader::~body_reader() = default;

unsigned body_reader::status() const noexcept { return st_->parser.get().result_int(); }
const std::string& body_reader::content_type() const noexcept { return st_->content_type; }
std::optional<std::uint64_t> body_reader::content_length() const noexcept {
  const auto n = st_->parser.content_length();
  if (!n) return std::nullopt;
  return *n;
}

namespace {

// A read error as the caller sees it (the deadline closes the socket, so check it first).
core::error_code read_failure(const call_state& st, core::error_code ec) {
  if (st.timed_out) return error::timeout;
  if (ec == beast::http::error::body_limit || ec == beast::http::error::header_limit) return error::response_too_large;
  const bool closed = ec == beast::http::error::end_of_stream || ec == beast::http::error::partial_message;
  if (!closed && ec.category() == make_error_code(beast::http::error::bad_version).category())
    return error::bad_response;
  return error::io_failed;
}

using body_parser = beast::http::response_parser<beast::http::buffer_body>;

template <class Stream>
net::awaitable<core::error_code> write_all(Stream& s, const wire_buffers& wire) {
  auto [ec, n] = co_await net::async_write(s, wire, tuple_awaitable);
  (void)n;
  co_return ec;
}

template <class Stream>
net::awaitable<core::error_code> read_head(Stream& s, beast::flat_buffer& buf, body_parser& p) {
  auto [ec, n] = co_await beast::http::async_read_header(s, buf, p, tuple_awaitable);
  (void)n;
  co_return ec;
}

template <class Stream>
net::awaitable<core::error_code> read_piece(Stream& s, beast::flat_buffer& buf, body_parser& p) {
  auto [ec, n] = co_await beast::http::async_read_some(s, buf, p, tuple_awaitable);
  (void)n;
  co_return ec;
}

}  // namespace

net::awaitable<core::result<bool>> body_reader::read(std::string& out, std::size_t max) {
  auto& st = *st_;
  if (st.parser.is_done()) co_return false;
  if (max == 0) co_return true;
  const std::size_t before = out.size();
  out.resize(before + max);
  auto& body = st.parser.get().body();
  body.data = out.data() + before;
  body.size = max;
  // (Two plain statements, not a ?: over co_awaits: GCC 12.)
  core::error_code ec;
  if (st.tls)
    ec = co_await read_piece(st.call->conn->stream, st.call->conn->buf, st.parser);
  else
    ec = co_await read_piece(st.call->conn->stream.next_layer(), st.call->conn->buf, st.parser);
  out.resize(before + (max - body.size));
  body.data = nullptr;
  body.size = 0;
  if (ec == beast::http::error::need_buffer) ec = {};
  if (ec || st.call->timed_out) {
    core::result<bool> failed(boost::system::in_place_error, read_failure(*st.call, ec));
    co_return failed;
  }
  co_return !st.parser.is_done();
}

net::awaitable<core::result<std::unique_ptr<body_reader>>> client::open(request r) {
  if (!request_safe(r)) co_return error::bad_url;
  auto ex = co_await net::this_coro::executor;
  const auto deadline = clock::now() + (r.timeout.count() > 0 ? r.timeout : opts_.timeout);
  auto st = std::make_shared<body_reader::state>();
  st->call = std::make_shared<call_state>(ex);
  st->tls = origin_.tls;
  st->parser.header_limit(static_cast<std::uint32_t>(opts_.max_header_bytes));
  st->parser.body_limit(r.max_response_bytes ? r.max_response_bytes : opts_.max_response_bytes);
  // From here on the state's destructor cancels the deadline and closes the socket.
  auto cec = co_await connect_fresh(st->call, origin_, opts_, *tls_, *pool_, deadline);
  if (cec) {
    if (st->call->timed_out) co_return error::timeout;
    co_return cec;
  }
  {
    wiped head;
    head.s = serialize_head(r, origin_, false);
    const wire_buffers wire = gather(head.s, r);
    core::error_code wec;
    if (st->tls)
      wec = co_await write_all(st->call->conn->stream, wire);
    else
      wec = co_await write_all(st->call->conn->stream.next_layer(), wire);
    if (st->call->timed_out) co_return error::timeout;
    if (wec) co_return error::io_failed;
  }
  core::error_code rec;
  if (st->tls)
    rec = co_await read_head(st->call->conn->stream, st->call->conn->buf, st->parser);
  else
    rec = co_await read_head(st->call->conn->stream.next_layer(), st->call->conn->buf, st->parser);
  if (rec || st->call->timed_out) co_return read_failure(*st->call, rec);
  if (auto ct = st->parser.get().find(beast::http::field::content_type); ct != st->parser.get().end())
    st->content_type = std::string(ct->value().substr(0, 256));
  co_return std::make_unique<body_reader>(std::move(st));
}

}  // namespace enfinito::upstream
