// /v1/instances/{id}/webhooks…: customer webhook endpoints, their delivery log, redelivery.
// Parse, authenticate, call hooks/endpoints.hpp for the writes, shape the answer.
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/hooks.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/hooks/endpoints.hpp>
#include <enfinito/hooks/engine.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/hooks.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

constexpr std::size_t max_event_types = 50;
constexpr std::size_t default_page = 50;
constexpr std::size_t max_page = 200;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using detail::store_problem;  // 503 + Retry-After when the disk is full
response instance_missing() { return http::problem(status::not_found, "instance_not_found", "No such instance"); }
response webhook_missing() { return http::problem(status::not_found, "webhook_not_found", "No such webhook endpoint"); }

bool event_type_like(std::string_view t) {
  return !t.empty() && t.size() <= 64 && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object view(const store::hooks::endpoint& e) {
  json::object o;
  o["id"] = e.id;
  o["instance_id"] = e.instance_id;
  o["url"] = e.url;
  boost::system::error_code ec;
  auto types = json::parse(e.event_types, ec);
  o["event_types"] = ec ? json::value(json::array{}) : std::move(types);
  o["format"] = e.format;
  o["state"] = e.state;
  if (e.paused_reason.empty())
    o["paused_reason"] = nullptr;
  else
    o["paused_reason"] = e.paused_reason;
  o["failure_count"] = e.failure_count;
  o["failing_since"] = opt(e.failing_since);
  o["created_at"] = e.created_at;
  o["updated_at"] = e.updated_at;
  return o;
}

json::object view(const store::hooks::delivery& d) {
  json::object o;
  o["id"] = d.id;
  o["event_id"] = d.event_id;
  o["event_type"] = d.event_type;
  o["attempts"] = d.attempts;
  o["state"] = d.delivered_at ? "delivered" : (d.next_attempt_at ? "pending" : "failed");
  o["next_attempt_at"] = d.delivered_at ? json::value(nullptr) : opt(d.next_attempt_at);
  o["last_status"] = opt(d.last_status);
  if (d.last_error.empty())
    o["last_error"] = nullptr;
  else
    o["last_error"] = d.last_error;
  o["last_attempt_at"] = opt(d.last_attempt_at);
  o["delivered_at"] = opt(d.delivered_at);
  o["created_at"] = d.created_at;
  return o;
}

// The fields of a create or PATCH body, validated. `url_checked` is set by check_target.
struct input {
  std::optional<std::string> url;
  std::optional<std::string> event_types;  // serialized JSON array
  std::optional<std::string> format;
  std::optional<std::string> state;
};

std::optional<response> read_input(const json::value& body, bool create, input& in) {
  if (!body.is_object()) return http::field_problem("", "the body must be a JSON object", "invalid_body");
  for (const auto& [k, v] : body.as_object()) {
    if (k == "url") {
      if (!v.is_string()) return http::field_problem("url", "must be a string");
      in.url = std::string(v.as_string());
    } else if (k == "event_types") {
      if (!v.is_array() || v.as_array().size() > max_event_types)
        return http::field_problem("event_types", "an array of up to 50 event types (empty: every type)");
      json::array clean;
      for (const auto& t : v.as_array()) {
        if (!t.is_string() || !event_type_like(t.as_string()))
          return http::field_problem("event_types", "event types look like message.received (a-z, 0-9, _ and .)");
        if (std::find(clean.begin(), clean.end(), t) == clean.end()) clean.push_back(t);
      }
      in.event_types = json::serialize(clean);
    } else if (k == "format") {
      if (!v.is_string() || (v.as_string() != "enfinito" && v.as_string() != "meta"))
        return http::field_problem("format", "enfinito (event JSON, Standard Webhooks) or meta (Meta's payload)");
      in.format = std::string(v.as_string());
    } else if (k == "state") {
      if (create) return http::field_problem("state", "set by PATCH only");
      if (!v.is_string() || (v.as_string() != "active" && v.as_string() != "paused"))
        return http::field_problem("state", "active or paused");
      in.state = std::string(v.as_string());
    } else {
      return http::field_problem(k, "unknown field", "unknown_field");
    }
  }
  if (create && !in.url) return http::field_problem("url", "required");
  return std::nullopt;
}

// The SSRF check at registration (hooks/endpoints.hpp), as this API's refusal.
net::awaitable<std::optional<response>> check_target(services& s, const std::string& url) {
  std::string why = co_await hooks::check_target(s.cfg.customer_webhooks, url);
  std::optional<response> out;
  if (!why.empty()) out = http::field_problem("url", why, "url_refused");
  co_return out;
}

hooks::endpoint_context writes(services& s, store::audit::actor who = {}) {
  return {s.db, *s.vault, s.blocking, s.cfg.customer_webhooks, std::move(who), s.cfg.quotas.webhook_endpoints};
}

// Reads the caller's instance (and endpoint when `webhook_id` is given).
struct found {
  bool instance = false;
  bool endpoint = false;
  store::hooks::endpoint ep;
  core::error_code ec;
};

net::awaitable<found> lookup(services& s, const principal& p, const std::string& instance_id,
                             const std::string& webhook_id) {
  found f;
  auto read = [&](store::connection& c) -> core::error_code {
    store::instances::instance row;
    auto ec = store::instances::get(c, p.user_id, instance_id, row);
    if (ec == store::error::not_found) return {};
    if (ec) return ec;
    f.instance = true;
    if (webhook_id.empty()) return {};
    ec = store::hooks::get(c, p.user_id, instance_id, webhook_id, f.ep);
    if (ec == store::error::not_found) return {};
    if (!ec) f.endpoint = true;
    return ec;
  };
  f.ec = co_await s.db.read(read);
  co_return f;
}

// Authentication and the instance / endpoint lookup every handler starts with.
struct ctx {
  std::optional<response> stop;
  principal who;
  std::string instance_id;
  store::hooks::endpoint ep;
};

net::awaitable<ctx> begin(services& s, http::request& req, access need, bool with_endpoint) {
  ctx c;
  auto who = co_await authenticate(req, s, need);
  if (auto* r = std::get_if<response>(&who)) {
    c.stop = std::move(*r);
  } else {
    c.who = std::get<principal>(who);
    c.instance_id = std::string(req.param("id"));
    const std::string wid = with_endpoint ? std::string(req.param("webhook_id")) : std::string();
    if (!core::id_like(c.instance_id, "ins_") || !c.who.may_use_instance(c.instance_id))
      c.stop = instance_missing();
    else if (with_endpoint && !core::id_like(wid, "whk_"))
      c.stop = webhook_missing();
    if (!c.stop) {
      auto f = co_await lookup(s, c.who, c.instance_id, wid);
      if (f.ec)
        c.stop = store_problem(f.ec);
      else if (!f.instance)
        c.stop = instance_missing();
      else if (with_endpoint && !f.endpoint)
        c.stop = webhook_missing();
      else
        c.ep = std::move(f.ep);
    }
  }
  co_return c;
}

response with_secret(status st, const store::hooks::endpoint& e, const core::secret_string& secret) {
  auto o = view(e);
  o["secret"] = secret.reveal();  // shown once: create and rotate only
  auto res = http::json_response(st, o);
  res.set(http::bhttp::field::cache_control, "no-store");
  return res;
}

net::awaitable<response> create(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, false);
  if (c.stop) co_return std::move(*c.stop);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  input in;
  if (auto bad = read_input(*body.value, true, in)) co_return std::move(*bad);
  auto refused = co_await check_target(s, *in.url);
  if (refused) co_return std::move(*refused);

  store::hooks::endpoint e;
  e.id = "whk_" + crypto::random_token(16);
  e.instance_id = c.instance_id;
  e.user_id = c.who.user_id;
  e.url = *in.url;
  e.event_types = in.event_types.value_or("[]");
  e.format = in.format.value_or("enfinito");
  e.created_at = e.updated_at = now_ms();
  // Built before the co_await: the context owns strings (docs/engineering-notes.md, GCC 12).
  auto w = writes(s, audit_actor(c.who, req));
  auto made = co_await hooks::create_endpoint(w, e);
  if (made.ec) co_return store_problem(made.ec);
  if (made.over_quota) co_return quota_problem("webhook_endpoints", *made.over_quota);
  if (made.too_many)
    co_return http::problem(status::conflict, "too_many_webhooks",
                            "This instance has the most webhook endpoints allowed",
                            "delete one first (customer_webhooks.max_endpoints_per_instance)");
  auto res = with_secret(status::created, e, made.secret);
  res.set(http::bhttp::field::location, "/v1/instances/" + e.instance_id + "/webhooks/" + e.id);
  co_return res;
}

