// The Meta passthrough routes (see include/enfinito/api/meta_routes.hpp): mark as read, media
// upload / info / download / delete, message templates (served from the local copy:
// templates/manage.hpp), the business profile.
//
// Every handler follows one path: resolve (authenticate → the caller's instance → its Graph
// credentials: instances::open_for_meta) → check the input (meta::relay_input) → one relayed
// call (instances::meta_relay, instances::open_download) → shape its value or failure into our
// answer. Upstream text (Graph `message`, `details`) never reaches a client or a log line; the
// Graph code, subcode and fbtrace id do (they are what Meta support asks for).
//
// Memory: a download is streamed: Meta's answer is read in 64 KiB pieces that go out as the
// chunks of our answer (instances::next_piece → request::stream_body), so a transfer holds
// one fixed buffer whatever the file's size; `media.download_max_bytes` still caps the size
// and `media.timeout` the whole transfer. An upload is never held in the heap: the HTTP layer
// spools the request body to an unnamed file in instances::upload_spool_dir() as it arrives (at most
// `media.upload_body_bytes`) and maps it read-only; the file goes to Meta from that mapping,
// between its multipart framing, without a copy (meta::request::borrowed).
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/conversations/conversations.hpp>
#include <enfinito/api/meta_routes.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/instances/media_transfer.hpp>
#include <enfinito/instances/meta_access.hpp>
#include <enfinito/instances/meta_relay.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/errors.hpp>
#include <enfinito/meta/relay_input.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>
#include <enfinito/templates/manage.hpp>
#include <enfinito/templates/sync.hpp>

#include "http/multipart.hpp"
#include "api/owned.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <optional>
#include <variant>

