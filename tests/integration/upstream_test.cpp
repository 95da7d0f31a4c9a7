// upstream::client against a scripted loopback server: kept-alive connections are reused,
// stale ones are noticed, TLS sessions resume, and every limit (deadline, size) holds.
#include "support/temp_dir.hpp"
#include "support/test_certs.hpp"

#include <enfinito/crypto/tls.hpp>
#include <enfinito/upstream/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

using namespace enfinito;
using tcp = net::ip::tcp;

namespace {

// How the scripted server answers one request.
enum class mode {
  keep_alive,    // 200, keep the connection open
  close_after,   // 200 with Connection: close
  drop_idle,     // 200 keep-alive, then close the socket 50 ms later
  never_answer,  // read the request, say nothing
  huge_body,     // 200 with a body over any small cap
  chunked_big,   // 200, chunked: three chunks of 100 KiB, no Content-Length
  stall_body,    // 200 announcing 1 MB, sends 1000 bytes, then nothing
};

// A blocking loopback server, one thread per connection (a handful per test). Records the
// number of connections and every request head it saw.
class scripted_server {
 public:
  scripted_server(mode m, std::shared_ptr<ssl::context> tls = nullptr)
      : mode_(m), tls_(std::move(tls)), acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    acceptor_.non_blocking(false);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~scripted_server() {
    stopping_ = true;
    core::error_code ec;
    // Wake the accept() with a connection of our own, then join everything.
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    std::lock_guard lock(mu_);
    for (auto& s : open_) s->shutdown(tcp::socket::shutdown_both, ec);
    for (auto& t : conn_threads_) t.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_.load(); }
  std::vector<std::string> heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }

 private:
  void accept_loop() {
    for (;;) {
      auto sock = std::make_shared<tcp::socket>(ioc_);
      core::error_code ec;
      acceptor_.accept(*sock, ec);
      if (ec || stopping_) return;
      ++connections_;
      std::lock_guard lock(mu_);
      open_.push_back(sock);
      conn_threads_.emplace_back([this, sock] { serve(sock); });
    }
  }
  template <class Stream>
  void exchange_loop(Stream& s, tcp::socket& raw) {
    net::streambuf buf;
    for (;;) {
      core::error_code ec;
      auto n = net::read_until(s, buf, "\r\n\r\n", ec);
      if (ec) return;
      std::string head(net::buffers_begin(buf.data()), net::buffers_begin(buf.data()) + n);
      buf.consume(n);
      {
        std::lock_guard lock(mu_);
        heads_.push_back(head);
      }
      if (auto cl = head.find("Content-Length: "); cl != std::string::npos) {
        const auto len = std::stoul(head.substr(cl + 16));
        if (buf.size() < len) net::read(s, buf, net::transfer_exactly(len - buf.size()), ec);
        buf.consume(len);
      }
      if (mode_ == mode::never_answer) continue;
      if (mode_ == mode::chunked_big) {
        std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (char c : {'a', 'b', 'c'}) answer += "19000\r\n" + std::string(100 * 1024, c) + "\r\n";
        answer += "0\r\n\r\n";
        net::write(s, net::buffer(answer), ec);
        if (ec) return;
        continue;
      }
      if (mode_ == mode::stall_body) {
        std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + std::string(1000, 'z');
        net::write(s, net::buffer(answer), ec);
        return;  // the socket stays open (the server holds it): the client must give up itself
      }
      std::string body = mode_ == mode::huge_body ? std::string(64 * 1024, 'x') : std::string("{\"ok\":true}");
      std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n";
      if (mode_ == mode::close_after) answer += "Connection: close\r\n";
      answer += "\r\n" + body;
      net::write(s, net::buffer(answer), ec);
      if (ec || mode_ == mode::close_after) return;
      if (mode_ == mode::drop_idle) {
        // A real wait: the connection is dropped only once idle for a while.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        // Shut down, not close: the destructor may shut the same socket down from the main
        // thread, and close() would write the socket object under its feet (ThreadSanitizer).
        raw.shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
    }
  }
  void serve(std::shared_ptr<tcp::socket> sock) {
    if (!tls_) return exchange_loop(*sock, *sock);
    ssl::stream<tcp::socket&> s(*sock, *tls_);
    core::error_code ec;
    s.handshake(ssl::stream_base::server, ec);
    if (!ec) exchange_loop(s, *sock);
  }

  mode mode_;
  std::shared_ptr<ssl::context> tls_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::shared_ptr<tcp::socket>> open_;
  std::vector<std::thread> conn_threads_;
  std::vector<std::string> heads_;
};

upstream::origin plain(const scripted_server& s) { return {false, "127.0.0.1", s.port()}; }

// Runs `n` sequential calls on one io_context; returns each result.
std::vector<core::result<upstream::response>> run_calls(std::shared_ptr<upstream::client> c, int n,
                                                        std::function<void(int)> between = {},
                                                        upstream::request r = {}) {
  net::io_context ioc(1);
  std::vector<core::result<upstream::response>> out;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < n; ++i) {
          if (between && i) between(i);
          auto got = co_await c->call(r);
          out.push_back(std::move(got));
        }
      },
      net::detached);
  ioc.run();
  c->close_idle();
  return out;
}