net::awaitable<response> list(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read, false);
  if (c.stop) co_return std::move(*c.stop);
  std::vector<store::hooks::endpoint> rows;
  auto read = [&](store::connection& conn) { return store::hooks::list(conn, c.who.user_id, c.instance_id, rows); };
  auto ec = co_await s.db.read(read);
  if (ec) co_return store_problem(ec);
  json::array data;
  for (const auto& e : rows) data.push_back(view(e));
  co_return http::json_response(status::ok, json::object{{"data", std::move(data)}});
}

net::awaitable<response> get_one(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read, true);
  if (c.stop) co_return std::move(*c.stop);
  co_return http::json_response(status::ok, view(c.ep));
}

net::awaitable<response> patch(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  input in;
  if (auto bad = read_input(*body.value, false, in)) co_return std::move(*bad);
  const std::string detail = hooks::audit_detail(c.ep, in.url.has_value(), in.event_types.has_value(),
                                                 in.format.has_value(), in.state.has_value());
  const auto who = audit_actor(c.who, req);
  if (in.url) {
    auto refused = co_await check_target(s, *in.url);
    if (refused) co_return std::move(*refused);
    c.ep.url = *in.url;
  }
  if (in.event_types) c.ep.event_types = *in.event_types;
  if (in.format) c.ep.format = *in.format;
  if (in.state && *in.state != c.ep.state) {
    c.ep.state = *in.state;
    c.ep.paused_reason = c.ep.state == "paused" ? "paused by the owner" : "";
  }
  const auto now = now_ms();
  auto write = [&](store::connection& conn) -> core::error_code {
    auto ec = store::hooks::update(conn, c.ep, now);
    if (ec) return ec;
    if (auto e = store::audit::record(conn, who, c.who.user_id, "webhook_endpoint_updated", detail)) return e;
    return store::hooks::get(conn, c.who.user_id, c.instance_id, c.ep.id, c.ep);
  };
  auto ec = co_await s.db.write(write);
  if (ec == store::error::not_found) co_return webhook_missing();
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::ok, view(c.ep));
}

