// /v1/instances: a user's WhatsApp instances (the Meta credentials of one business number).
//
// Flow of a create or credential update: validate every field → check the credentials with
// Meta (meta::verify_number) → seal the five credentials and the webhook verify token with
// the vault, bound to (instances, id, field) → one store write. Plaintext lives only in this
// request's memory, as core::secret_string, and is never logged or echoed: responses show the
// ids (phone number, WABA, app), a masked token and the webhook settings.
//
// Tenancy: every store call matches user_id, and an API key limited to some instances sees
// only those; anything else answers the same 404 as an id that does not exist.
#include <enfinito/api/accounts.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/instances.hpp>
#include <enfinito/api/webhooks.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/error.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/store_problem.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>

namespace enfinito::api {
namespace {

namespace si = store::instances;
using http::response;
using http::status;

using namespace crypto;  // instance_field indexes f_phone … f_verify

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

crypto::field_ref where(const std::string& id, std::size_t field) { return crypto::instance_field_ref(id, field); }

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
struct credential_input {
  std::optional<std::string> name;
  std::optional<core::secret_string> values[5];  // f_phone .. f_app
  std::optional<std::string> status;             // PATCH only: active | disabled
  std::optional<bool> media_fetch;               // keep inbound media (inbound/media_fetcher.cpp)
};

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
  if (in.values[f_phone] && in.values[f_waba] &&
      in.values[f_phone]->reveal() == in.values[f_waba]->reveal())
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
      return p(unprocessable, "phone_number_id", "meta_not_a_phone_number",
               "The Phone Number ID names something else",
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

net::awaitable<std::shared_ptr<const crypto::vault>> fresh_vault(services& s) {
  auto v = co_await crypto::fresh_vault(*s.vault, s.blocking);
  co_return v;
}

net::awaitable<core::result<core::secret_string>> open_field(services& s, const si::instance& row,
                                                             std::size_t field) {
  auto r = co_await crypto::open_instance_field(*s.vault, s.blocking, row, field);
  co_return r;
}

std::string mask(std::string_view last4) { return "****" + std::string(last4); }

std::string last4(std::string_view token) {
  return std::string(token.substr(token.size() >= 4 ? token.size() - 4 : 0));
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
    if (r) values[i] = r->reveal();
    else failed = true;
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
  o["throughput"] = json::object{
      {"level", row.throughput_level},
      {"messages_per_second", outbound::send_rate(s.cfg.queue, row.throughput_level)}};
  o["status"] = row.status;
  if (!row.status_reason.empty()) o["status_reason"] = row.status_reason;
  else o["status_reason"] = nullptr;
  o["webhook"] = json::object{{"callback_url", s.cfg.server.public_url + "/webhooks/meta/" + row.id},
                              {"verify_token", values[3]}};
  if (row.verified_at) o["verified_at"] = *row.verified_at;
  else o["verified_at"] = nullptr;
  o["created_at"] = row.created_at;
  o["media_fetch"] = row.media_fetch;
  o["updated_at"] = row.updated_at;
  core::detail::secure_wipe(values[3].data(), values[3].size());
  co_return o;
}

response vault_problem() {
  return http::problem(status::internal_server_error, "vault_error",
                       "Stored credentials could not be decrypted",
                       "the operator has been told (see the daemon log)");
}

using detail::store_problem;  // 503 + Retry-After when the disk is full

response not_found() {
  return http::problem(status::not_found, "instance_not_found", "No such instance");
}

// Seals every credential of `row` (values indexed like credential_fields).
void seal(const crypto::vault& v, si::instance& row, const core::secret_string (&values)[6]) {
  for (std::size_t i = 0; i < si::credential_count; ++i)
    row.blobs[i] = v.encrypt(values[i].reveal(), where(row.id, i));
  row.phone_number_lookup = v.lookup_hash("phone_number_id", values[f_phone].reveal());
  row.token_last4 = last4(values[f_token].reveal());
}

// Applies a verification verdict to the row's health (190 → needs_reauth with why).
void apply_health(si::instance& row, const meta::verification& v) {
  if (v.outcome == meta::verify_outcome::token_invalid) {
    row.status = "needs_reauth";
    row.status_reason = v.error && v.error->subcode == 463
                            ? "Meta says the access token has expired (error 190/463): update access_token"
                        : v.error && v.error->subcode == 460
                            ? "Meta says the access token was revoked (error 190/460): update access_token"
                            : "Meta refused the access token (error 190): update access_token";
  }
}

void log_verification(std::string_view instance_id, const meta::verification& v) {
  core::log::info("instance_verified",
                  {{"instance", instance_id},
                   {"outcome", static_cast<int>(v.outcome)},
                   {"meta_code", v.error ? v.error->code : 0},
                   {"fbtrace_id", v.error ? v.error->fbtrace_id : std::string()},
                   {"transport", v.transport ? v.transport.message() : std::string()}});
}

// Loads the caller's instance (404 for anything not theirs or outside the key's scope).
net::awaitable<std::variant<si::instance, response>> load(services& s, const principal& p,
                                                          std::string_view id) {
  if (id.size() > 64 || !p.may_use_instance(id)) co_return not_found();
  si::instance row;
  const std::string uid = p.user_id, iid(id);
  auto ec = co_await s.db.read([&](store::connection& c) { return si::get(c, uid, iid, row); });
  if (ec == store::error::not_found) co_return not_found();
  if (ec) co_return store_problem(ec);
  co_return row;
}

// ---- handlers ---------------------------------------------------------------------------

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

  std::string phone = in.values[f_phone]->reveal(), waba = in.values[f_waba]->reveal();
  auto verdict = co_await meta::verify_number(*s.meta, phone, waba, *in.values[f_token]);
  si::instance row;
  row.id = "ins_" + crypto::random_token(16);
  log_verification(row.id, verdict);
  if (verdict.outcome != meta::verify_outcome::ok) co_return verification_problem(verdict);

  row.user_id = p.user_id;
  row.name = in.name ? *in.name : (verdict.number.verified_name.empty() ? "WhatsApp"
                                                                        : verdict.number.verified_name.substr(0, 100));
  row.display_phone_number = verdict.number.display_phone_number;
  row.verified_name = verdict.number.verified_name;
  row.quality_rating = verdict.number.quality_rating;
  if (!verdict.number.throughput_level.empty()) row.throughput_level = verdict.number.throughput_level;
  row.created_at = row.updated_at = now_s();
  row.verified_at = row.created_at;
  row.media_fetch = in.media_fetch.value_or(false);
  {
    const core::secret_string values[6] = {*in.values[0], *in.values[1], *in.values[2], *in.values[3],
                                           *in.values[4], core::secret_string(crypto::random_token(24))};
    auto sealing = co_await fresh_vault(s);
    seal(*sealing, row, values);
  }
  auto ec = co_await s.db.write([&](store::connection& c) { return si::insert(c, row); });
  if (ec == store::error::constraint)
    co_return http::problem(status::conflict, "phone_number_in_use",
                            "This phone number is already connected to an instance",
                            "delete the other instance first");
  if (ec) co_return store_problem(ec);
  core::log::info("instance_created", {{"instance", row.id}, {"user", row.user_id}});
  auto out = co_await view(s, row);
  if (!out) co_return vault_problem();
  auto res = http::json_response(status::created, *out);
  res.set(http::bhttp::field::location, "/v1/instances/" + row.id);
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
    if (v) data.push_back(std::move(*v));
    else failed = true;
  }
  if (failed) co_return vault_problem();
  json::object out;
  out["data"] = std::move(data);
  if (more) out["next_cursor"] = rows.back().id;
  else out["next_cursor"] = nullptr;
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

// Re-checks the stored (or newly given) credentials and saves the outcome: PATCH and
// POST /verify share it. `in` may be empty (verify only).
net::awaitable<response> reverify_and_save(services& s, si::instance row, credential_input in,
                                           bool must_pass) {
  // Decrypt what was not given: these are used for the Meta call right here.
  core::secret_string values[6];
  core::result<core::secret_string> opened = core::secret_string{};
  bool failed = false;
  for (std::size_t i = 0; i < 6 && !failed; ++i) {
    if (i < 5 && in.values[i]) {
      values[i] = std::move(*in.values[i]);
      continue;
    }
    opened = co_await open_field(s, row, i);
    if (opened) values[i] = std::move(*opened);
    else failed = true;
  }
  if (failed) co_return vault_problem();
  if (values[f_phone].reveal() == values[f_waba].reveal())
    co_return http::field_problem("phone_number_id", "equals the WhatsApp Business Account ID",
                                  "phone_number_id_is_waba_id");
  std::string phone = values[f_phone].reveal(), waba = values[f_waba].reveal();
  auto verdict = co_await meta::verify_number(*s.meta, phone, waba, values[f_token]);
  log_verification(row.id, verdict);
  const bool ok = verdict.outcome == meta::verify_outcome::ok;
  if (!ok && must_pass) co_return verification_problem(verdict);
  if (ok) {
    row.display_phone_number = verdict.number.display_phone_number;
    row.verified_name = verdict.number.verified_name;
    row.quality_rating = verdict.number.quality_rating;
    if (!verdict.number.throughput_level.empty()) row.throughput_level = verdict.number.throughput_level;
    row.verified_at = now_s();
    if (row.status == "needs_reauth") {
      row.status = "active";
      row.status_reason.clear();
    }
  } else if (verdict.outcome == meta::verify_outcome::token_invalid) {
    if (row.status != "disabled") apply_health(row, verdict);
  } else {
    co_return verification_problem(verdict);
  }
  if (in.name) row.name = *in.name;
  if (in.media_fetch) row.media_fetch = *in.media_fetch;
  if (in.status) {
    row.status = *in.status == "disabled" ? "disabled" : (ok ? "active" : row.status);
    if (row.status != "needs_reauth") row.status_reason.clear();
  }
  row.updated_at = now_s();
  auto sealing = co_await fresh_vault(s);
  seal(*sealing, row, values);
  auto ec = co_await s.db.write([&](store::connection& c) { return si::update(c, row); });
  if (ec == store::error::not_found) co_return not_found();
  if (ec == store::error::constraint)
    co_return http::problem(status::conflict, "phone_number_in_use",
                            "This phone number is already connected to an instance");
  if (ec) co_return store_problem(ec);
  auto v = co_await view(s, row);
  if (!v) co_return vault_problem();
  co_return http::json_response(status::ok, *v);
}

net::awaitable<response> patch(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  auto loaded = co_await load(s, p, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto row = std::move(std::get<si::instance>(loaded));
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  credential_input in;
  if (auto bad = read_input(*body.value, false, in)) co_return std::move(*bad);
  const bool creds = std::any_of(std::begin(in.values), std::end(in.values), [](const auto& v) { return v.has_value(); });
  // New credentials, or re-activation, are checked with Meta first.
  if (creds || (in.status && *in.status == "active" && row.status != "active"))
  {
    auto res = co_await reverify_and_save(s, std::move(row), std::move(in), true);
    co_return res;
  }
  if (in.name) row.name = *in.name;
  if (in.media_fetch) row.media_fetch = *in.media_fetch;
  if (in.status) {
    row.status = *in.status;
    row.status_reason.clear();
  }
  row.updated_at = now_s();
  auto ec = co_await s.db.write([&](store::connection& c) { return si::update(c, row); });
  if (ec == store::error::not_found) co_return not_found();
  if (ec) co_return store_problem(ec);
  auto v = co_await view(s, row);
  if (!v) co_return vault_problem();
  co_return http::json_response(status::ok, *v);
}

net::awaitable<response> verify(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto loaded = co_await load(s, std::get<principal>(who), req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  auto res = co_await reverify_and_save(s, std::move(std::get<si::instance>(loaded)), {}, false);
  co_return res;
}

net::awaitable<response> remove(services& s, http::request& req) {
  auto who = co_await authenticate(req, s, access::write);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  auto& p = std::get<principal>(who);
  const std::string id(req.param("id"));
  if (id.size() > 64 || !p.may_use_instance(id)) co_return not_found();
  const std::string uid = p.user_id;
  // One statement; the schema's ON DELETE CASCADE takes the instance's logs and jobs with it
  // in the same transaction, and secure_delete overwrites the freed pages.
  auto ec = co_await s.db.write([&](store::connection& c) { return si::remove(c, uid, id); });
  if (ec == store::error::not_found) co_return not_found();
  if (ec) co_return store_problem(ec);
  core::log::info("instance_deleted", {{"instance", id}, {"user", uid}});
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