// Opens one streamed answer and reads it in pieces of at most `max`; records each piece's size.
struct streamed {
  core::error_code open_error;
  unsigned status = 0;
  std::optional<std::uint64_t> length;
  std::string body;
  std::vector<std::size_t> pieces;
  core::error_code read_error;
};

streamed read_streamed(std::shared_ptr<upstream::client> c, std::size_t max) {
  net::io_context ioc(1);
  streamed out;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        upstream::request r;
        auto opened = co_await c->open(r);
        if (!opened) {
          out.open_error = opened.error();
          co_return;
        }
        auto reader = std::move(*opened);
        out.status = reader->status();
        out.length = reader->content_length();
        bool more = true;
        std::string piece;
        core::result<bool> got = true;  // outside the loop (GCC 12)
        while (more) {
          piece.clear();
          got = co_await reader->read(piece, max);
          if (!got) {
            out.read_error = got.error();
            more = false;
          } else {
            more = *got;
            out.pieces.push_back(piece.size());
            out.body += piece;
          }
        }
      },
      net::detached);
  ioc.run();
  c->close_idle();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(upstream_client)

BOOST_AUTO_TEST_CASE(a_streamed_answer_arrives_in_bounded_pieces) {
  scripted_server srv(mode::chunked_big);
  auto c = upstream::client::make(plain(srv), {}, *crypto::make_client_context());
  auto got = read_streamed(c, 4096);
  BOOST_TEST(!got.open_error);
  BOOST_TEST(!got.read_error);
  BOOST_TEST(got.status == 200u);
  BOOST_TEST(!got.length.has_value());  // chunked: no length announced
  BOOST_TEST(got.body == std::string(100 * 1024, 'a') + std::string(100 * 1024, 'b') + std::string(100 * 1024, 'c'));
  BOOST_TEST(got.pieces.size() >= 75u);  // 300 KiB in pieces of at most 4 KiB
  for (auto n : got.pieces) BOOST_TEST(n <= 4096u);
  // The connection was this answer's alone: a second answer opens another.
  read_streamed(c, 65536);
  BOOST_TEST(srv.connections() == 2);
}

BOOST_AUTO_TEST_CASE(a_streamed_body_over_the_cap_fails_mid_way) {
  {
    // Announced: refused before any byte of the body.
    scripted_server srv(mode::huge_body);
    upstream::options o;
    o.max_response_bytes = 1024;
    auto c = upstream::client::make(plain(srv), o, *crypto::make_client_context());
    auto got = read_streamed(c, 4096);
    const auto too_large = make_error_code(upstream::error::response_too_large);
    BOOST_TEST((got.open_error == too_large || got.read_error == too_large));
    BOOST_TEST(got.body.empty());
  }
  // Not announced (chunked): the read that crosses the cap fails.
  scripted_server srv(mode::chunked_big);
  upstream::options o;
  o.max_response_bytes = 150 * 1024;
  auto c = upstream::client::make(plain(srv), o, *crypto::make_client_context());
  auto got = read_streamed(c, 8192);
  BOOST_TEST(!got.open_error);
  BOOST_TEST((got.read_error == make_error_code(upstream::error::response_too_large)));
  BOOST_TEST(got.body.size() <= 150u * 1024u);
}