namespace enfinito::api {
namespace {

using http::response;
using http::status;

// ---- answers ----------------------------------------------------------------------------------

// A problem+json that may carry Meta's error code (never its text).
response problem_with(status st, std::string_view code, std::string_view title, std::string_view detail,
                      const meta::graph_error* e = nullptr) {
  json::object o{{"detail", detail}};
  if (e && e->envelope) {
    o["meta_code"] = e->code;
    if (e->subcode) o["meta_subcode"] = e->subcode;
    if (!e->fbtrace_id.empty()) o["meta_fbtrace_id"] = e->fbtrace_id;
  }
  return detail::extended_problem(st, code, title, std::move(o));
}

// A relay_input check's verdict as our problem+json.
response problem_of(const meta::input_problem& p) { return http::field_problem(p.field, p.detail, p.code); }

using detail::store_problem;  // 503 + Retry-After when the disk is full
using detail::vault_problem;

response unexpected_answer() {
  return problem_with(status::bad_gateway, "meta_unexpected_answer", "Meta answered in an unexpected shape",
                      "the request may or may not have taken effect at Meta");
}

response needs_reauth_problem() {
  return problem_with(status::conflict, "instance_needs_reauth", "The instance needs a new access token",
                      "Meta refused the access token (error 190): update access_token with PATCH /v1/instances/{id}");
}

// ---- the caller's instance ----------------------------------------------------------------------

struct target {
  principal who;
  store::instances::instance row;
  crypto::graph_credentials creds;
};

// Authenticates, loads the caller's instance (404 for anything not theirs or outside the key's
// scope), refuses unusable ones (409) and opens the Graph credentials.
net::awaitable<std::variant<target, response>> resolve(services& s, http::request& req, access need) {
  auto who = co_await authenticate(req, s, need);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  target t;
  t.who = std::move(std::get<principal>(who));
  auto loaded = co_await detail::load_instance(s, t.who, req.param("id"));
  if (auto* r = std::get_if<response>(&loaded)) co_return std::move(*r);
  t.row = std::get<store::instances::instance>(std::move(loaded));
  auto access = co_await instances::open_for_meta(*s.vault, s.blocking, t.row);
  using kind = instances::meta_access::kind;
  switch (access.what) {
    case kind::ready:
      break;
    case kind::needs_reauth:
      co_return needs_reauth_problem();
    case kind::disabled:
      co_return problem_with(status::conflict, "instance_disabled", "The instance is disabled",
                             "enable it with PATCH /v1/instances/{id} {\"status\":\"active\"}");
    case kind::vault_failed:
      co_return vault_problem();
  }
  t.creds = std::move(access.creds);
  co_return t;
}

// A handler of the caller's instance, called once resolve() found it.
using with_target = net::awaitable<response> (*)(services&, http::request&, target&);

net::awaitable<response> resolved_then(services& s, http::request& req, access need, with_target fn) {
  auto resolved = co_await resolve(s, req, need);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto res = co_await fn(s, req, std::get<target>(resolved));
  co_return res;
}

// ---- Meta's answer ----------------------------------------------------------------------------

response transport_problem(core::error_code ec) {
  if (ec == meta::error::timeout)
    return problem_with(status::gateway_timeout, "upstream_unavailable", "Meta did not answer in time",
                        "the request may or may not have taken effect at Meta");
  return problem_with(status::bad_gateway, "upstream_unavailable", "Meta could not be reached", "try again later");
}

// What the client gets for a relayed call that failed. `media` turns "no such object" and
// "not yours" into a 404 for media ids (see instances::media_not_found).
response failure_answer(const instances::relay_failure& f, bool media = false) {
  using kind = instances::relay_failure::kind;
  if (f.what == kind::unreachable) return transport_problem(f.transport);
  if (f.what == kind::unexpected) return unexpected_answer();
  if (f.token_refused) return needs_reauth_problem();
  const auto& e = f.error;
  if (media && instances::media_not_found(e))
    return http::problem(status::not_found, "media_not_found", "No such media",
                         "Meta does not know this media id for this instance (uploaded media live 30 days)");
  const bool retry = meta::classify(e) == meta::disposition::retryable;
  return problem_with(status::bad_gateway, "meta_error", "Meta refused the request",
                      retry ? "a temporary condition at Meta (see meta_code): retry later"
                            : "see meta_code in Meta's error code reference",
                      &e);
}

// The failure of a relayed call, if it failed.
template <class T>
const instances::relay_failure* failed(const instances::relayed<T>& r) {
  return std::get_if<instances::relay_failure>(&r);
}

// The caller's instance as the relay flows see it (a view into `t`).
instances::relay_target relay(services& s, const target& t) { return {s.db, *s.meta, t.row.id, t.creds}; }

// ---- media transfers in flight ------------------------------------------------------------------

// Only `media.max_concurrent` transfers run at once (instances::media_slot): the others are
// told to come back.
response media_busy() {
  auto r = http::problem(status::service_unavailable, "media_busy", "Too many media transfers in progress",
                         "retry in a few seconds");
  r.set(http::bhttp::field::retry_after, "5");
  return r;
}

// ---- mark as read -------------------------------------------------------------------------------

net::awaitable<response> mark_read(services& s, http::request& req, target& t) {
  const std::string wamid(req.param("wamid"));
  if (!meta::wamid_like(wamid)) co_return http::field_problem("wamid", "a WhatsApp message id, 1 to 256 characters");
  bool typing = false;
  if (!req.msg.body().empty()) {
    auto body = http::parse_json(req, s.json);
    if (body.error) co_return std::move(*body.error);
    auto read = meta::read_mark_read_body(*body.value);
    if (auto* bad = std::get_if<meta::input_problem>(&read)) co_return problem_of(*bad);
    typing = std::get<bool>(read);
  }
  const auto m = relay(s, t);
  auto a = co_await instances::mark_read(m, wamid, typing);
  if (auto* f = failed(a)) co_return failure_answer(*f);
  co_return http::json_response(status::ok, json::object{{"success", true}});
}

// POST /v1/instances/{id}/conversations/{peer}/read: the web app read a conversation. The
// local read mark moves first (the unread count is ours), then Meta gets a read receipt for
// the newest inbound message (blue ticks on the customer's phone) like mark_read above.
net::awaitable<response> conversation_read(services& s, http::request& req, target& t) {
  const auto peer = conversations::peer_from_path(req.param("peer"));
  if (!peer) co_return http::field_problem("peer", "a phone number in international format or a WhatsApp user id");
  const auto m = relay(s, t);
  auto read = co_await instances::read_conversation(m, t.who.user_id, *peer);
  if (read.stored == store::error::not_found)
    co_return http::problem(status::not_found, "conversation_not_found", "No such conversation",
                            "no message to or from this peer in this instance");
  if (read.stored) co_return store_problem(read.stored);
  if (read.failure) co_return failure_answer(*read.failure);
  co_return http::no_content();
}

// GET /v1/meta/errors: the table of Meta's error codes explained (meta/errors.hpp). Public:
// it is documentation, the same for everyone.
net::awaitable<response> errors_list(services&, http::request&) {
  json::array data;
  for (const auto& e : meta::error_table())
    data.push_back(
        json::object{{"code", e.code}, {"title", e.title}, {"explanation", e.explanation}, {"action", e.action}});
  auto res = http::json_response(status::ok, json::object{{"data", std::move(data)}});
  res.set(http::bhttp::field::cache_control, "public, max-age=3600");
  co_return res;
}

// ---- media upload -------------------------------------------------------------------------------

using meta::upload_input;

// multipart/form-data: `file` (with its Content-Type) and optional `type` / `messaging_product`
// (meta::read_upload_form).
std::variant<upload_input, response> read_multipart(const http::request& req, std::string_view content_type) {
  auto parts = http::multipart::parse(content_type, req.body());
  if (!parts) return http::field_problem("", http::multipart::describe(parts.error()), "invalid_multipart");
  std::vector<meta::form_part> form;
  for (const auto& p : *parts) form.push_back({p.name, p.filename, p.content_type, p.data});
  auto in = meta::read_upload_form(form);
  if (auto* bad = std::get_if<meta::input_problem>(&in)) return problem_of(*bad);
  return std::get<upload_input>(std::move(in));
}

// Either form; then Meta's per-type rules (REFERENCE.md §4).
std::variant<upload_input, response> read_upload(const http::request& req) {
  const std::string_view ct = req.header("Content-Type").value_or("");
  std::variant<upload_input, response> got = upload_input{};
  if (http::multipart::is_form_data(ct)) {
    got = read_multipart(req, ct);
    if (std::holds_alternative<response>(got)) return got;
  } else {
    // A raw body: the Content-Type is the media type.
    auto& in = std::get<upload_input>(got);
    in.mime = meta::media_essence(ct);
    if (in.mime.empty())
      return http::problem(status::unsupported_media_type, "unsupported_media_type", "Give the media type",
                           "send multipart/form-data, or the file itself with its media type as Content-Type");
    if (auto f = req.query_param("filename")) {
      if (!meta::upload_filename_ok(*f)) return http::field_problem("filename", "1 to 200 characters");
      in.filename = *f;
    }
    in.bytes = req.body();
  }
  auto& in = std::get<upload_input>(got);
  if (auto no = meta::check_upload_file(in.mime, in.bytes)) {
    using kind = meta::upload_refusal::kind;
    switch (no->what) {
      case kind::unsupported_type:
        return problem_with(status::unsupported_media_type, "unsupported_media_type",
                            "WhatsApp does not take this media type",
                            "images: image/jpeg, image/png; stickers: image/webp; video: video/mp4, video/3gpp; "
                            "audio: audio/aac, audio/amr, audio/mpeg, audio/mp4, audio/ogg; documents: text/plain, "
                            "application/pdf and the Microsoft Office types");
      case kind::empty:
        return http::field_problem("file", "the file is empty");
      case kind::too_large:
        return problem_with(status::payload_too_large, "media_too_large", "The file is too large for WhatsApp",
                            no->detail);
    }
  }
  return got;
}

net::awaitable<response> upload(services& s, http::request& req, target& t) {
  auto got = read_upload(req);
  if (auto* r = std::get_if<response>(&got)) co_return std::move(*r);
  const auto& in = std::get<upload_input>(got);
  instances::media_slot slot(s.cfg.media.max_concurrent);
  if (!slot.held()) co_return media_busy();
  const auto m = relay(s, t);
  auto a = co_await instances::upload_media(m, in.mime, in.filename, in.bytes, {.timeout = s.cfg.media.timeout});
  if (auto* f = failed(a)) co_return failure_answer(*f);
  const auto* id = &std::get<std::string>(a);
  core::log::info("api.media_uploaded", {{"instance", t.row.id}, {"bytes", in.bytes.size()}});
  auto res = http::json_response(status::created, json::object{{"id", *id}});
  res.set(http::bhttp::field::location, "/v1/instances/" + t.row.id + "/media/" + *id);
  co_return res;
}

// ---- media info, download, delete ---------------------------------------------------------------

net::awaitable<response> media_get(services& s, http::request& req, target& t) {
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  const auto m = relay(s, t);
  auto a = co_await instances::media_info(m, media_id);
  if (auto* f = failed(a)) co_return failure_answer(*f, true);
  const auto& info = std::get<meta::media_info>(a);
  // Meta's URL is left out: it only works with the instance's token. The content route fetches it.
  // (The lookup passes phone_number_id, which Meta documents as restricting it to media of that
  // number, so an API key scoped to one instance cannot reach another number's media.)
  json::object o{{"id", media_id},
                 {"mime_type", info.mime_type},
                 {"sha256", info.sha256},
                 {"file_size", info.file_size},
                 {"content_url", "/v1/instances/" + t.row.id + "/media/" + media_id + "/content"}};
  co_return http::json_response(status::ok, o);
}

net::awaitable<response> media_content(services& s, http::request& req, target& t) {
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  const auto m = relay(s, t);
  const instances::download_limits limits{.max_bytes = s.cfg.media.download_max_bytes,
                                          .timeout = s.cfg.media.timeout,
                                          .max_concurrent = s.cfg.media.max_concurrent};
  auto opened = co_await instances::open_download(m, media_id, limits);
  if (auto* no = std::get_if<instances::download_refusal>(&opened)) {
    using kind = instances::download_refusal::kind;
    switch (no->what) {
      case kind::failed:
        co_return failure_answer(no->failure, true);
      case kind::too_large:
        co_return problem_with(status::bad_gateway, "media_too_large_to_relay",
                               "The media file is larger than this server relays",
                               "the operator's media.download_max_bytes is lower than the file's size");
      case kind::url_refused:
        co_return unexpected_answer();
      case kind::busy:
        co_return media_busy();
      case kind::gone:
        co_return http::problem(status::not_found, "media_not_found", "No such media",
                                "Meta no longer serves this file (media from webhooks can be downloaded for 7 days)");
    }
  }
  auto st = std::get<std::shared_ptr<instances::download>>(std::move(opened));
  // The head now; the body follows piece by piece (chunked), straight from Meta's answer.
  response res{status::ok, 11};
  const auto headers = instances::headers_for(st->reader->content_type(), st->info);
  res.set(http::bhttp::field::content_type, headers.content_type);
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"" + media_id + "\"");
  res.set(http::bhttp::field::cache_control, "private, no-store");
  if (!headers.sha256.empty()) res.set("X-Media-SHA256", headers.sha256);
  req.stream_body = [st](std::string& chunk) { return instances::next_piece(st, chunk); };
  co_return res;
}

net::awaitable<response> media_delete(services& s, http::request& req, target& t) {
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  const auto m = relay(s, t);
  auto a = co_await instances::delete_media(m, media_id);
  if (auto* f = failed(a)) co_return failure_answer(*f, true);
  co_return http::no_content();
}

// ---- templates ----------------------------------------------------------------------------------
// Listed from the local copy (templates/manage.hpp: no call to Meta); created, edited and
// deleted at Meta first, then in the copy.

net::awaitable<response> templates_list(services& s, http::request& req, target& t) {
  const meta::template_query_params params{req.query_param("limit"),  req.query_param("after"),
                                           req.query_param("before"), req.query_param("name"),
                                           req.query_param("status"), req.query_param("language")};
  meta::template_query q;
  if (auto bad = meta::read_template_query(params, q)) co_return problem_of(*bad);
  store::templates::filter f;
  if (auto bad = templates::list_filter(q, f)) co_return http::field_problem(*bad, "a cursor from a previous page");
  // A copy never synced proves nothing: the first list syncs it once (one call to Meta).
  auto synced = co_await templates::ever_synced(s.db, t.row.id);
  if (!synced) co_return store_problem(synced.error());
  if (!*synced) {
    const auto m = relay(s, t);
    auto a = co_await templates::sync_now(m);
    if (auto* no = failed(a)) co_return failure_answer(*no);
  }
  auto page = co_await templates::list(s.db, t.row.id, std::move(f));
  if (!page) co_return store_problem(page.error());
  co_return http::json_response(status::ok, templates::page_json(std::move(*page)));
}

net::awaitable<response> templates_create(services& s, http::request& req, target& t) {
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  if (auto bad = meta::check_template(*body.value)) co_return problem_of(*bad);
  const auto m = relay(s, t);
  auto a = co_await templates::create(m, body.value->as_object());
  if (auto* f = failed(a)) co_return failure_answer(*f);
  const auto& out = std::get<json::object>(a);  // id, status, category
  co_return http::json_response(status::created, out);
}

// PATCH /v1/instances/{id}/templates/{template_id}: components and/or category.
net::awaitable<response> templates_edit(services& s, http::request& req) {
  const std::string template_id(req.param("template_id"));
  if (!templates::template_id_like(template_id))
    co_return http::field_problem("template_id", "Meta's template id: 1 to 32 digits");
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  if (auto bad = templates::check_edit(*body.value)) co_return problem_of(*bad);
  auto known = co_await templates::find_by_id(s.db, t.who.user_id, template_id);
  if (known.error() == store::error::not_found || (known && known->instance_id != t.row.id))
    co_return http::problem(
        status::not_found, "template_not_found", "No such template",
        "the instance's copy has no template with this id (POST .../templates/sync reads it again)");
  if (!known) co_return store_problem(known.error());
  const auto m = relay(s, t);
  auto a = co_await templates::edit(m, template_id, body.value->as_object());
  if (auto* f = failed(a)) co_return failure_answer(*f);
  co_return http::json_response(status::ok, json::object{{"success", true}});
}

// DELETE /v1/instances/{id}/templates?name=…[&template_id=…]: every language, or one id.
net::awaitable<response> templates_delete(services& s, http::request& req) {
  const auto name = req.query_param("name");
  if (!name || !templates::template_name_like(*name))
    co_return http::field_problem("name", "the template's name: lowercase letters, digits and _", "missing_field");
  const std::string template_id(req.query_param("template_id").value_or(""));
  if (!template_id.empty() && !templates::template_id_like(template_id))
    co_return http::field_problem("template_id", "Meta's template id: 1 to 32 digits");
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  const auto m = relay(s, t);
  auto a = co_await templates::remove(m, std::string(*name), template_id);
  if (auto* f = failed(a)) co_return failure_answer(*f);
  co_return http::no_content();
}

// POST /v1/instances/{id}/templates/sync: the copy read again from Meta now.
net::awaitable<response> templates_sync(services& s, http::request&, target& t) {
  const auto m = relay(s, t);
  auto a = co_await templates::sync_now(m);
  if (auto* f = failed(a)) co_return failure_answer(*f);
  co_return http::json_response(status::ok, json::object{{"templates", std::get<std::size_t>(a)}});
}

// ---- business profile ---------------------------------------------------------------------------

net::awaitable<response> profile_get(services& s, http::request&, target& t) {
  const auto m = relay(s, t);
  auto a = co_await instances::get_business_profile(m);
  if (auto* f = failed(a)) co_return failure_answer(*f);
  co_return http::json_response(status::ok, std::get<json::object>(a));
}

net::awaitable<response> profile_update(services& s, http::request& req, target& t) {
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  if (auto bad = meta::check_business_profile(*body.value)) co_return problem_of(*bad);
  const auto m = relay(s, t);
  auto a = co_await instances::update_business_profile(m, body.value->as_object());
  if (auto* f = failed(a)) co_return failure_answer(*f);
  co_return http::json_response(status::ok, json::object{{"success", true}});
}

}  // namespace

