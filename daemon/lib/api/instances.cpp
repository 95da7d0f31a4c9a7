// /v1/instances: a user's WhatsApp instances (the Meta credentials of one business number).
//
// The route validates every field, authenticates and loads the caller's row; the flows
// (connect, reverify, update, remove: check with Meta, seal, one store write) are
// instances::lifecycle (instances/lifecycle.hpp). Plaintext is never logged or echoed:
// responses show the ids (phone number, WABA, app), a masked token and the webhook settings.
//
// Tenancy: every store call matches user_id, and an API key limited to some instances sees
// only those; anything else answers the same 404 as an id that does not exist.
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/instances.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/instances/lifecycle.hpp>
#include <enfinito/instances/onboarding.hpp>
#include <enfinito/instances/webhook_health.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instance_health.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>
#include <enfinito/templates/checks.hpp>

#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <mutex>
#include <optional>

namespace enfinito::api {
namespace {

namespace si = store::instances;
using http::response;
using http::status;

using namespace crypto;  // instance_field indexes f_phone … f_verify

// ---- validation ------------------------------------------------------------------------

bool digits(std::string_view s, std::size_t lo, std::size_t hi) {
  return s.size() >= lo && s.size() <= hi &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Graph access tokens are long URL-safe strings; we only bound them and refuse whitespace and
// control characters (they would end up in an HTTP header).
bool token_like(std::string_view s, std::size_t lo, std::size_t hi) {
  return s.size() >= lo && s.size() <= hi &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool alnum(std::string_view s, std::size_t lo, std::size_t hi) {
  return s.size() >= lo && s.size() <= hi &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// A display name: 1..100 bytes, no control characters (JSON bodies are already valid UTF-8).
bool good_name(std::string_view s) {
  return !s.empty() && s.size() <= 100 &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// The credentials a request supplied (create: all of them; update: any subset).
using credential_input = instances::changes;

// 422 (the API contract of issue 19's per-instance policy): a well-formed body whose
// window_policy is not one of the four.
response window_policy_problem() {
  json::object o{{"type", "urn:enfinito:problem:invalid_window_policy"},
                 {"title", "A field of the request is invalid"},
                 {"status", 422},
                 {"code", "invalid_window_policy"},
                 {"field", "window_policy"},
                 {"detail", "auto, reject, warn or off"}};
  auto r = http::json_response(status::unprocessable_entity, json::serialize(o));
  r.set(http::bhttp::field::content_type, "application/problem+json");
  return r;
}

// Checks the body's fields; returns the problem to answer, or nothing.
std::optional<response> read_input(const json::value& body, bool create, credential_input& in) {
  if (!body.is_object()) return http::field_problem("", "the body must be a JSON object", "invalid_body");
  static constexpr const char* names[] = {"phone_number_id", "waba_id", "access_token", "app_secret", "app_id"};
  for (const auto& [key, value] : body.as_object()) {
    const std::string_view k = key;
    const auto* idx = std::find(std::begin(names), std::end(names), k);
    if (k == "name") {
      if (!value.is_string() || !good_name(value.get_string()))
        return http::field_problem("name", "1 to 100 characters, no control characters");
      in.name = std::string(value.get_string());
    } else if (k == "status" && !create) {
      if (!value.is_string() || (value.get_string() != "active" && value.get_string() != "disabled"))
        return http::field_problem("status", "active or disabled");
      in.status = std::string(value.get_string());
    } else if (k == "media_fetch") {
      if (!value.is_bool()) return http::field_problem("media_fetch", "true or false");
      in.media_fetch = value.get_bool();
    } else if (k == "window_policy") {
      if (!value.is_string() || !templates::parse_window_policy(value.get_string())) return window_policy_problem();
      in.window_policy = std::string(value.get_string());
    } else if (idx != std::end(names)) {
      const auto i = static_cast<std::size_t>(idx - std::begin(names));
      // Never echo the value back, not even in an error.
      if (!value.is_string()) return http::field_problem(k, "must be a string");
      const std::string_view v = value.get_string();
      switch (i) {
        case f_phone:
          if (!digits(v, 5, 20)) return http::field_problem(k, "the Phone Number ID: 5 to 20 digits");
          break;
        case f_waba:
          if (!digits(v, 5, 20)) return http::field_problem(k, "the WhatsApp Business Account ID: 5 to 20 digits");
          break;
        case f_app:
          if (!digits(v, 5, 20)) return http::field_problem(k, "the Meta App ID: 5 to 20 digits");
          break;
        case f_token:
          if (!token_like(v, 20, 1024))
            return http::field_problem(k, "an access token: 20 to 1024 printable characters, no spaces");
          break;
        case f_secret:
          if (!alnum(v, 16, 128)) return http::field_problem(k, "the Meta App Secret: 16 to 128 letters and digits");
          break;
      }
      in.values[i] = core::secret_string(std::string(v));
    } else {
      return http::field_problem(k, "unknown field", "unknown_field");
    }
  }
  if (create)
    for (std::size_t i = 0; i < 5; ++i)
      if (!in.values[i]) return http::field_problem(names[i], "required", "missing_field");
  if (in.values[f_phone] && in.values[f_waba] && in.values[f_phone]->reveal() == in.values[f_waba]->reveal())
    return http::field_problem("phone_number_id",
                               "the Phone Number ID equals the WhatsApp Business Account ID: give the id "
                               "of the phone number (WhatsApp Manager → Phone numbers), not the account's",
                               "phone_number_id_is_waba_id");
  return std::nullopt;
}

// A 422 naming the field Meta refused, or a 502/503 when Meta could not answer.
response verification_problem(const meta::verification& v) {
  auto p = [&](status st, std::string_view field, std::string_view code, std::string_view title,
               std::string_view detail) {
    json::object o;
    o["type"] = "urn:enfinito:problem:" + std::string(code);
    o["title"] = title;
    o["status"] = static_cast<int>(st);
    o["code"] = code;
    if (!field.empty()) o["field"] = field;
    o["detail"] = detail;
    if (v.error) {
      o["meta_error_code"] = v.error->code;
      if (!v.error->fbtrace_id.empty()) o["meta_fbtrace_id"] = v.error->fbtrace_id;
    }
    auto r = http::json_response(st, json::serialize(o));
    r.set(http::bhttp::field::content_type, "application/problem+json");
    return r;
  };
  const auto unprocessable = status::unprocessable_entity;
  switch (v.outcome) {
    case meta::verify_outcome::token_invalid:
      return p(unprocessable, "access_token", "meta_token_invalid", "Meta refused the access token",
               "the token is wrong, expired or revoked: create a new system-user token in Meta Business Settings");
    case meta::verify_outcome::no_permission:
      return p(unprocessable, "access_token", "meta_no_permission", "The token cannot use this phone number",
               "give the token's system user access to the WhatsApp Business Account that owns the number");
    case meta::verify_outcome::unknown_phone_number:
      return p(unprocessable, "phone_number_id", "meta_unknown_phone_number", "Meta does not know this Phone Number ID",
               "copy the Phone Number ID from WhatsApp Manager or the app's API Setup page");
    case meta::verify_outcome::not_a_phone_number:
      return p(unprocessable, "phone_number_id", "meta_not_a_phone_number", "The Phone Number ID names something else",
               "this id is not a business phone number (is it the WhatsApp Business Account ID?)");
    case meta::verify_outcome::unknown_waba:
      return p(unprocessable, "waba_id", "meta_unknown_waba", "Meta does not know this WhatsApp Business Account",
               "check the WhatsApp Business Account ID and that the token may read it");
    case meta::verify_outcome::waba_not_owner:
      return p(unprocessable, "waba_id", "meta_waba_not_owner",
               "The WhatsApp Business Account does not own this phone number",
               "give the WhatsApp Business Account ID that the phone number belongs to");
    case meta::verify_outcome::upstream_unavailable:
      return p(status::service_unavailable, "", "meta_unavailable", "Meta could not be reached",
               "the credentials were not checked and nothing was saved; try again later");
    case meta::verify_outcome::upstream_error:
    case meta::verify_outcome::ok:
      break;
  }
  return p(status::bad_gateway, "", "meta_error", "Meta answered with an unexpected error",
           "the credentials were not checked and nothing was saved");
}

// ---- the vault (crypto/instance_fields.hpp) ---------------------------------------

net::awaitable<core::result<core::secret_string>> open_field(services& s, const si::instance& row, std::size_t field) {
  auto r = co_await crypto::open_instance_field(*s.vault, s.blocking, row, field);
  co_return r;
}

std::string mask(std::string_view last4) { return "****" + std::string(last4); }

// The instance's closed-window policy as stored and as a send applies it now (issue 19).
void window_fields(const services& s, const si::instance& row, std::optional<std::int64_t> webhooks_since,
                   json::object& o) {
  namespace tp = templates;
  const auto own = tp::parse_window_policy(row.window_policy).value_or(tp::window_policy::automatic);
  const auto setting = tp::parse_window_policy(s.cfg.templates.window_policy).value_or(tp::window_policy::automatic);
  o["window_policy"] = tp::to_string(own);
  o["window_policy_effective"] = tp::to_string(tp::instance_policy(own, setting, webhooks_since, core::wall_ms()));
}

// The public view of an instance. Decrypts only what is shown (ids, verify token).
net::awaitable<std::optional<json::object>> view(services& s, const si::instance& row) {
  json::object o;
  o["id"] = row.id;
  o["name"] = row.name;
  static constexpr std::size_t shown[] = {f_phone, f_waba, f_app, f_verify};
  // Locals outside the loop and no co_return inside it: GCC 12 mishandles both.
  std::string values[4];
  core::result<core::secret_string> r = core::secret_string{};
  bool failed = false;
  for (std::size_t i = 0; i < 4 && !failed; ++i) {
    r = co_await open_field(s, row, shown[i]);
    if (r)
      values[i] = r->reveal();
    else
      failed = true;
  }
  if (failed) co_return std::nullopt;
  o["phone_number_id"] = values[0];
  o["waba_id"] = values[1];
  o["app_id"] = values[2];
  o["access_token"] = mask(row.token_last4);
  o["app_secret"] = "****";
  o["display_phone_number"] = row.display_phone_number;
  o["verified_name"] = row.verified_name;
  o["quality_rating"] = row.quality_rating;
  // Meta's throughput level for the number and the send rate Enfinito keeps to because of it.
  o["throughput"] = json::object{{"level", row.throughput_level},
                                 {"messages_per_second", outbound::send_rate(s.cfg.queue, row.throughput_level)}};
  // Meta's messaging limit of the number (TIER_250 .. TIER_UNLIMITED); null until Meta said.
  if (!row.messaging_limit_tier.empty())
    o["messaging_limit_tier"] = row.messaging_limit_tier;
  else
    o["messaging_limit_tier"] = nullptr;
  o["status"] = row.status;
  if (!row.status_reason.empty())
    o["status_reason"] = row.status_reason;
  else
    o["status_reason"] = nullptr;
  o["webhook"] =
      json::object{{"callback_url", s.cfg.server.public_url + "/webhooks/meta/" + row.id}, {"verify_token", values[3]}};
  if (row.verified_at)
    o["verified_at"] = *row.verified_at;
  else
    o["verified_at"] = nullptr;
  o["created_at"] = row.created_at;
  o["media_fetch"] = row.media_fetch;
  o["updated_at"] = row.updated_at;
  core::detail::secure_wipe(values[3].data(), values[3].size());
  // Onboarding and webhook health (instances/onboarding.hpp), with webhook times not flushed yet.
  store::instance_health::row health;
  store::templates::copy_state copy;  // webhooks_since: the window policy's auto
  const std::string hid = row.id;
  auto read_health = [&health, &copy, &hid](store::connection& c) {
    if (auto ec = store::templates::state(c, hid, copy)) return ec;
    return store::instance_health::get(c, hid, health);
  };
  auto hec = co_await s.db.read(read_health);
  if (!hec && s.webhook_activity) {
    const auto mem = s.webhook_activity->get(hid);
    if (mem.webhook_at && (!health.last_webhook_at || *health.last_webhook_at < *mem.webhook_at))
      health.last_webhook_at = mem.webhook_at;
    if (mem.status_at && (!health.last_status_at || *health.last_status_at < *mem.status_at))
      health.last_status_at = mem.status_at;
  }
  if (!hec)
    o["onboarding"] = instances::onboarding_view(health);
  else
    o["onboarding"] = nullptr;
  window_fields(s, row, copy.webhooks_since, o);
  co_return o;
}

response vault_problem() {
  return http::problem(status::internal_server_error, "vault_error", "Stored credentials could not be decrypted",
                       "the operator has been told (see the daemon log)");
}

using detail::store_problem;  // 503 + Retry-After when the disk is full

response not_found() { return http::problem(status::not_found, "instance_not_found", "No such instance"); }

// Loads the caller's instance (404 for anything not theirs or outside the key's scope).
net::awaitable<std::variant<si::instance, response>> load(services& s, const principal& p, std::string_view id) {
  if (id.size() > 64 || !p.may_use_instance(id)) co_return not_found();
  si::instance row;
  const std::string uid = p.user_id, iid(id);
  auto ec = co_await s.db.read([&](store::connection& c) { return si::get(c, uid, iid, row); });
  if (ec == store::error::not_found) co_return not_found();
  if (ec) co_return store_problem(ec);
  co_return row;
}

// ---- handlers ---------------------------------------------------------------------------

instances::context flows(services& s, const principal& p, const http::request& req) {
  instances::context ctx{s.db, *s.vault, s.blocking, *s.meta, audit_actor(p, req), s.cfg.quotas.instances};
  ctx.onboarding = {true, s.cfg.onboarding.callback_override, s.cfg.server.public_url,
                    s.cfg.onboarding.token_expiry_warning_days * 86400};
  return ctx;
}

// 422: the token works but cannot send for this WABA; each problem by name.
response token_problem(const std::vector<instances::token_problem>& problems) {
  json::array list;
  std::string first;
  for (const auto& p : problems) {
    if (!p.blocks_sending) continue;
    if (first.empty()) first = p.detail;
    json::object o{{"code", p.code}, {"detail", p.detail}};
    if (!p.scope.empty()) o["scope"] = p.scope;
    list.push_back(std::move(o));
  }
  json::object o;
  o["type"] = "urn:enfinito:problem:meta_token_incomplete";
  o["title"] = "The access token cannot send for this WhatsApp Business Account";
  o["status"] = 422;
  o["code"] = "meta_token_incomplete";
  o["field"] = "access_token";
  o["detail"] = first;
  o["problems"] = std::move(list);
  auto r = http::json_response(status::unprocessable_entity, json::serialize(o));
  r.set(http::bhttp::field::content_type, "application/problem+json");
  return r;
}

response phone_in_use(bool create) {
  if (create)
    return http::problem(status::conflict, "phone_number_in_use",
                         "This phone number is already connected to an instance", "delete the other instance first");
  return http::problem(status::conflict, "phone_number_in_use",
                       "This phone number is already connected to an instance");
}

// The answer to a lifecycle outcome: the instance's view with `ok`, else the problem.
net::awaitable<response> answer(services& s, instances::outcome o, status ok, bool create) {
  using kind = instances::outcome::kind;
  switch (o.what) {
    case kind::done:
      break;
    case kind::not_found:
      co_return not_found();
    case kind::refused_by_meta:
      co_return verification_problem(o.verdict);
    case kind::phone_in_use:
      co_return phone_in_use(create);
    case kind::phone_is_waba:
      co_return http::field_problem("phone_number_id", "equals the WhatsApp Business Account ID",
                                    "phone_number_id_is_waba_id");
    case kind::token_incomplete:
      co_return token_problem(o.token_problems);
    case kind::vault_failed:
      co_return vault_problem();
    case kind::store_failed:
      co_return store_problem(o.ec);
    case kind::over_quota:
      co_return quota_problem("instances", o.quota);
  }
  // A fixed token or a new status resumes (or pauses) the queue now, not at the next sweep.
  if (!create && s.queue) s.queue->notify(o.row.id);
  auto v = co_await view(s, o.row);
  if (!v) co_return vault_problem();
  auto res = http::json_response(ok, *v);
  if (create) res.set(http::bhttp::field::location, "/v1/instances/" + o.row.id);
  co_return res;
}

net::awaitable<response> create(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  if (!p.instance_ids.empty())
    co_return http::problem(status::forbidden, "key_scope", "This API key is limited to some instances",
                            "use a key that is not limited to instances, or the web console");
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  credential_input in;
  if (auto bad = read_input(*body.value, true, in)) co_return std::move(*bad);
  // Built before the co_await: the context owns strings (docs/engineering-notes.md, GCC 12).
  auto ctx = flows(s, p, req);
  auto o = co_await instances::connect(ctx, p.user_id, std::move(in));
  auto res = co_await answer(s, std::move(o), status::created, true);
  co_return res;
}

net::awaitable<response> list(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  std::size_t limit = 50;
  if (auto l = req.query_param("limit")) {
    if (l->empty() || l->size() > 3 || !digits(*l, 1, 3) || std::stoul(*l) < 1 || std::stoul(*l) > 100)
      co_return http::field_problem("limit", "1 to 100");
    limit = std::stoul(*l);
  }
  std::string after;
  if (auto c = req.query_param("cursor")) {
    if (c->size() > 64) co_return http::field_problem("cursor", "not a cursor from this API");
    after = *c;
  }
  std::vector<si::instance> rows;
  const std::string uid = p.user_id;
  auto ec = co_await s.db.read([&](store::connection& c) { return si::list(c, uid, after, limit + 1, rows); });
  if (ec) co_return store_problem(ec);
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  json::array data;
  std::optional<json::object> v;
  bool failed = false;
  for (std::size_t i = 0; i < rows.size() && !failed; ++i) {
    if (!p.may_use_instance(rows[i].id)) continue;
    v = co_await view(s, rows[i]);
    if (v)
      data.push_back(std::move(*v));
    else
      failed = true;
  }
  if (failed) co_return vault_problem();
  json::object out;
  out["data"] = std::move(data);
  if (more)
    out["next_cursor"] = rows.back().id;
  else
    out["next_cursor"] = nullptr;
  co_return http::json_response(status::ok, out);
}

net::awaitable<response> get_one(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::read);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto loaded = co_await load(s, std::get<principal>(who), req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto v = co_await view(s, std::get<si::instance>(loaded));
  if (!v) co_return vault_problem();
  co_return http::json_response(status::ok, *v);
}

net::awaitable<response> patch(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  auto loaded = co_await load(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  credential_input in;
  if (auto bad = read_input(*body.value, false, in)) co_return std::move(*bad);
  auto ctx = flows(s, p, req);
  auto o = co_await instances::update(ctx, std::move(std::get<si::instance>(loaded)), std::move(in));
  auto res = co_await answer(s, std::move(o), status::ok, false);
  co_return res;
}

net::awaitable<response> verify(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  auto loaded = co_await load(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto ctx = flows(s, p, req);
  auto o = co_await instances::reverify(ctx, std::move(std::get<si::instance>(loaded)), {}, false);
  auto res = co_await answer(s, std::move(o), status::ok, false);
  co_return res;
}

net::awaitable<response> remove(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  const std::string id(req.param("id"));
  if (id.size() > 64 || !p.may_use_instance(id)) co_return not_found();
  auto ctx = flows(s, p, req);
  auto o = co_await instances::remove(ctx, p.user_id, id);
  if (o.what == instances::outcome::kind::not_found) co_return not_found();
  if (o.what != instances::outcome::kind::done) co_return store_problem(o.ec);
  co_return http::no_content();
}

// The instances part of GET /v1/me/export (P8): what the user sees of them, with no
// credential (ids included: the accounts export promises no credentials at all).
core::error_code export_instances(store::connection& c, const std::string& user_id, json::object& out) {
  json::array items;
  std::string after;
  for (;;) {
    std::vector<si::instance> rows;
    if (auto ec = si::list(c, user_id, after, 500, rows)) return ec;
    if (rows.empty()) break;
    after = rows.back().id;
    for (const auto& row : rows)
      items.push_back(json::object{{"id", row.id},
                                   {"name", row.name},
                                   {"display_phone_number", row.display_phone_number},
                                   {"verified_name", row.verified_name},
                                   {"quality_rating", row.quality_rating},
                                   {"status", row.status},
                                   {"status_reason", row.status_reason},
                                   {"access_token", mask(row.token_last4)},
                                   {"created_at", row.created_at},
                                   {"updated_at", row.updated_at}});
  }
  out["instances"] = std::move(items);
  return {};
}

}  // namespace

void register_instance_routes(http::router& r, services& s) {
  using http::verb;
  // The export registry is process-wide (tests start many apps in one process): once.
  static std::once_flag exported;
  std::call_once(exported, [] { add_export_section("instances", export_instances); });
  r.add(verb::post, "/v1/instances", "instances.create", [&s](http::request& q) { return create(s, q); });
  r.add(verb::get, "/v1/instances", "instances.list", [&s](http::request& q) { return list(s, q); });
  r.add(verb::get, "/v1/instances/{id}", "instances.get", [&s](http::request& q) { return get_one(s, q); });
  r.add(verb::patch, "/v1/instances/{id}", "instances.update", [&s](http::request& q) { return patch(s, q); });
  r.add(verb::delete_, "/v1/instances/{id}", "instances.delete", [&s](http::request& q) { return remove(s, q); });
  r.add(verb::post, "/v1/instances/{id}/verify", "instances.verify", [&s](http::request& q) { return verify(s, q); });
}

}  // namespace enfinito::api
