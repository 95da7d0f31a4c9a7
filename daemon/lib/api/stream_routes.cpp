// GET /v1/stream (the live feed's WebSocket upgrade) and POST /v1/stream/ticket: who may
// subscribe, to what; the socket itself is feed::start_session's.
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/stream_routes.hpp>
#include <enfinito/feed/bus.hpp>
#include <enfinito/feed/event_log.hpp>
#include <enfinito/feed/session.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include "api/checked.hpp"
#include "api/event_filter.hpp"
#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <variant>

namespace enfinito::api {
namespace {

using namespace detail;  // the shared filter parsing (event_filter.hpp)

using http::response;
using http::status;

std::optional<std::int64_t> parse_id(std::string_view s) { return parse_count(s, 0, INT64_MAX); }

// A feed connection slot taken before the upgrade; given to the session once it starts.
struct slot_guard {
  explicit slot_guard(feed::bus* b) : bus(b) {}
  ~slot_guard() {
    if (bus) bus->release_connection();
  }
  feed::bus* bus;
};

feed::session_context take(feed::session_context& ctx, slot_guard& slot) {
  feed::session_context c = std::move(ctx);
  c.holds_slot = slot.bus != nullptr;
  slot.bus = nullptr;
  return c;
}

// Who subscribes: the feed's user and instance scope, or the problem to answer.
net::awaitable<std::variant<feed::ticket_book::grant, response>> who_subscribes(services& s, http::request& req) {
  if (auto t = req.query_param("ticket")) {
    auto g = s.tickets->redeem(*t);
    if (!g) co_return unauthenticated("the ticket is unknown, used or expired");
    co_return std::move(*g);
  }
  if (!req.header("Authorization")) {
    // A cookie rides along on any site's WebSocket handshake (no CORS there): only our own
    // pages may use it. No Origin (a non-browser) with a cookie is refused too.
    bool has_cookie = req.header("Cookie") && request_cookie(req, session_cookie_name(s.cfg));
    if (!has_cookie) co_return unauthenticated("send an API key, a ticket, or sign in");
    auto origin = req.header("Origin");
    if (!origin || *origin != auth::public_origin(s.cfg.server.public_url))
      co_return http::problem(status::forbidden, "origin_rejected", "Cross-origin feed refused",
                              "a cookie-authenticated feed must come from this service's public origin");
  }
  ENF_AUTH(p, access::read);
  co_return feed::ticket_book::grant{p.user_id, p.instance_ids};
}

net::awaitable<response> stream(services& s, http::request& req) {
  ENF_TRY(g, co_await who_subscribes(s, req));

  if (!beast::websocket::is_upgrade(req.msg)) {
    auto r = http::problem(status::upgrade_required, "websocket_required", "This route is a WebSocket",
                           "connect with a WebSocket client (Upgrade: websocket)");
    r.set(http::bhttp::field::upgrade, "websocket");
    r.set(http::bhttp::field::connection, "Upgrade");
    co_return r;
  }

  feed::subscription sub;
  sub.user_id = g.user_id;
  sub.scope = std::move(g.scope);
  if (auto a = req.query_param("after")) {
    auto v = parse_id(*a);
    if (!v) co_return http::field_problem("after", "an event id (0 or more)");
    sub.after = *v;
  }
  if (auto t = req.query_param("types"))
    if (!split_list(*t, sub.types, event_type_like))
      co_return http::field_problem("types", "up to 20 comma-separated event types, e.g. message.received");
  if (auto i = req.query_param("instances"))
    if (!split_list(*i, sub.instances, instance_id_like))
      co_return http::field_problem("instances", "up to 20 comma-separated instance ids");
  // An API key limited to some instances: naming another is a 404.
  const bool outside_scope =
      !sub.scope.empty() && std::any_of(sub.instances.begin(), sub.instances.end(), [&](const std::string& id) {
        return std::find(sub.scope.begin(), sub.scope.end(), id) == sub.scope.end();
      });
  if (outside_scope) co_return detail::instance_not_found();
  // Named instances must be the caller's: someone else's is the same 404 as none.
  bool missing = false;
  auto check = [&](store::connection& c) { return feed::check_owned(c, sub.user_id, sub.instances, missing); };
  if (!sub.instances.empty()) {
    auto ec = co_await s.db.read(check);
    if (ec) co_return http::problem(status::internal_server_error, "store_error", "The database failed");
    if (missing) co_return detail::instance_not_found();
  }

  if (!s.feed->try_acquire_connection(s.cfg.feed.max_connections)) {
    auto r = http::problem(status::service_unavailable, "feed_full", "Too many live-feed connections");
    r.set(http::bhttp::field::retry_after, "5");
    co_return r;
  }
  // The slot is released by the session, or by the guard if the server does not hand over.
  auto slot = std::make_shared<slot_guard>(s.feed);
  const auto& f = s.cfg.feed;
  auto ctx = std::make_shared<feed::session_context>();
  ctx->events = s.feed;
  ctx->db = &s.db;
  ctx->reactor = req.reactor;
  ctx->sub = std::move(sub);
  ctx->opts =
      feed::session_options{f.max_queued_messages,       f.max_queued_bytes,         f.ping_interval, f.write_timeout,
                            s.cfg.limits.header_timeout, f.max_client_message_bytes, f.catchup_page,  f.resume_wait};
  req.upgrade.plain = [ctx, slot](net::ip::tcp::socket&& sock, http::beast_request&& msg) {
    feed::start_session(std::move(sock), std::move(msg), take(*ctx, *slot));
  };
  req.upgrade.tls = [ctx, slot](ssl::stream<net::ip::tcp::socket>&& sock, http::beast_request&& msg) {
    feed::start_session(std::move(sock), std::move(msg), take(*ctx, *slot));
  };
  co_return response{status::switching_protocols, 11};
}

net::awaitable<response> issue_ticket(services& s, http::request& req) {
  ENF_AUTH(p, access::read);
  auto t = s.tickets->issue({p.user_id, p.instance_ids});
  if (!t) co_return http::problem(status::service_unavailable, "too_many_tickets", "Too many outstanding tickets");
  co_return http::json_response(status::created,
                                json::object{{"ticket", *t}, {"expires_in_ms", s.tickets->ttl().count()}});
}

}  // namespace

void register_stream_routes(http::router& r, services& s) {
  r.add(http::verb::get, "/v1/stream", "stream.connect", [&s](http::request& q) { return stream(s, q); });
  r.add(http::verb::post, "/v1/stream/ticket", "stream.ticket", [&s](http::request& q) { return issue_ticket(s, q); });
}

}  // namespace enfinito::api