BOOST_AUTO_TEST_CASE(the_deadline_covers_the_streamed_body) {
  scripted_server srv(mode::stall_body);
  upstream::options o;
  o.timeout = std::chrono::milliseconds(300);
  auto c = upstream::client::make(plain(srv), o, *crypto::make_client_context());
  const auto t0 = std::chrono::steady_clock::now();
  auto got = read_streamed(c, 4096);
  BOOST_TEST(!got.open_error);
  BOOST_TEST((got.length == std::optional<std::uint64_t>(1000000)));
  BOOST_TEST(got.body.size() == 1000u);
  BOOST_TEST((got.read_error == make_error_code(upstream::error::timeout)));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)));
}

BOOST_AUTO_TEST_CASE(urls_are_split_into_origin_and_target) {
  auto p = upstream::parse_url("https://graph.facebook.com/v23.0/123?fields=id");
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->where.tls);
  BOOST_TEST(p->where.port == "443");
  BOOST_TEST(p->where.authority() == "graph.facebook.com");
  BOOST_TEST(p->target == "/v23.0/123?fields=id");
  auto v6 = upstream::parse_url("http://[::1]:8080");
  BOOST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->where.host == "::1");
  BOOST_TEST(v6->where.authority() == "[::1]:8080");
  BOOST_TEST(v6->target == "/");
  for (auto bad : {"ftp://x", "https://u:p@x/", "https://x:0/", "https://x:65536/", "https://x/#f", "x/y", ""})
    BOOST_TEST(!upstream::parse_url(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(kept_alive_connections_are_reused) {
  scripted_server srv(mode::keep_alive);
  auto c = upstream::client::make(plain(srv), {}, *crypto::make_client_context());
  auto results = run_calls(c, 5);
  for (auto& r : results) {
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(r->content_type == "application/json");
  }
  BOOST_TEST(srv.connections() == 1);
  BOOST_TEST(c->stats().connections_opened == 1u);
  BOOST_TEST(c->stats().calls_on_reused_connection == 4u);
}

BOOST_AUTO_TEST_CASE(connection_close_and_no_keep_alive_open_a_connection_per_call) {
  scripted_server closing(mode::close_after);
  auto c = upstream::client::make(plain(closing), {}, *crypto::make_client_context());
  for (auto& r : run_calls(c, 3)) BOOST_TEST(r.has_value());
  BOOST_TEST(closing.connections() == 3);

  scripted_server alive(mode::keep_alive);
  upstream::options none;
  none.max_idle_per_reactor = 0;
  auto d = upstream::client::make(plain(alive), none, *crypto::make_client_context());
  for (auto& r : run_calls(d, 3)) BOOST_TEST(r.has_value());
  BOOST_TEST(alive.connections() == 3);
  for (auto& h : alive.heads()) BOOST_TEST(h.find("Connection: close") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_dropped_is_not_used_again) {
  scripted_server srv(mode::drop_idle);
  auto c = upstream::client::make(plain(srv), {}, *crypto::make_client_context());
  // A real wait between calls: the server drops the idle connection meanwhile.
  auto results = run_calls(c, 3, [](int) { std::this_thread::sleep_for(std::chrono::milliseconds(150)); });
  for (auto& r : results) BOOST_TEST(r.has_value());
  BOOST_TEST(srv.connections() == 3);
}

BOOST_AUTO_TEST_CASE(idle_connections_expire) {
  scripted_server srv(mode::keep_alive);
  upstream::options o;
  o.idle_timeout = std::chrono::milliseconds(1'000);
  auto c = upstream::client::make(plain(srv), o, *crypto::make_client_context());
  // A real wait between calls, past the 1 s idle timeout.
  auto results = run_calls(c, 2, [](int) { std::this_thread::sleep_for(std::chrono::milliseconds(1'100)); });
  for (auto& r : results) BOOST_TEST(r.has_value());
  BOOST_TEST(srv.connections() == 2);
}

BOOST_AUTO_TEST_CASE(the_bearer_token_is_sent_and_header_injection_refused) {
  scripted_server srv(mode::keep_alive);
  auto c = upstream::client::make(plain(srv), {}, *crypto::make_client_context());
  core::secret_string token{std::string("tok-123")};
  upstream::request r;
  r.method = "POST";
  r.target = "/v23.0/1/messages";
  r.body = "{}";
  r.bearer = &token;
  auto ok = run_calls(c, 1, {}, r);
  BOOST_REQUIRE(ok[0].has_value());
  auto heads = srv.heads();
  BOOST_REQUIRE_EQUAL(heads.size(), 1u);
  BOOST_TEST(heads[0].find("Authorization: Bearer tok-123\r\n") != std::string::npos);
  BOOST_TEST(heads[0].find("Content-Length: 2\r\n") != std::string::npos);
  r.target = "/x HTTP/1.1\r\nX-Evil: 1\r\n";
  auto bad = run_calls(c, 1, {}, r);
  BOOST_TEST((bad[0].error() == make_error_code(upstream::error::bad_url)));
  BOOST_TEST(srv.heads().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_deadline_ends_a_call_the_server_never_answers) {
  scripted_server srv(mode::never_answer);
  upstream::options o;
  o.timeout = std::chrono::milliseconds(300);
  auto c = upstream::client::make(plain(srv), o, *crypto::make_client_context());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_calls(c, 1);
  const auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST((r[0].error() == make_error_code(upstream::error::timeout)));
  BOOST_TEST(took < std::chrono::seconds(3));
}

BOOST_AUTO_TEST_CASE(a_body_over_the_cap_is_refused) {
  scripted_server srv(mode::huge_body);
  upstream::options o;
  o.max_response_bytes = 1024;
  auto c = upstream::client::make(plain(srv), o, *crypto::make_client_context());
  auto r = run_calls(c, 1);
  BOOST_TEST((r[0].error() == make_error_code(upstream::error::response_too_large)));
}

BOOST_AUTO_TEST_CASE(unreachable_hosts_fail_with_a_transport_error) {
  // A port nobody listens on (bound then closed).
  std::string port;
  {
    net::io_context tmp;
    tcp::acceptor a(tmp, {net::ip::make_address("127.0.0.1"), 0});
    port = std::to_string(a.local_endpoint().port());
  }
  auto c = upstream::client::make({false, "127.0.0.1", port}, {}, *crypto::make_client_context());
  auto r = run_calls(c, 1);
  BOOST_TEST((r[0].error() == make_error_code(upstream::error::connect_failed)));
}

BOOST_AUTO_TEST_CASE(tls_verifies_the_host_and_resumes_sessions) {
  test::temp_dir dir;
  auto certs = test::write_self_signed(dir.path());
  auto server_tls = crypto::make_server_context(certs.cert_path, certs.key_path);
  BOOST_REQUIRE(server_tls.has_value());
  scripted_server srv(mode::close_after, *server_tls);
  auto trust = crypto::make_client_context(certs.cert_path.string());
  BOOST_REQUIRE(trust.has_value());
  auto c = upstream::client::make({true, "localhost", srv.port()}, {}, *trust);
  for (auto& r : run_calls(c, 3)) BOOST_TEST(r.has_value());
  BOOST_TEST(srv.connections() == 3);
  // The first connection does a full handshake; later ones resume its session.
  BOOST_TEST(c->stats().tls_sessions_resumed >= 1u);

  // The system store alone does not trust a self-signed certificate.
  auto untrusted = upstream::client::make({true, "localhost", srv.port()}, {}, *crypto::make_client_context());
  auto r = run_calls(untrusted, 1);
  BOOST_TEST((r[0].error() == make_error_code(upstream::error::tls_failed)));
}

BOOST_AUTO_TEST_SUITE_END()
