// web sandbox: dev-only routes over the fake Graph API (see sandbox.hpp).
#include "web/sandbox.hpp"

#include <enfinito/api/auth_guard.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/core/spawn.hpp>
#include <enfinito/core/secret.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/tls.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/upstream/client.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <vector>

namespace enfinito::web {
namespace {

namespace json = boost::json;
using http::response;
using http::status;

// The WABA every sandbox number belongs to: the fake's default one (tools/fake_graph/README.md).
constexpr std::string_view sandbox_waba = "102290129340398";
// The verified name the fake gives sandbox numbers: restore() looks only at these rows.
constexpr std::string_view sandbox_name = "Enfinito Sandbox";

struct sandbox {
  api::services& s;
  const http::router& routes;
  std::shared_ptr<upstream::client> fake;  // null: the sandbox is off
};

response off() {
  return http::problem(status::not_found, "sandbox_off", "The sandbox is not running",
                       "the /v1/dev routes exist only in dev mode with the fake Graph API (tools/dev run)");
}

response fake_failed() {
  return http::problem(status::bad_gateway, "sandbox_unavailable", "The sandbox's fake Graph API did not answer",
                       "is fake-graph still running? tools/dev run starts both");
}

std::string random_digits(std::size_t n) {
  std::string out = crypto::random_hex(n);
  for (auto& c : out) c = static_cast<char>('0' + (c <= '9' ? c - '0' : c - 'a' + 10) % 10);
  out.resize(n);
  if (out[0] == '0') out[0] = '1';
  return out;
}

void log_failure(std::string_view path, const core::result<upstream::response>& r) {
  core::log::warn(
      "web.sandbox_call_failed",
      {{"endpoint", path}, {"status", r ? r->status : 0u}, {"transport", r ? std::string() : r.error().message()}});
}

json::value parse_or_empty(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(json::object{}) : v;
}

// POSTs a JSON body to one of the fake's /_admin endpoints; the answer when it is a 2xx.
net::awaitable<std::optional<json::value>> admin(const sandbox& sb, std::string_view path, json::object body) {
  std::string text = json::serialize(body);
  upstream::request rq;
  rq.method = "POST";
  rq.target = path;
  rq.body = text;
  rq.content_type = "application/json";
  auto r = co_await sb.fake->call(rq);
  // The bodies carry the sandbox's (throw-away) credentials: wiped all the same.
  core::detail::secure_wipe(text.data(), text.size());
  if (!r || !r->ok()) {
    log_failure(path, r);
    co_return std::nullopt;
  }
  co_return parse_or_empty(r->body);
}

// The bodies, built outside the coroutines (GCC 12 miscompiles braced initialisers there).
json::object number_body(const std::string& phone, const std::string& display) {
  return {{"id", phone},
          {"waba_id", sandbox_waba},
          {"display_phone_number", display},
          {"verified_name", sandbox_name},
          {"quality_rating", "GREEN"}};
}

json::object callback_for(const config::settings& cfg, const std::string& phone, const core::secret_string& secret,
                          const std::string& instance_id, const json::value& verify_token) {
  return {{"id", phone},
          {"callback_url", cfg.server.public_url + "/webhooks/meta/" + instance_id},
          {"app_secret", secret.reveal()},
          {"verify_token", verify_token}};
}

json::object token_body(const core::secret_string& token, const std::string& phone) {
  // The WABA too: verification lists the WABA's numbers (GET /{waba}/phone_numbers).
  return {{"token", token.reveal()},
          {"phone_number_ids", json::array{json::string(phone)}},
          {"waba_ids", json::array{json::string(sandbox_waba)}}};
}

std::string instance_body(const std::string& phone, const core::secret_string& token, const core::secret_string& secret,
                          const std::string& app_id) {
  return json::serialize(json::object{{"name", "Sandbox"},
                                      {"phone_number_id", phone},
                                      {"waba_id", sandbox_waba},
                                      {"access_token", token.reveal()},
                                      {"app_secret", secret.reveal()},
                                      {"app_id", app_id}});
}

// The fake's webhooks for `phone` go to the instance (whose answer is `created`), signed with
// its secret. Empty when the answer is not an instance.
std::optional<std::pair<std::string, json::object>> callback_body(const config::settings& cfg, const std::string& phone,
                                                                  const core::secret_string& secret,
                                                                  const std::string& created) {
  boost::system::error_code ec;
  auto view = json::parse(created, ec);
  if (ec || !view.is_object()) return std::nullopt;
  const auto* id = view.as_object().if_contains("id");
  const auto* hook = view.as_object().if_contains("webhook");
  if (!id || !id->is_string() || !hook || !hook->is_object() || !hook->as_object().contains("verify_token"))
    return std::nullopt;
  std::string instance_id(id->get_string());
  auto o = callback_for(cfg, phone, secret, instance_id, hook->as_object().at("verify_token"));
  return std::pair{std::move(instance_id), std::move(o)};
}

response internal_error() { return http::problem(status::internal_server_error, "internal_error", "Internal error"); }

// The request a browser would send to POST /v1/instances: the caller's headers (its session
// cookie or API key, Origin, …) with the sandbox credentials as the body.
http::beast_request instance_request(const http::request& req, const std::string& body) {
  http::beast_request msg{http::verb::post, "/v1/instances", 11};
  for (const auto& f : req.msg)
    if (f.name() != http::bhttp::field::content_length && f.name() != http::bhttp::field::transfer_encoding)
      msg.insert(f.name_string(), f.value());
  msg.set(http::bhttp::field::content_type, "application/json");
  msg.body() = body;
  msg.prepare_payload();
  return msg;
}

net::awaitable<response> create_instance(sandbox& sb, http::request& req) {
  if (!sb.fake) co_return off();
  auto who = co_await api::authenticate(req, sb.s, api::access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  const auto& p = std::get<api::principal>(who);

  // 1. A number of its own in the fake, and a token of its own (for the sandbox WABA).
  const std::string phone = random_digits(15), app_id = random_digits(15);
  const core::secret_string token("sandbox_" + crypto::random_hex(24)), secret(crypto::random_hex(16));
  if (!co_await admin(sb, "/_admin/numbers", number_body(phone, "1555" + random_digits(7))) ||
      !co_await admin(sb, "/_admin/tokens", token_body(token, phone)))
    co_return fake_failed();

  // 2. The instance, by the handler behind POST /v1/instances (it verifies with the fake).
  auto m = sb.routes.match(http::verb::post, "/v1/instances");
  if (!m.found) co_return internal_error();
  std::string body = instance_body(phone, token, secret, app_id);
  auto msg = instance_request(req, body);
  core::detail::secure_wipe(body.data(), body.size());
  http::request inner{msg, "/v1/instances", {}, {}, req.request_id, req.remote, req.reactor, m.found};
  auto res = co_await m.found->fn(inner);
  core::detail::secure_wipe(msg.body().data(), msg.body().size());
  if (res.result() != status::created) co_return res;

  // 3. The fake's webhooks for that number go to the instance's callback, signed with its secret.
  auto callback = callback_body(sb.s.cfg, phone, secret, res.body());
  if (!callback) co_return internal_error();
  if (!co_await admin(sb, "/_admin/numbers", callback->second)) co_return fake_failed();
  core::log::info("web.sandbox_instance_created", {{"instance", callback->first}, {"user", p.user_id}});
  co_return res;
}

// The body of POST /v1/dev/instances/{id}/inbound: {"from", "name"?, "text"}.
std::variant<json::object, response> inbound_body(const json::value& v) {
  if (!v.is_object()) return http::field_problem("", "the body must be a JSON object", "invalid_body");
  const auto& o = v.as_object();
  json::object out{{"type", "text"}};
  for (const auto& [key, value] : o) {
    if (key != "from" && key != "name" && key != "text")
      return http::field_problem(key, "unknown field", "unknown_field");
    if (!value.is_string()) return http::field_problem(key, "must be a string");
  }
  auto str = [&](std::string_view k) {
    return o.contains(k) ? std::string_view(o.at(k).get_string()) : std::string_view{};
  };
  auto from = str("from");
  if (from.empty()) from = "4915112345678";
  if (from.size() < 5 || from.size() > 20 ||
      !std::all_of(from.begin(), from.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return http::field_problem("from", "the customer's WhatsApp number: 5 to 20 digits, country code first");
  auto name = str("name");
  if (name.size() > 100) return http::field_problem("name", "at most 100 characters");
  auto text = str("text");
  if (text.empty() || text.size() > 4096) return http::field_problem("text", "1 to 4096 characters");
  out["from"] = from;
  if (!name.empty()) out["name"] = name;
  out["text"] = json::object{{"body", text}};
  return out;
}

response inbound_answer(const json::value& fake_answer) {
  json::object out{{"status", "sent"}};
  if (fake_answer.is_object())
    if (const auto* w = fake_answer.as_object().if_contains("id")) out["id"] = *w;
  return http::json_response(status::accepted, out);
}

net::awaitable<response> inbound(sandbox& sb, http::request& req) {
  if (!sb.fake) co_return off();
  auto who = co_await api::authenticate(req, sb.s, api::access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  const auto& p = std::get<api::principal>(who);
  const std::string id(req.param("id"));
  auto not_found = [] { return http::problem(status::not_found, "instance_not_found", "No such instance"); };
  if (id.size() > 64 || !p.may_use_instance(id)) co_return not_found();
  auto parsed = http::parse_json(req, sb.s.json);
  if (parsed.error) co_return std::move(*parsed.error);
  auto body = inbound_body(*parsed.value);
  if (auto* r = std::get_if<response>(&body)) co_return std::move(*r);
  auto& fake_body = std::get<json::object>(body);

  store::instances::instance row;
  const std::string uid = p.user_id;
  auto ec = co_await sb.s.db.read([&](store::connection& c) { return store::instances::get(c, uid, id, row); });
  if (ec == store::error::not_found) co_return not_found();
  if (ec) co_return http::problem(status::service_unavailable, "store_unavailable", "Try again later");
  auto phone = co_await crypto::open_instance_field(*sb.s.vault, sb.s.blocking, row, crypto::f_phone);
  if (!phone)
    co_return http::problem(status::internal_server_error, "vault_error", "Stored credentials could not be decrypted");
  fake_body["phone_number_id"] = phone->reveal();
  auto answer = co_await admin(sb, "/_admin/inbound", fake_body);
  if (!answer)
    co_return http::problem(status::conflict, "not_a_sandbox_instance", "The sandbox cannot write to this instance",
                            "only instances made with POST /v1/dev/sandbox-instance are connected to the sandbox");
  co_return inbound_answer(*answer);
}

// ---- restore: a new fake (each tools/dev run starts one) learns the sandbox instances ----

// Tells the fake about one instance made by create_instance (its number, token and callback),
// from the sealed credentials. False for any other instance.
net::awaitable<bool> restore_one(const sandbox& sb, const store::instances::instance& row) {
  if (row.verified_name != sandbox_name) co_return false;
  auto& s = sb.s;
  auto waba = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_waba);
  if (!waba || waba->reveal() != sandbox_waba) co_return false;
  auto phone = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_phone);
  auto token = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_token);
  auto secret = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_secret);
  auto verify = co_await crypto::open_instance_field(*s.vault, s.blocking, row, crypto::f_verify);
  if (!phone || !token || !secret || !verify) co_return false;
  const std::string number = phone->reveal();
  const json::value verify_token(json::string(verify->reveal()));
  const bool ok = co_await admin(sb, "/_admin/numbers", number_body(number, row.display_phone_number)) &&
                  co_await admin(sb, "/_admin/tokens", token_body(*token, number)) &&
                  co_await admin(sb, "/_admin/numbers", callback_for(s.cfg, number, *secret, row.id, verify_token));
  co_return ok;
}

// At startup: every sandbox instance in the database (any user's), in id order.
net::awaitable<void> restore(std::shared_ptr<sandbox> sb) {
  std::string after;
  std::vector<store::instances::instance> rows;
  std::size_t restored = 0;
  bool more = true;
  while (more) {
    rows.clear();
    auto ec = co_await sb->s.db.read([&](store::connection& c) { return store::instances::scan(c, after, 100, rows); });
    more = !ec && !rows.empty();
    if (more) after = rows.back().id;
    for (const auto& row : rows)
      if (co_await restore_one(*sb, row)) ++restored;
  }
  core::log::info("web.sandbox_restored", {{"instances", restored}});
}

}  // namespace

void register_sandbox_routes(http::router& r, api::services& s) {
  auto sb = std::make_shared<sandbox>(sandbox{s, r, nullptr});
  if (s.cfg.dev && !s.cfg.sandbox_url.empty()) {
    auto url = upstream::parse_url(s.cfg.sandbox_url);
    if (url) {
      upstream::options o;
      o.max_idle_per_reactor = 0;  // a few calls per click: nothing kept open to close at shutdown
      o.timeout = std::chrono::seconds(5);
      o.why = upstream::purpose::dev_sandbox;
      // The client wants a TLS context whatever the scheme (the sandbox URL is plain http).
      auto tls = crypto::make_client_context(std::nullopt);
      if (tls) sb->fake = upstream::client::make(url->where, o, std::move(*tls));
      // The fake forgets everything when it stops; the database does not.
      if (sb->fake)
        core::spawn(s.reactors.at(0).get_executor(), restore(sb),
                    core::on_exception::log("web.sandbox_restore_failed"));
      core::log::warn("web.dev_sandbox", {{"warning", "DEV MODE: sandbox routes /v1/dev/... on, fake Graph API at"},
                                          {"url", s.cfg.sandbox_url}});
    }
  }
  r.add(http::verb::post, "/v1/dev/sandbox-instance", "dev.sandbox_instance",
        [sb](http::request& q) { return create_instance(*sb, q); });
  r.add(http::verb::post, "/v1/dev/instances/{id}/inbound", "dev.inbound",
        [sb](http::request& q) { return inbound(*sb, q); });
}

}  // namespace enfinito::web
