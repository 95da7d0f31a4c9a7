// The Graph-compatible routes: a program written for the WhatsApp Cloud API (or one of its
// SDKs) works against Enfinito by changing its base URL to `{public_url}{graph.prefix}` and
// its token to an Enfinito API key.
//
//   POST   {prefix}/{version}/{phone-number-id}/messages   send (queued, durable) or mark as read
//   POST   {prefix}/{version}/{phone-number-id}/media      upload (relayed to Meta)
//   GET    {prefix}/{version}/{media-id}                   media URL (points at Enfinito's proxy)
//   DELETE {prefix}/{version}/{media-id}                   delete media
//
// Shapes are Meta's: requests as Meta documents them, answers `{messaging_product, contacts[],
// messages[{id}]}`, errors in Meta's envelope `{"error":{message,type,code,error_data,
// fbtrace_id}}` with Meta's codes (190 for a bad token, 100 for a bad parameter, 131008 for a
// missing one, 100/33 for an unknown or foreign phone number id, and for a media id that is not
// the number's, whether Meta calls it unknown or refuses it as another business's). Meta's
// other answers to relayed calls (mark-as-read, media) pass through unchanged: they are the
// caller's own data.
//
// Sends: the message is checked (meta::check_message) and accepted by outbound::accept like a
// REST send (Idempotency-Key included: a replay answers as the first request did, marked
// `Idempotent-Replayed: true`; a key reused for another request is a 422 code 100); then the
// route waits up to `graph.sync_wait_ms` for Meta's answer, so the caller gets the real wamid
// as from Meta. If Meta is slower (or the instance is throttled), the answer carries
// Enfinito's message id instead, with `message_status: "accepted"`; the message is durable
// and will be sent either way (`GET /v1/messages/{id}` shows the wamid later).
// `X-Enfinito-Message-Id` is always set.
//
// Tenancy: a phone number id is looked up by its vault lookup hash among the caller's own
// instances only (and an API key's instance scope); anything else is Meta's "object does not
// exist" error, the same for a foreign number as for an unknown one.
#include <enfinito/api/instance_cache.hpp>
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/graph_routes.hpp>
#include <enfinito/api/rate_guard.hpp>
#include <enfinito/api/messages_routes.hpp>
#include <enfinito/api/meta_routes.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/instances/meta_access.hpp>
#include <enfinito/instances/meta_relay.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/graph.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/outbound/accept.hpp>
#include <enfinito/outbound/graph_answer.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/messages.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/templates/checks.hpp>

#include "api/graph_common.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <variant>