http::route_options upload_route_options(const config::settings& cfg) {
  // One count for the process, like instances::media_slot: both routes draw on the same spool.
  static const auto spooling = std::make_shared<std::atomic<std::size_t>>(0);
  http::route_options o;
  o.body_limit = cfg.media.upload_body_bytes;
  o.spool_dir = instances::upload_spool_dir(cfg);
  o.spool_max = cfg.media.max_concurrent;
  o.spooling = spooling;
  return o;
}

void register_meta_routes(http::router& r, services& s) {
  using http::verb;
  auto plain = [&s](detail::handler fn) { return detail::bind(s, fn); };
  // Most routes act on the caller's instance {id}: resolved first (caller, row, credentials).
  auto on = [&s](access need, with_target fn) {
    return [&s, need, fn](http::request& q) { return resolved_then(s, q, need, fn); };
  };
  const auto read = access::read, write = access::write;
  const auto upload_options = upload_route_options(s.cfg);
  r.add(verb::post, "/v1/instances/{id}/messages/{wamid}/read", "messages.mark_read", on(write, mark_read));
  r.add(verb::post, "/v1/instances/{id}/conversations/{peer}/read", "conversations.read", on(write, conversation_read));
  r.add(verb::get, "/v1/meta/errors", "meta.errors", plain(errors_list));
  r.add(verb::post, "/v1/instances/{id}/media", "media.upload", on(write, upload), upload_options);
  r.add(verb::get, "/v1/instances/{id}/media/{media_id}", "media.get", on(read, media_get));
  r.add(verb::delete_, "/v1/instances/{id}/media/{media_id}", "media.delete", on(write, media_delete));
  http::route_options download_options;
  download_options.write_timeout = s.cfg.media.timeout;  // a large file to a slow client
  r.add(verb::get, "/v1/instances/{id}/media/{media_id}/content", "media.content", on(read, media_content),
        download_options);
  r.add(verb::get, "/v1/instances/{id}/templates", "templates.list", on(read, templates_list));
  r.add(verb::post, "/v1/instances/{id}/templates", "templates.create", on(write, templates_create));
  r.add(verb::delete_, "/v1/instances/{id}/templates", "templates.delete", plain(templates_delete));
  r.add(verb::patch, "/v1/instances/{id}/templates/{template_id}", "templates.edit", plain(templates_edit));
  r.add(verb::post, "/v1/instances/{id}/templates/sync", "templates.sync", on(write, templates_sync));
  r.add(verb::get, "/v1/instances/{id}/business-profile", "business_profile.get", on(read, profile_get));
  r.add(verb::patch, "/v1/instances/{id}/business-profile", "business_profile.update", on(write, profile_update));
}

}  // namespace enfinito::api