net::awaitable<response> remove(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  const auto who = audit_actor(c.who, req);
  auto write = [&](store::connection& conn) -> core::error_code {
    if (auto ec = store::hooks::remove(conn, c.who.user_id, c.instance_id, c.ep.id)) return ec;
    return store::audit::record(conn, who, c.who.user_id, "webhook_endpoint_deleted", hooks::audit_detail(c.ep));
  };
  auto ec = co_await s.db.write(write);
  if (ec == store::error::not_found) co_return webhook_missing();
  if (ec) co_return store_problem(ec);
  core::log::info("hooks.endpoint_deleted", {{"instance", c.instance_id}, {"endpoint", c.ep.id}});
  co_return http::no_content();
}

net::awaitable<response> rotate(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  auto w = writes(s, audit_actor(c.who, req));
  auto got = co_await hooks::rotate_secret(w, c.ep);
  if (got.ec == store::error::not_found) co_return webhook_missing();
  if (got.ec) co_return store_problem(got.ec);
  co_return with_secret(status::ok, c.ep, got.secret);
}

net::awaitable<response> deliveries(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::read, true);
  if (c.stop) co_return std::move(*c.stop);
  std::int64_t before = 0;
  std::size_t limit = default_page;
  if (auto b = req.query_param("before")) {
    auto [p, e] = std::from_chars(b->data(), b->data() + b->size(), before);
    if (b->empty() || e != std::errc() || p != b->data() + b->size() || before < 1)
      co_return http::field_problem("before", "a cursor from next_before (a positive integer)");
  }
  if (auto l = req.query_param("limit")) {
    auto [p, e] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (l->empty() || e != std::errc() || p != l->data() + l->size() || limit < 1 || limit > max_page)
      co_return http::field_problem("limit", "1 to 200");
  }
  std::vector<store::hooks::delivery> rows;
  auto read = [&](store::connection& conn) {
    return store::hooks::list_deliveries(conn, c.ep.id, before, limit + 1, rows);
  };
  auto ec = co_await s.db.read(read);
  if (ec) co_return store_problem(ec);
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  json::array data;
  for (const auto& d : rows) data.push_back(view(d));
  json::object out;
  out["data"] = std::move(data);
  out["has_more"] = more;
  out["next_before"] = more ? json::value(rows.back().seq) : json::value(nullptr);
  co_return http::json_response(status::ok, out);
}