namespace enfinito::api {
namespace graph_detail {  // shared with graph_waba_routes.cpp (api/graph_common.hpp)

using http::response;
using http::status;

// ---- Meta's error envelope ------------------------------------------------------------------

response meta_error(status http_status, std::int64_t code, std::string_view type, std::string_view title,
                    std::string_view details, const http::request& req, std::int64_t subcode = 0) {
  json::object err{{"message", "(#" + std::to_string(code) + ") " + std::string(title)},
                   {"type", type},
                   {"code", code},
                   {"fbtrace_id", req.request_id}};
  if (subcode) err["error_subcode"] = subcode;
  if (!details.empty()) err["error_data"] = json::object{{"messaging_product", "whatsapp"}, {"details", details}};
  auto res = http::json_response(http_status, json::object{{"error", std::move(err)}});
  if (http_status == status::unauthorized) res.set(http::bhttp::field::www_authenticate, "Bearer");
  return res;
}

response invalid_parameter(std::string_view details, const http::request& req) {
  return meta_error(status::bad_request, 100, "OAuthException", "Invalid parameter", details, req);
}

response unknown_object(std::string_view id, const http::request& req) {
  return meta_error(status::bad_request, 100, "GraphMethodException",
                    "Unsupported request. Object with ID '" + std::string(id) +
                        "' does not exist, cannot be loaded due to missing permissions, or does not support this "
                        "operation",
                    {}, req, 33);
}

// Also the answer when the disk is full: nothing was stored, the client may retry.
response service_unavailable(const http::request& req) {
  auto r = meta_error(status::service_unavailable, 2, "OAuthException", "Service temporarily unavailable",
                      "retry the request later", req);
  r.set(http::bhttp::field::retry_after, "5");
  return r;
}

net::awaitable<std::variant<principal, response>> graph_caller(services& s, http::request& req, access need) {
  if (!meta::valid_version(req.param("version"))) co_return invalid_parameter("unknown Graph API version", req);
  auto w = co_await authenticate(req, s, need);
  if (auto* r = std::get_if<response>(&w)) co_return auth_refusal(*r, req);
  co_return std::get<principal>(std::move(w));
}

// Enfinito's own refusals (no or bad key, read-only key, CSRF) in Meta's words.
response auth_refusal(const response& ours, const http::request& req) {
  if (ours.result() == status::too_many_requests) {  // api/rate_guard.hpp: Meta's app-level limit
    auto r = meta_error(status::too_many_requests, 4, "OAuthException", "Application request limit reached",
                        "this API key or account is over its Enfinito rate limit: retry after Retry-After", req);
    copy_rate_limit_fields(ours, r);
    return r;
  }
  if (ours.result() == status::unauthorized)
    return meta_error(status::unauthorized, 190, "OAuthException", "Invalid OAuth access token",
                      "send an Enfinito API key as Authorization: Bearer", req);
  return meta_error(status::forbidden, 200, "OAuthException", "Permission denied",
                    "this API key may not do this (read-only, or limited to other instances)", req);
}

// A refused send in Meta's words (outbound/graph_answer.hpp).
response refuse(const outbound::graph_refusal& m, const http::request& req) {
  return meta_error(static_cast<status>(m.http_status), m.code, "OAuthException", m.title, m.details, req);
}

// A relayed answer from Meta, unchanged.
response relay(const meta::response& r) {
  response res{static_cast<status>(r.status), 11};
  res.set(http::bhttp::field::content_type, r.content_type.empty() ? "application/json" : r.content_type);
  res.body() = r.body;
  return res;
}

response relayed(const core::result<meta::response>& got, const http::request& req) {
  return got ? relay(*got) : service_unavailable(req);
}

response param_refused(std::string_view field, std::string_view detail, const http::request& req) {
  return invalid_parameter("Param " + std::string(field.empty() ? "body" : field) + ": " + std::string(detail), req);
}

response not_json(const http::request& req) {
  return invalid_parameter("the body must be a JSON object (Content-Type: application/json)", req);
}

// ---- the instance behind a phone number id --------------------------------------------------

// An instance row that may call Meta: its status checked, its credentials opened.
net::awaitable<std::variant<graph_target, response>> ready(services& s,
                                                           std::shared_ptr<const store::instances::instance> row,
                                                           const http::request& req) {
  auto access = co_await instances::open_for_meta(*s.vault, s.blocking, *row);
  using kind = instances::meta_access::kind;
  switch (access.what) {
    case kind::ready:
      break;
    case kind::needs_reauth:
      co_return refuse(*outbound::graph_refusal_of(outbound::accept_result::kind::needs_reauth), req);
    case kind::disabled:
      co_return refuse(*outbound::graph_refusal_of(outbound::accept_result::kind::disabled), req);
    case kind::vault_failed:
      co_return service_unavailable(req);
  }
  graph_target t;
  t.row = std::move(row);
  t.creds = std::move(access.creds);
  co_return t;
}

// The caller's instance row for `phone` (a phone number id), whatever its status.
net::awaitable<std::variant<row_ptr, response>> find_by_phone(services& s, const principal& p, std::string phone,
                                                              const http::request& req) {
  if (!core::graph_id_like(phone)) co_return unknown_object(phone.substr(0, 32), req);
  const std::string lookup = s.vault->current()->lookup_hash("phone_number_id", phone);
  const std::string uid = p.user_id;
  const std::string cache_key = instance_cache::key(uid, "phone", lookup);
  auto row = s.instance_rows ? s.instance_rows->get(req.reactor, cache_key) : nullptr;
  core::error_code ec;
  if (!row) {
    const auto generation = store::instances::generation();  // before the read: see instance_cache.hpp
    store::instances::instance read;
    auto fn = [&read, &uid, &lookup](store::connection& c) {
      return store::instances::get_by_phone(c, uid, lookup, read);
    };
    ec = co_await s.db.read(fn);
    if (!ec) {
      row = std::make_shared<const store::instances::instance>(std::move(read));
      if (s.instance_rows) s.instance_rows->put(req.reactor, cache_key, row, generation);
    }
  }
  if (ec == store::error::not_found || (!ec && !p.may_use_instance(row->id))) co_return unknown_object(phone, req);
  if (ec) co_return service_unavailable(req);
  co_return row;
}

// The caller's instance for `phone`, ready to call Meta.
net::awaitable<std::variant<graph_target, response>> by_phone(services& s, const principal& p, std::string phone,
                                                              const http::request& req) {
  ENF_TRY(row, co_await find_by_phone(s, p, std::move(phone), req));
  auto t = co_await ready(s, std::move(row), req);
  co_return t;
}

// For media ids (which do not name a number): `?phone_number_id=` if given, else the caller's
// only instance (or the API key's only one).
net::awaitable<std::variant<graph_target, response>> for_media(services& s, const principal& p,
                                                               const http::request& req) {
  auto phone = req.query_param("phone_number_id");
  if (phone) {
    auto t = co_await by_phone(s, p, *phone, req);
    co_return t;
  }
  std::vector<store::instances::instance> rows;
  const std::string uid = p.user_id;
  auto fn = [&rows, &uid](store::connection& c) { return store::instances::list(c, uid, "", 1000, rows); };
  auto ec = co_await s.db.read(fn);
  if (ec) co_return service_unavailable(req);
  std::erase_if(rows, [&p](const store::instances::instance& r) { return !p.may_use_instance(r.id); });
  if (rows.size() != 1)
    co_return invalid_parameter("several instances could own this media id: add ?phone_number_id=", req);
  auto t = co_await ready(s, std::make_shared<const store::instances::instance>(std::move(rows[0])), req);
  co_return t;
}

// A relayed call for the instance: Meta refusing its token also marks it (the queue pauses it).
net::awaitable<core::result<meta::response>> relay_call(services& s, const graph_target& t, meta::request rq,
                                                        meta::call_options o = {}) {
  auto got = co_await instances::call_meta(s.db, *s.meta, t.row->id, t.creds.access_token, std::move(rq), o);
  co_return got;
}

// Meta's refusal of a media id that is not this number's (another business's media: 403 code 10;
// an unknown id: 100/33). Both are answered with the same "does not exist" envelope as an id
// Enfinito refuses itself, so a caller cannot tell another tenant's media id from a bad one.
bool foreign_or_unknown_media(const meta::response& r) {
  return !r.ok() && instances::media_not_found(meta::parse_error(r.status, r.body));
}

// ---- handlers -------------------------------------------------------------------------------

struct graph_routes : graph_handlers {
  // POST {prefix}/{version}/{phone}/messages
  net::awaitable<response> messages(http::request& req) {
    ENF_TRY(p, co_await who(req, access::write));
    auto key = idempotency_key(req);
    if (!key) co_return invalid_parameter("Idempotency-Key: 1 to 255 visible ASCII characters", req);
    ENF_TRY(row, co_await find_by_phone(s, p, std::string(req.param("phone")), req));

    ENF_TRY(m, check_graph_message_body(req, s.json));
    if (m.what == meta::checked_message::kind::mark_read) {
      ENF_TRY(target, co_await ready(s, std::move(row), req));
      auto res = co_await mark_read(req, target, m);
      co_return res;
    }
    auto res = co_await send(req, p, *row, std::move(*key), std::move(m));
    co_return res;
  }

