// /webhooks/meta/{instance}: Meta's webhooks in, as HTTP. Each handler reads the request, calls
// the inbound flow (inbound/receive.hpp) and turns its verdict into Meta's answer.
#include <enfinito/api/meta_webhook_routes.hpp>
#include <enfinito/inbound/receive.hpp>

#include <memory>
#include <string>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

response unauthorized() {
  return http::problem(status::unauthorized, "invalid_signature", "The webhook signature is missing or wrong");
}

response unavailable() {
  auto r = http::problem(status::service_unavailable, "unavailable", "The webhook could not be stored now",
                         "nothing was stored; Meta retries");
  r.set(http::bhttp::field::retry_after, "5");
  return r;
}

response plain(status st, std::string body) {
  response res{st, 11};
  res.set(http::bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(http::bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response handshake_response(const inbound::handshake_answer& a) {
  switch (a.verdict) {
    case inbound::handshake_verdict::accepted:
      return plain(status::ok, std::string(a.challenge));
    case inbound::handshake_verdict::unavailable:
      return unavailable();
    case inbound::handshake_verdict::malformed:
      return http::problem(status::bad_request, "invalid_handshake",
                           "Expected hub.mode=subscribe, hub.verify_token and hub.challenge");
    case inbound::handshake_verdict::forbidden:
    case inbound::handshake_verdict::look_up:
      break;
  }
  // Unknown instance and wrong token get the same answer.
  return http::problem(status::forbidden, "verify_token_mismatch", "The verify token does not match");
}

response receipt_response(inbound::receipt r) {
  switch (r) {
    case inbound::receipt::accepted:
      return plain(status::ok, "");
    case inbound::receipt::unparsable:
      return http::problem(status::bad_request, "invalid_notification", "The notification is not Meta's format");
    case inbound::receipt::unavailable:
      return unavailable();
    case inbound::receipt::store_failed:
      return http::problem(status::internal_server_error, "store_error", "The webhook could not be stored",
                           "nothing was stored; Meta retries");
    case inbound::receipt::refused:
      break;
  }
  return unauthorized();
}

// The {instance} path parameter, bounded: it is only ever logged beyond the lookup.
std::string instance_param(const http::request& req) { return std::string(req.param("instance").substr(0, 80)); }

inbound::origin origin_of(const http::request& req, const std::string& instance_id) {
  return {instance_id, req.request_id, req.reactor};
}

net::awaitable<response> verify(inbound::receiver& rx, http::request& req) {
  const auto mode = req.query_param("hub.mode");
  const auto token = req.query_param("hub.verify_token");
  const auto challenge = req.query_param("hub.challenge");
  const inbound::handshake_query q{mode, token, challenge};  // views of the named values above
  const auto id = instance_param(req);
  const auto from = origin_of(req, id);
  auto answer = co_await inbound::verify_subscription(rx, from, q);
  co_return handshake_response(answer);
}

net::awaitable<response> notify(inbound::receiver& rx, http::request& req) {
  const auto id = instance_param(req);
  const auto from = origin_of(req, id);
  const auto signature = req.header("X-Hub-Signature-256");
  const std::string_view body = req.msg.body();
  auto r = co_await inbound::receive(rx, from, signature, body);
  co_return receipt_response(r);
}

}  // namespace

void register_meta_webhook_routes(http::router& r, services& s) {
  using http::verb;
  inbound::receiver_options opts;
  opts.reactors = s.reactors.size();
  opts.credential_ttl = s.cfg.inbound.credential_cache_ttl;
  opts.max_body_bytes = s.cfg.inbound.max_body_bytes;
  opts.activity = s.webhook_activity.get();
  auto rx = std::make_shared<inbound::receiver>(inbound::credential_source{s.db, s.vault, s.blocking}, opts);
  r.add(verb::get, "/webhooks/meta/{instance}", "webhooks.meta.verify",
        [rx](http::request& q) { return verify(*rx, q); });
  http::route_options big;
  big.body_limit = s.cfg.inbound.max_body_bytes;
  r.add(
      verb::post, "/webhooks/meta/{instance}", "webhooks.meta.receive",
      [rx](http::request& q) { return notify(*rx, q); }, big);
}

}  // namespace enfinito::api