net::awaitable<response> redeliver(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  const std::string did(req.param("delivery_id"));
  if (!core::id_like(did, "whd_")) co_return http::problem(status::not_found, "delivery_not_found", "No such delivery");
  store::hooks::delivery d;
  auto w = writes(s);
  auto ec = co_await hooks::redeliver(w, c.ep.id, did, d);
  if (ec == store::error::not_found)
    co_return http::problem(status::not_found, "delivery_not_found", "No such delivery");
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::accepted, view(d));
}

// POST …/webhooks/{webhook_id}/test: a `webhook.test` event delivered to this endpoint only,
// through the engine like any delivery (signed, retried, in the delivery log). A 'meta'
// endpoint gets a Meta-shaped body with no entries, signed as Meta signs.
net::awaitable<response> send_test(services& s, http::request& req) {
  auto c = co_await begin(s, req, access::write, true);
  if (c.stop) co_return std::move(*c.stop);
  if (c.ep.state != "active")
    co_return http::problem(status::conflict, "webhook_paused", "This webhook endpoint is paused",
                            "resume it (PATCH with state active) to send a test event");
  std::string did;
  auto w = writes(s);
  auto ec = co_await hooks::send_test_event(w, c.ep, did);
  if (ec) co_return store_problem(ec);
  co_return http::json_response(status::accepted, json::object{{"delivery_id", did}});
}

}  // namespace

void register_hook_routes(http::router& r, services& s) {
  using http::verb;
  const std::string base = "/v1/instances/{id}/webhooks";
  r.add(verb::post, base, "webhooks_out.create", [&s](http::request& q) { return create(s, q); });
  r.add(verb::get, base, "webhooks_out.list", [&s](http::request& q) { return list(s, q); });
  r.add(verb::get, base + "/{webhook_id}", "webhooks_out.get", [&s](http::request& q) { return get_one(s, q); });
  r.add(verb::patch, base + "/{webhook_id}", "webhooks_out.update", [&s](http::request& q) { return patch(s, q); });
  r.add(verb::delete_, base + "/{webhook_id}", "webhooks_out.delete", [&s](http::request& q) { return remove(s, q); });
  r.add(verb::post, base + "/{webhook_id}/rotate-secret", "webhooks_out.rotate_secret",
        [&s](http::request& q) { return rotate(s, q); });
  r.add(verb::get, base + "/{webhook_id}/deliveries", "webhooks_out.deliveries",
        [&s](http::request& q) { return deliveries(s, q); });
  r.add(verb::post, base + "/{webhook_id}/deliveries/{delivery_id}/redeliver", "webhooks_out.redeliver",
        [&s](http::request& q) { return redeliver(s, q); });
  r.add(verb::post, base + "/{webhook_id}/test", "webhooks_out.test",
        [&s](http::request& q) { return send_test(s, q); });
}

}  // namespace enfinito::api