  net::awaitable<response> mark_read(http::request& req, const graph_target& t, const meta::checked_message& m) {
    const auto call = meta::mark_read(s.meta->version(), t.creds.phone_number_id, m.message_id, m.typing_indicator);
    auto got = co_await relay_call(s, t, call);
    co_return relayed(got, req);
  }

  // The accept is outbound::accept (outbound/accept.hpp), as for the REST route; a replay is
  // answered like the first request, from the message's outcome (read back from the log).
  net::awaitable<response> send(http::request& req, const principal& p, const store::instances::instance& row,
                                std::string key, meta::checked_message m) {
    const std::string to = m.to;
    outbound::send_request rq{row,
                              p.user_id,
                              p.via_api_key ? std::optional<std::string>(p.api_key_id) : std::nullopt,
                              std::move(key),
                              req.msg.method_string(),
                              req.path,
                              req.msg.body(),
                              [&m] { return std::optional<meta::checked_message>(std::move(m)); },
                              req.reactor};
    auto got = co_await outbound::accept({s.db, s.queue, s.cfg.queue, s.send_checks.get()}, std::move(rq));
    using kind = outbound::accept_result::kind;
    if (got.what != kind::accepted && got.what != kind::replayed) {
      if (auto no = outbound::graph_refusal_of(got.what, got.refusal)) co_return refuse(*no, req);
      co_return service_unavailable(req);  // store_failed, or body_refused (checked before: cannot happen)
    }
    auto res = co_await answer(req, got.message_id, to);
    if (got.what == kind::replayed) res.set("Idempotent-Replayed", "true");
    // Meta's shape has no place for it: a warning (a closed window under policy warn) is a header.
    for (const auto& w : got.warnings) res.insert("X-Enfinito-Warning", w.code);
    co_return res;
  }

  // Meta's answer to a send: the wamid once Meta answered within `graph.sync_wait_ms`,
  // Meta's error if it refused, else Enfinito's id with `message_status: "accepted"`.
  net::awaitable<response> answer(http::request& req, const std::string& message_id, const std::string& to) {
    std::optional<outbound::send_outcome> out;
    if (s.queue && s.cfg.graph.sync_wait.count() > 0) {
      auto waited = co_await s.queue->wait_for_outcome(message_id, s.cfg.graph.sync_wait);
      out = std::move(waited);
    }
    // Meta refused it (or it went dead): Meta's code, our short title (never Meta's text).
    response res =
        out && out->what != outbound::send_outcome::kind::sent
            ? refuse(outbound::graph_failure_of(*out, message_id), req)
            : http::json_response(status::ok, outbound::graph_send_body(message_id, to, out ? &*out : nullptr));
    res.set("X-Enfinito-Message-Id", message_id);
    co_return res;
  }

  // POST {prefix}/{version}/{phone}/media: the caller's multipart body, relayed as is.
  net::awaitable<response> media_upload(http::request& req) {
    ENF_TRY(p, co_await who(req, access::write));
    ENF_TRY(t, co_await by_phone(s, p, std::string(req.param("phone")), req));
    auto ct = req.header("Content-Type");
    if (!ct || ct->find("multipart/form-data") == std::string_view::npos)
      co_return invalid_parameter("upload media as multipart/form-data (messaging_product, type, file)", req);
    meta::request call;
    call.method = "POST";
    call.target = "/" + s.meta->version() + "/" + t.creds.phone_number_id + "/media";
    call.borrowed = req.body();  // relayed from the spooled request itself, not copied
    call.content_type = std::string(*ct);
    const meta::call_options slow{0, s.cfg.media.timeout};
    auto got = co_await relay_call(s, t, std::move(call), slow);
    co_return relayed(got, req);
  }

  // A call about `media_id` (meta::get_media or delete_media) on the caller's instance
  // (for_media): the instance and Meta's answer, or the refusal (503 when Meta was not
  // reached; "does not exist" for another number's media, as for an unknown id).
  using media_answer = std::pair<graph_target, meta::response>;
  using media_request = meta::request (*)(std::string_view, std::string_view, std::string_view);
  net::awaitable<std::variant<media_answer, response>> media_call(http::request& req, const principal& p,
                                                                  const std::string& media_id, media_request build) {
    ENF_TRY(t, co_await for_media(s, p, req));
    const auto call = build(s.meta->version(), media_id, t.creds.phone_number_id);
    auto got = co_await relay_call(s, t, call);
    if (!got) co_return service_unavailable(req);
    if (foreign_or_unknown_media(*got)) co_return unknown_object(media_id, req);
    co_return media_answer{std::move(t), std::move(*got)};
  }

  // GET {prefix}/{version}/{media-id}: Meta's answer with `url` pointing at Enfinito's proxy
  // (Meta's own URL needs Meta's token, which the caller does not have).
  net::awaitable<response> media_get(http::request& req) {
    ENF_TRY(p, co_await who(req, access::read));
    const std::string media_id(req.param("media_id"));
    if (!core::graph_id_like(media_id)) co_return unknown_object(media_id.substr(0, 32), req);
    // The same path names the caller's phone numbers and templates (graph_waba_routes.cpp).
    auto object = co_await object_get(s, p, media_id, req);
    if (object) co_return std::move(*object);
    ENF_TRY(called, co_await media_call(req, p, media_id, meta::get_media));
    auto& [t, got] = called;
    if (!got.ok()) co_return relay(got);
    // Strict (I-JSON), as every JSON Enfinito takes in: only an answer that means exactly
    // what Meta wrote is re-serialized; anything else goes through as Meta's bytes.
    auto doc = core::parse_json_strict(got.body);
    if (!doc.value || !doc.value->is_object()) co_return relay(got);
    auto& o = doc.value->as_object();
    if (o.contains("url"))
      o["url"] = s.cfg.server.public_url + "/v1/instances/" + t.row->id + "/media/" + media_id + "/content";
    co_return http::json_response(status::ok, o);
  }

  // DELETE {prefix}/{version}/{media-id}
  net::awaitable<response> media_delete(http::request& req) {
    ENF_TRY(p, co_await who(req, access::write));
    const std::string media_id(req.param("media_id"));
    if (!core::graph_id_like(media_id)) co_return unknown_object(media_id.substr(0, 32), req);
    ENF_TRY(called, co_await media_call(req, p, media_id, meta::delete_media));
    co_return relay(called.second);
  }
};

}  // namespace graph_detail

using namespace graph_detail;

std::variant<meta::checked_message, http::response> check_graph_message_body(const http::request& req,
                                                                             const http::json_limits& limits) {
  auto body = http::parse_json(req, limits);
  if (body.error) {
    // A duplicate member or a number that would change (I-JSON) is named, as Meta names fields.
    if (body.refusal && !body.refusal->field.empty())
      return invalid_parameter(body.refusal->field + ": " + body.refusal->detail, req);
    return not_json(req);
  }
  auto checked = meta::check_message(std::move(*body.value));
  if (!checked.ok) {
    const auto& v = checked.error;
    const std::string details = (v.field.empty() ? std::string("body") : v.field) + ": " + v.detail;
    if (v.missing)
      return meta_error(status::bad_request, 131008, "OAuthException", "Required parameter is missing", details, req);
    return invalid_parameter(details, req);
  }
  return std::move(checked.message);
}

void register_graph_routes(http::router& r, services& s) {
  if (s.cfg.graph.prefix.empty()) return;  // turned off
  auto g = std::make_shared<graph_routes>(graph_routes{{s}});
  const std::string& p = s.cfg.graph.prefix;
  const auto upload = upload_route_options(s.cfg);
  r.add(http::verb::post, p + "/{version}/{phone}/messages", "graph.messages",
        [g](http::request& q) { return g->messages(q); });
  r.add(
      http::verb::post, p + "/{version}/{phone}/media", "graph.media_upload",
      [g](http::request& q) { return g->media_upload(q); }, upload);
  r.add(http::verb::get, p + "/{version}/{media_id}", "graph.media_get",
        [g](http::request& q) { return g->media_get(q); });
  r.add(http::verb::delete_, p + "/{version}/{media_id}", "graph.media_delete",
        [g](http::request& q) { return g->media_delete(q); });
  register_graph_waba_routes(r, s);
}

}  // namespace enfinito::api
