// The Meta passthrough routes (see include/enfinito/api/meta_routes.hpp): mark as read, media
// upload / info / download / delete, message templates, the business profile.
//
// Every handler follows one path: resolve (authenticate → the caller's instance → its Graph
// credentials) → validate the input → a sans-I/O request from meta::graph → meta::client →
// map Meta's answer. Upstream text (Graph `message`, `details`) never reaches a client or a
// log line; the Graph code, subcode and fbtrace id do (they are what Meta support asks for).
//
// Memory: a download is streamed: Meta's answer is read in 64 KiB pieces that go out as the
// chunks of our answer (upstream::body_reader → request::stream_body), so a transfer holds
// one fixed buffer whatever the file's size; `media.download_max_bytes` still caps the size
// and `media.timeout` the whole transfer. An upload is never held in the heap: the HTTP layer
// spools the request body to an unnamed file in upload_spool_dir() as it arrives (at most
// `media.upload_body_bytes`) and maps it read-only; the file goes to Meta from that mapping,
// between its multipart framing, without a copy (meta::request::borrowed).
#include <enfinito/api/auth_guard.hpp>
#include <enfinito/api/conversations.hpp>
#include <enfinito/api/meta_routes.hpp>
#include <enfinito/core/ids.hpp>
#include <enfinito/core/json_strict.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/meta/client.hpp>
#include <enfinito/meta/errors.hpp>
#include <enfinito/store/conversations.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/instances.hpp>
#include <enfinito/store/store.hpp>

#include "api/multipart.hpp"
#include "api/store_problem.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <variant>

namespace enfinito::api {
namespace {

namespace si = store::instances;
using http::response;
using http::status;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Characters as Meta counts them (code points; JSON input is valid UTF-8).
std::size_t chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool all_of_set(std::string_view s, std::string_view extra, std::size_t lo, std::size_t hi) {
  return s.size() >= lo && s.size() <= hi && std::all_of(s.begin(), s.end(), [&](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
         });
}

// ---- answers ----------------------------------------------------------------------------------

// A problem+json that may carry Meta's error code (never its text).
response problem_with(status st, std::string_view code, std::string_view title, std::string_view detail,
                      const meta::graph_error* e = nullptr) {
  json::object o;
  o["type"] = "urn:enfinito:problem:" + std::string(code);
  o["title"] = title;
  o["status"] = static_cast<int>(st);
  o["code"] = code;
  o["detail"] = detail;
  if (e && e->envelope) {
    o["meta_code"] = e->code;
    if (e->subcode) o["meta_subcode"] = e->subcode;
    if (!e->fbtrace_id.empty()) o["meta_fbtrace_id"] = e->fbtrace_id;
  }
  auto r = http::json_response(st, json::serialize(o));
  r.set(http::bhttp::field::content_type, "application/problem+json");
  return r;
}

response not_found() { return http::problem(status::not_found, "instance_not_found", "No such instance"); }

using detail::store_problem;  // 503 + Retry-After when the disk is full

response vault_problem() {
  return http::problem(status::internal_server_error, "vault_error", "Stored credentials could not be decrypted",
                       "the operator has been told (see the daemon log)");
}

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
  si::instance row;
  crypto::graph_credentials creds;
};

// Authenticates, loads the caller's instance (404 for anything not theirs or outside the key's
// scope), refuses unusable ones (409) and opens the Graph credentials.
net::awaitable<std::variant<target, response>> resolve(services& s, http::request& req, access need) {
  auto who = co_await authenticate(req, s, need);
  if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
  target t;
  t.who = std::move(std::get<principal>(who));
  const std::string id(req.param("id"));
  if (id.size() > 64 || !t.who.may_use_instance(id)) co_return not_found();
  const std::string uid = t.who.user_id;
  si::instance* row = &t.row;
  auto work = [row, &uid, &id](store::connection& c) { return si::get(c, uid, id, *row); };
  auto ec = co_await s.db.read(work);
  if (ec == store::error::not_found) co_return not_found();
  if (ec) co_return store_problem(ec);
  if (t.row.status == "needs_reauth") co_return needs_reauth_problem();
  if (t.row.status == "disabled")
    co_return problem_with(status::conflict, "instance_disabled", "The instance is disabled",
                           "enable it with PATCH /v1/instances/{id} {\"status\":\"active\"}");
  auto creds = co_await crypto::open_graph_credentials(*s.vault, s.blocking, t.row);
  if (!creds) co_return vault_problem();
  t.creds = std::move(*creds);
  co_return t;
}

// ---- calling Meta -------------------------------------------------------------------------------

net::awaitable<void> mark_needs_reauth(services& s, const target& t, const meta::graph_error& e) {
  co_await record_needs_reauth(s, t.row.id, e);
}

// What to make of a Graph error. `media` turns "no such object" and "not yours" into a 404 for
// media ids (see media_not_found).
net::awaitable<response> graph_error_answer(services& s, const target& t, const meta::graph_error& e,
                                            std::string_view op, bool media) {
  core::log::info("meta_call_failed", {{"instance", t.row.id}, {"op", op}, {"http_status", e.http_status},
                                       {"meta_code", e.code}, {"meta_subcode", e.subcode},
                                       {"fbtrace_id", e.fbtrace_id}});
  if (meta::classify(e) == meta::disposition::needs_reauth) {
    co_await mark_needs_reauth(s, t, e);
    co_return needs_reauth_problem();
  }
  if (media && media_not_found(e))
    co_return http::problem(status::not_found, "media_not_found", "No such media",
                            "Meta does not know this media id for this instance (uploaded media live 30 days)");
  const bool retry = meta::classify(e) == meta::disposition::retryable;
  co_return problem_with(status::bad_gateway, "meta_error", "Meta refused the request",
                         retry ? "a temporary condition at Meta (see meta_code): retry later"
                               : "see meta_code in Meta's error code reference",
                         &e);
}

response transport_problem(core::error_code ec) {
  if (ec == meta::error::timeout)
    return problem_with(status::gateway_timeout, "upstream_unavailable", "Meta did not answer in time",
                        "the request may or may not have taken effect at Meta");
  return problem_with(status::bad_gateway, "upstream_unavailable", "Meta could not be reached", "try again later");
}

// One Graph call. Sets `ok` to Meta's 2xx answer, or `problem` to what the client gets.
struct meta_answer {
  std::optional<meta::response> ok;
  std::optional<response> problem;
};

net::awaitable<meta_answer> call_meta(services& s, const target& t, meta::request rq, std::string_view op,
                                      bool media = false, meta::call_options o = {}) {
  meta_answer a;
  auto res = co_await s.meta->send(std::move(rq), t.creds.access_token, o);
  if (!res) {
    core::log::warn("meta_unreachable", {{"instance", t.row.id}, {"op", op}, {"error", res.error().message()}});
    a.problem = transport_problem(res.error());
    co_return a;
  }
  if (res->ok()) {
    a.ok = std::move(*res);
    co_return a;
  }
  const auto e = meta::parse_error(res->status, res->body);
  auto p = co_await graph_error_answer(s, t, e, op, media);
  a.problem = std::move(p);
  co_return a;
}

// ---- media transfers in flight ------------------------------------------------------------------

// Each upload holds a spooled file (and each download a connection to Meta), so only
// `media.max_concurrent` run at once in the process; the others are told to come back (503)
// rather than queued.
std::atomic<unsigned> media_in_flight{0};

class media_slot {
 public:
  explicit media_slot(unsigned max) : held_(media_in_flight.fetch_add(1) < max) {
    if (!held_) media_in_flight.fetch_sub(1);
  }
  ~media_slot() {
    if (held_) media_in_flight.fetch_sub(1);
  }
  media_slot(const media_slot&) = delete;
  media_slot& operator=(const media_slot&) = delete;
  bool held() const noexcept { return held_; }

 private:
  bool held_;
};

response media_busy() {
  auto r = http::problem(status::service_unavailable, "media_busy", "Too many media transfers in progress",
                         "retry in a few seconds");
  r.set(http::bhttp::field::retry_after, "5");
  return r;
}

// ---- mark as read -------------------------------------------------------------------------------

// A wamid as a path segment: base64-ish with a `wamid.` prefix in practice.
bool wamid_like(std::string_view w) { return all_of_set(w, "+/=._-:", 1, 256); }

net::awaitable<response> mark_read(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  const std::string wamid(req.param("wamid"));
  if (!wamid_like(wamid)) co_return http::field_problem("wamid", "a WhatsApp message id, 1 to 256 characters");
  bool typing = false;
  if (!req.msg.body().empty()) {
    auto body = http::parse_json(req, s.json);
    if (body.error) co_return std::move(*body.error);
    if (!body.value->is_object()) co_return http::field_problem("", "the body must be a JSON object", "invalid_body");
    for (const auto& [k, v] : body.value->as_object()) {
      if (k != "typing_indicator") co_return http::field_problem(k, "unknown field", "unknown_field");
      if (!v.is_bool()) co_return http::field_problem(k, "true or false");
      typing = v.get_bool();
    }
  }
  auto rq = meta::mark_read(s.meta->version(), t.creds.phone_number_id, wamid, typing);
  auto a = co_await call_meta(s, t, std::move(rq), "mark_read");
  if (a.problem) co_return std::move(*a.problem);
  if (!meta::parse_success(a.ok->body)) co_return unexpected_answer();
  co_return http::json_response(status::ok, json::object{{"success", true}});
}

// POST /v1/instances/{id}/conversations/{peer}/read: the web app read a conversation. The
// local read mark moves first (the unread count is ours), then Meta gets a read receipt for
// the newest inbound message (blue ticks on the customer's phone) like mark_read above.
net::awaitable<response> conversation_read(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  const auto peer = peer_from_path(req.param("peer"));
  if (!peer) co_return http::field_problem("peer", "a phone number in international format or a WhatsApp user id");
  std::string wamid;
  const std::string uid = t.who.user_id, iid = t.row.id;
  auto write = [&](store::connection& c) { return store::conversations::mark_read(c, uid, iid, *peer, wamid); };
  auto ec = co_await s.db.write(write);
  if (ec == store::error::not_found)
    co_return http::problem(status::not_found, "conversation_not_found", "No such conversation",
                            "no message to or from this peer in this instance");
  if (ec) co_return store_problem(ec);
  if (!wamid.empty()) {
    auto a = co_await call_meta(s, t, meta::mark_read(s.meta->version(), t.creds.phone_number_id, wamid, false),
                                "mark_read");
    if (a.problem) co_return std::move(*a.problem);
  }
  co_return http::no_content();
}

// GET /v1/meta/errors: the table of Meta's error codes explained (meta/errors.hpp). Public:
// it is documentation, the same for everyone.
net::awaitable<response> errors_list(services&, http::request&) {
  json::array data;
  for (const auto& e : meta::error_table())
    data.push_back(json::object{{"code", e.code}, {"title", e.title}, {"explanation", e.explanation}, {"action", e.action}});
  auto res = http::json_response(status::ok, json::object{{"data", std::move(data)}});
  res.set(http::bhttp::field::cache_control, "public, max-age=3600");
  co_return res;
}

// ---- media upload -------------------------------------------------------------------------------

struct upload_input {
  std::string mime;
  std::string filename;
  std::string_view bytes;  // into the request body
};

std::string essence(std::string_view mime) {
  mime = mime.substr(0, mime.find(';'));
  while (!mime.empty() && mime.back() == ' ') mime.remove_suffix(1);
  std::string out(mime);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// multipart/form-data: `file` (with its Content-Type) and optional `type` / `messaging_product`.
std::variant<upload_input, response> read_multipart(const http::request& req, std::string_view content_type) {
  auto parts = multipart::parse(content_type, req.body());
  if (!parts) return http::field_problem("", multipart::describe(parts.error()), "invalid_multipart");
  upload_input in;
  const multipart::part* file = nullptr;
  std::string type;
  for (const auto& p : *parts) {
    if (p.name == "file") {
      if (file) return http::field_problem("file", "give one file", "invalid_field");
      file = &p;
    } else if (p.name == "type") {
      type = std::string(p.data);
    } else if (p.name == "messaging_product") {
      if (p.data != "whatsapp") return http::field_problem("messaging_product", "must be whatsapp");
    } else {
      return http::field_problem(p.name.substr(0, 64), "unknown part", "unknown_field");
    }
  }
  if (!file) return http::field_problem("file", "required: the media file as a multipart part", "missing_field");
  const std::string part_type = essence(file->content_type);
  const bool typed_part = !part_type.empty() && part_type != "application/octet-stream";
  if (!type.empty() && typed_part && essence(type) != part_type)
    return http::field_problem("type", "does not match the file part's Content-Type");
  in.mime = !type.empty() ? essence(type) : part_type;
  if (in.mime.empty() || in.mime == "application/octet-stream")
    return http::field_problem("type", "give the media type (a `type` part or the file part's Content-Type)",
                               "missing_field");
  in.filename = file->filename;
  in.bytes = file->data;
  return in;
}

// Either form; then Meta's per-type rules (REFERENCE.md §4).
std::variant<upload_input, response> read_upload(const http::request& req) {
  const std::string_view ct = req.header("Content-Type").value_or("");
  std::variant<upload_input, response> got = upload_input{};
  if (multipart::is_form_data(ct)) {
    got = read_multipart(req, ct);
    if (std::holds_alternative<response>(got)) return got;
  } else {
    // A raw body: the Content-Type is the media type.
    auto& in = std::get<upload_input>(got);
    in.mime = essence(ct);
    if (in.mime.empty())
      return http::problem(status::unsupported_media_type, "unsupported_media_type", "Give the media type",
                           "send multipart/form-data, or the file itself with its media type as Content-Type");
    if (auto f = req.query_param("filename")) {
      if (f->empty() || chars(*f) > 200) return http::field_problem("filename", "1 to 200 characters");
      in.filename = *f;
    }
    in.bytes = req.body();
  }
  auto& in = std::get<upload_input>(got);
  const auto limit = meta::media_limit_for(in.mime, in.bytes.substr(0, 64));
  if (!limit)
    return problem_with(status::unsupported_media_type, "unsupported_media_type", "WhatsApp does not take this media type",
                        "images: image/jpeg, image/png; stickers: image/webp; video: video/mp4, video/3gpp; audio: "
                        "audio/aac, audio/amr, audio/mpeg, audio/mp4, audio/ogg; documents: text/plain, "
                        "application/pdf and the Microsoft Office types");
  if (in.bytes.empty()) return http::field_problem("file", "the file is empty");
  if (in.bytes.size() > limit->max_bytes) {
    const auto kib = limit->max_bytes / 1024;
    const std::string max = kib >= 1024 ? std::to_string(kib / 1024) + " MB" : std::to_string(kib) + " KB";
    return problem_with(status::payload_too_large, "media_too_large", "The file is too large for WhatsApp",
                        std::string(meta::to_string(limit->kind)) + " files of this type are limited to " + max);
  }
  return got;
}

net::awaitable<response> upload(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  auto got = read_upload(req);
  if (auto* r = std::get_if<response>(&got)) co_return std::move(*r);
  const auto& in = std::get<upload_input>(got);
  media_slot slot(s.cfg.media.max_concurrent);
  if (!slot.held()) co_return media_busy();
  // A boundary that cannot occur in the file (a random 32-byte token almost never does).
  std::string boundary = "enfinito-" + crypto::random_token(32);
  while (in.bytes.find(boundary) != std::string_view::npos) boundary = "enfinito-" + crypto::random_token(32);
  auto rq = meta::upload_media(s.meta->version(), t.creds.phone_number_id, in.mime, in.filename, in.bytes, boundary);
  auto a = co_await call_meta(s, t, std::move(rq), "media_upload", false, {.timeout = s.cfg.media.timeout});
  if (a.problem) co_return std::move(*a.problem);
  auto id = meta::parse_id(a.ok->body);
  if (!id) co_return unexpected_answer();
  core::log::info("media_uploaded", {{"instance", t.row.id}, {"bytes", in.bytes.size()}});
  auto res = http::json_response(status::created, json::object{{"id", *id}});
  res.set(http::bhttp::field::location, "/v1/instances/" + t.row.id + "/media/" + *id);
  co_return res;
}

// ---- media info, download, delete ---------------------------------------------------------------

// The media's metadata from Meta (and its short-lived URL). Sets `problem` on failure.
struct media_lookup {
  meta::media_info info;
  std::optional<response> problem;
};

net::awaitable<media_lookup> lookup_media(services& s, const target& t, const std::string& media_id) {
  media_lookup out;
  auto rq = meta::get_media(s.meta->version(), media_id, t.creds.phone_number_id);
  auto a = co_await call_meta(s, t, std::move(rq), "media_get", true);
  if (a.problem) {
    out.problem = std::move(a.problem);
    co_return out;
  }
  auto info = meta::parse_media_info(a.ok->body);
  if (!info) out.problem = unexpected_answer();
  else out.info = std::move(*info);
  co_return out;
}

net::awaitable<response> media_get(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::read);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  auto m = co_await lookup_media(s, t, media_id);
  if (m.problem) co_return std::move(*m.problem);
  // Meta's URL is left out: it only works with the instance's token. The content route fetches it.
  // (The lookup passes phone_number_id, which Meta documents as restricting it to media of that
  // number, so an API key scoped to one instance cannot reach another number's media.)
  json::object o{{"id", media_id},
                 {"mime_type", m.info.mime_type},
                 {"sha256", m.info.sha256},
                 {"file_size", m.info.file_size},
                 {"content_url", "/v1/instances/" + t.row.id + "/media/" + media_id + "/content"}};
  co_return http::json_response(status::ok, o);
}

// Upstream text we may repeat in a header: visible ASCII (and spaces), bounded.
bool header_safe(std::string_view v) {
  return !v.empty() && v.size() <= 200 && std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// A Content-Type we can safely repeat: `type/subtype[; params]`.
bool safe_content_type(std::string_view ct) { return header_safe(ct) && ct.find('/') != std::string_view::npos; }

// What a streamed download holds until its last piece is sent: Meta's answer being read and
// the transfer's slot. One fixed buffer per transfer (the server's chunk string, `piece` bytes).
constexpr std::size_t piece = 64 * 1024;

struct download_state {
  explicit download_state(unsigned max) : slot(max) {}
  media_slot slot;
  std::unique_ptr<upstream::body_reader> reader;
  std::string instance_id;
};

net::awaitable<boost::system::result<bool>> next_piece(std::shared_ptr<download_state> st, std::string& chunk) {
  auto more = co_await st->reader->read(chunk, piece);
  if (!more) {
    core::log::warn("media_download_broke", {{"instance", st->instance_id}, {"error", more.error().message()}});
    co_return more;
  }
  co_return *more;
}

// Meta's error answer to a download: a Graph envelope, small; at most `piece` bytes are read.
net::awaitable<std::string> read_error_body(upstream::body_reader& reader) {
  std::string body;
  bool more = true;
  core::result<bool> got = true;  // outside the loop (GCC 12)
  while (more && body.size() < piece) {
    got = co_await reader.read(body, piece - body.size());
    more = got && *got;
  }
  co_return body;
}

net::awaitable<response> media_content(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::read);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  auto m = co_await lookup_media(s, t, media_id);
  if (m.problem) co_return std::move(*m.problem);
  const std::size_t cap = s.cfg.media.download_max_bytes;
  auto too_large = [] {
    return problem_with(status::bad_gateway, "media_too_large_to_relay", "The media file is larger than this server relays",
                        "the operator's media.download_max_bytes is lower than the file's size");
  };
  if (m.info.file_size > cap) co_return too_large();
  // The token goes only to Meta's own hosts.
  if (!meta::media_url_allowed(m.info.url, s.meta->base_url())) {
    core::log::warn("media_url_refused", {{"instance", t.row.id}});
    co_return unexpected_answer();
  }
  auto st = std::make_shared<download_state>(s.cfg.media.max_concurrent);
  if (!st->slot.held()) co_return media_busy();
  st->instance_id = t.row.id;
  const meta::call_options download{.max_response_bytes = cap, .timeout = s.cfg.media.timeout};
  auto got = co_await s.meta->open_fetch(m.info.url, t.creds.access_token, download);
  if (!got && got.error() == meta::error::response_too_large) co_return too_large();
  if (!got) co_return transport_problem(got.error());
  st->reader = std::move(*got);
  if (st->reader->status() == 404)
    co_return http::problem(status::not_found, "media_not_found", "No such media",
                            "Meta no longer serves this file (media from webhooks can be downloaded for 7 days)");
  if (st->reader->status() < 200 || st->reader->status() >= 300) {
    auto body = co_await read_error_body(*st->reader);
    const auto e = meta::parse_error(st->reader->status(), body);
    auto p = co_await graph_error_answer(s, t, e, "media_download", true);
    co_return p;
  }
  // The head now; the body follows piece by piece (chunked), straight from Meta's answer.
  response res{status::ok, 11};
  const std::string& ct = st->reader->content_type();
  const std::string type = safe_content_type(ct)                ? ct
                           : safe_content_type(m.info.mime_type) ? m.info.mime_type
                                                                 : "application/octet-stream";
  res.set(http::bhttp::field::content_type, type);
  res.set(http::bhttp::field::content_disposition, "attachment; filename=\"" + media_id + "\"");
  res.set(http::bhttp::field::cache_control, "private, no-store");
  if (header_safe(m.info.sha256)) res.set("X-Media-SHA256", m.info.sha256);
  req.stream_body = [st](std::string& chunk) { return next_piece(st, chunk); };
  co_return res;
}

net::awaitable<response> media_delete(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  const std::string media_id(req.param("media_id"));
  if (!core::graph_id_like(media_id)) co_return http::field_problem("media_id", "a Meta media id: 1 to 32 digits");
  auto rq = meta::delete_media(s.meta->version(), media_id, t.creds.phone_number_id);
  auto a = co_await call_meta(s, t, std::move(rq), "media_delete", true);
  if (a.problem) co_return std::move(*a.problem);
  if (!meta::parse_success(a.ok->body)) co_return unexpected_answer();
  co_return http::no_content();
}

// ---- templates ----------------------------------------------------------------------------------

bool template_name_like(std::string_view n) {
  return !n.empty() && n.size() <= 512 &&
         std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}
bool language_like(std::string_view l) { return all_of_set(l, "_", 2, 15); }
// Graph paging cursors are base64-ish tokens.
bool cursor_like(std::string_view c) { return all_of_set(c, "_-=+/", 1, 512); }

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The list query: limit, one cursor, filters. Returns the problem to answer, if any.
std::optional<response> read_template_query(const http::request& req, meta::template_query& q) {
  if (auto l = req.query_param("limit")) {
    const bool digits = !l->empty() && l->size() <= 3 &&
                        std::all_of(l->begin(), l->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoul(*l) < 1 || std::stoul(*l) > 100)
      return http::field_problem("limit", "1 to 100");
    q.limit = std::stoul(*l);
  }
  if (auto a = req.query_param("after")) {
    if (!cursor_like(*a)) return http::field_problem("after", "a cursor from a previous page");
    q.after = *a;
  }
  if (auto b = req.query_param("before")) {
    if (!cursor_like(*b)) return http::field_problem("before", "a cursor from a previous page");
    q.before = *b;
  }
  if (!q.after.empty() && !q.before.empty()) return http::field_problem("before", "give after or before, not both");
  if (auto n = req.query_param("name")) {
    if (!template_name_like(*n)) return http::field_problem("name", "lowercase letters, digits and _, at most 512");
    q.name = *n;
  }
  if (auto st = req.query_param("status")) {
    static constexpr std::string_view statuses[] = {"APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED",
                                                    "IN_APPEAL", "LIMIT_EXCEEDED", "ARCHIVED", "DELETED",
                                                    "PENDING_DELETION", "LOCKED", "FLAGGED", "REINSTATED"};
    const std::string u = upper(*st);
    if (std::find(std::begin(statuses), std::end(statuses), u) == std::end(statuses))
      return http::field_problem("status", "a template status such as APPROVED, PENDING or REJECTED");
    q.status = u;
  }
  if (auto lang = req.query_param("language")) {
    if (!language_like(*lang)) return http::field_problem("language", "a language code such as en_US");
    q.language = *lang;
  }
  return std::nullopt;
}

net::awaitable<response> templates_list(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::read);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  meta::template_query q;
  if (auto bad = read_template_query(req, q)) co_return std::move(*bad);
  auto rq = meta::list_templates(s.meta->version(), t.creds.waba_id, q);
  auto a = co_await call_meta(s, t, std::move(rq), "templates_list");
  if (a.problem) co_return std::move(*a.problem);
  auto page = meta::parse_template_page(a.ok->body);
  if (!page) co_return unexpected_answer();
  json::object paging;
  paging["after"] = page->after.empty() ? json::value(nullptr) : json::value(page->after);
  paging["before"] = page->before.empty() ? json::value(nullptr) : json::value(page->before);
  json::object out;
  out["data"] = std::move(page->data);
  out["paging"] = std::move(paging);
  co_return http::json_response(status::ok, out);
}

// A template definition, checked minimally (Meta reviews the rest): name, language, category
// and components with known types and exactly one BODY. Other keys pass through.
std::optional<response> check_template(const json::value& v) {
  if (!v.is_object()) return http::field_problem("", "the body must be a JSON object", "invalid_body");
  const auto& o = v.as_object();
  const auto* name = o.if_contains("name");
  if (!name) return http::field_problem("name", "required", "missing_field");
  if (!name->is_string() || !template_name_like(name->get_string()))
    return http::field_problem("name", "lowercase letters, digits and _, at most 512 characters");
  const auto* lang = o.if_contains("language");
  if (!lang) return http::field_problem("language", "required", "missing_field");
  if (!lang->is_string() || !language_like(lang->get_string()))
    return http::field_problem("language", "a language code such as en_US");
  const auto* cat = o.if_contains("category");
  if (!cat) return http::field_problem("category", "required", "missing_field");
  if (!cat->is_string() || (upper(cat->get_string()) != "MARKETING" && upper(cat->get_string()) != "UTILITY" &&
                            upper(cat->get_string()) != "AUTHENTICATION"))
    return http::field_problem("category", "MARKETING, UTILITY or AUTHENTICATION");
  if (const auto* pf = o.if_contains("parameter_format"))
    if (!pf->is_string() || (upper(pf->get_string()) != "POSITIONAL" && upper(pf->get_string()) != "NAMED"))
      return http::field_problem("parameter_format", "POSITIONAL or NAMED");
  const auto* comps = o.if_contains("components");
  if (!comps) return http::field_problem("components", "required", "missing_field");
  if (!comps->is_array() || comps->as_array().empty() || comps->as_array().size() > 10)
    return http::field_problem("components", "an array of 1 to 10 components");
  int bodies = 0;
  for (std::size_t i = 0; i < comps->as_array().size(); ++i) {
    const auto& c = comps->as_array()[i];
    const std::string at = "components[" + std::to_string(i) + "]";
    if (!c.is_object()) return http::field_problem(at, "must be an object");
    const auto* type = c.as_object().if_contains("type");
    if (!type) return http::field_problem(at + ".type", "required", "missing_field");
    const std::string u = type->is_string() ? upper(type->get_string()) : "";
    if (u != "HEADER" && u != "BODY" && u != "FOOTER" && u != "BUTTONS")
      return http::field_problem(at + ".type", "HEADER, BODY, FOOTER or BUTTONS");
    if (u == "BODY" && ++bodies > 1) return http::field_problem(at + ".type", "a template has one BODY");
  }
  if (bodies == 0) return http::field_problem("components", "a template needs a BODY component");
  return std::nullopt;
}

net::awaitable<response> templates_create(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  if (auto bad = check_template(*body.value)) co_return std::move(*bad);
  auto rq = meta::create_template(s.meta->version(), t.creds.waba_id, json::serialize(*body.value));
  auto a = co_await call_meta(s, t, std::move(rq), "template_create");
  if (a.problem) co_return std::move(*a.problem);
  // Strict (I-JSON): an answer whose members repeat or whose numbers would change is not
  // relayed with a meaning Meta may not have sent.
  auto parsed = core::parse_json_strict(a.ok->body);
  if (!parsed.value || !parsed.value->is_object() || !parsed.value->as_object().if_contains("id"))
    co_return unexpected_answer();
  const auto& answer = *parsed.value;
  // Meta's answer: id, status (PENDING, or APPROVED for some utility templates), category.
  json::object out;
  for (const char* k : {"id", "status", "category"})
    if (const auto* v = answer.as_object().if_contains(k)) out[k] = *v;
  co_return http::json_response(status::created, out);
}

// ---- business profile ---------------------------------------------------------------------------

net::awaitable<response> profile_get(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::read);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  auto rq = meta::get_business_profile(s.meta->version(), t.creds.phone_number_id);
  auto a = co_await call_meta(s, t, std::move(rq), "business_profile_get");
  if (a.problem) co_return std::move(*a.problem);
  auto profile = meta::parse_business_profile(a.ok->body);
  if (!profile) co_return unexpected_answer();
  co_return http::json_response(status::ok, *profile);
}

bool http_url(std::string_view u) {
  const bool scheme = u.starts_with("https://") || u.starts_with("http://");
  return scheme && u.size() > 8 &&
         std::none_of(u.begin(), u.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// The documented fields and Meta's limits on them.
std::optional<response> check_profile(const json::value& v) {
  if (!v.is_object()) return http::field_problem("", "the body must be a JSON object", "invalid_body");
  const auto& o = v.as_object();
  if (o.empty()) return http::field_problem("", "give at least one field to change", "invalid_body");
  auto text = [](const json::value& x, std::size_t lo, std::size_t hi) {
    return x.is_string() && chars(x.get_string()) >= lo && chars(x.get_string()) <= hi;
  };
  for (const auto& [key, value] : o) {
    const std::string_view k = key;
    if (k == "about") {
      if (!text(value, 1, 139)) return http::field_problem(k, "1 to 139 characters");
    } else if (k == "address") {
      if (!text(value, 0, 256)) return http::field_problem(k, "at most 256 characters");
    } else if (k == "description") {
      if (!text(value, 0, 512)) return http::field_problem(k, "at most 512 characters");
    } else if (k == "email") {
      if (!text(value, 0, 128) || (!value.get_string().empty() && value.get_string().find('@') == json::string::npos))
        return http::field_problem(k, "an email address, at most 128 characters");
    } else if (k == "websites") {
      if (!value.is_array() || value.as_array().size() > 2) return http::field_problem(k, "at most 2 URLs");
      for (const auto& w : value.as_array())
        if (!text(w, 1, 256) || !http_url(w.get_string()))
          return http::field_problem(k, "http or https URLs of at most 256 characters");
    } else if (k == "vertical") {
      if (!value.is_string() || !all_of_set(value.get_string(), "_", 1, 40) || upper(value.get_string()) != value.get_string())
        return http::field_problem(k, "one of Meta's industry codes, e.g. RETAIL, EDU, OTHER");
    } else if (k == "profile_picture_handle") {
      if (!text(value, 1, 2048)) return http::field_problem(k, "a handle from Meta's resumable upload API");
    } else if (k == "messaging_product") {
      if (value != "whatsapp") return http::field_problem(k, "must be whatsapp");
    } else {
      return http::field_problem(k, "unknown field", "unknown_field");
    }
  }
  return std::nullopt;
}

net::awaitable<response> profile_update(services& s, http::request& req) {
  auto resolved = co_await resolve(s, req, access::write);
  if (auto* r = std::get_if<response>(&resolved)) co_return std::move(*r);
  auto& t = std::get<target>(resolved);
  auto body = http::parse_json(req, s.json);
  if (body.error) co_return std::move(*body.error);
  if (auto bad = check_profile(*body.value)) co_return std::move(*bad);
  auto rq = meta::update_business_profile(s.meta->version(), t.creds.phone_number_id, body.value->as_object());
  auto a = co_await call_meta(s, t, std::move(rq), "business_profile_update");
  if (a.problem) co_return std::move(*a.problem);
  if (!meta::parse_success(a.ok->body)) co_return unexpected_answer();
  co_return http::json_response(status::ok, json::object{{"success", true}});
}

}  // namespace

// Records that Meta refused an instance's token, so the send queue and the console see it.
net::awaitable<void> record_needs_reauth(services& s, std::string instance_id, const meta::graph_error& e) {
  const std::string reason = e.subcode == 463 ? "Meta says the access token has expired (error 190/463): update access_token"
                             : e.subcode == 460 ? "Meta says the access token was revoked (error 190/460): update access_token"
                                                : "Meta refused the access token (error 190): update access_token";
  const std::int64_t now = now_s();
  auto work = [&instance_id, &reason, now](store::connection& c) {
    return store::instances::set_status(c, instance_id, "needs_reauth", reason, now);
  };
  auto ec = co_await s.db.write(work);
  core::log::warn("instance_needs_reauth", {{"instance", instance_id}, {"meta_code", e.code}, {"meta_subcode", e.subcode},
                                            {"fbtrace_id", e.fbtrace_id}, {"stored", !ec}});
}

namespace {

std::string upload_spool_dir(const config::settings& cfg) {
  namespace fs = std::filesystem;
  const fs::path dir =
      cfg.media.spool_dir.empty() ? config::beside_database(cfg, "spool") : fs::path(cfg.media.spool_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec) throw std::runtime_error("media.spool_dir " + dir.string() + ": " + ec.message());
  return dir.string();
}

}  // namespace

http::route_options upload_route_options(const config::settings& cfg) {
  // One count for the process, like media_in_flight: both routes draw on the same spool.
  static const auto spooling = std::make_shared<std::atomic<std::size_t>>(0);
  http::route_options o;
  o.body_limit = cfg.media.upload_body_bytes;
  o.spool_dir = upload_spool_dir(cfg);
  o.spool_max = cfg.media.max_concurrent;
  o.spooling = spooling;
  return o;
}

bool media_not_found(const meta::graph_error& e) noexcept {
  if (!e.envelope) return false;
  // Graph's "object does not exist, cannot be loaded due to missing permissions, or does not
  // support this operation" (100, subcode 33; a media id of another number on the same token
  // answers the same through the phone_number_id filter).
  if (e.code == 100 && (e.subcode == 33 || e.subcode == 0)) return true;
  // A media id of another business's number: Meta refuses our token on it (403, code 10
  // "Permission denied", or an API permission error 200-299). On a lookup by id that only
  // means "not this instance's": nothing about the instance's token follows from it.
  return e.code == 10 || (e.code >= 200 && e.code <= 299);
}

void register_meta_routes(http::router& r, services& s) {
  using http::verb;
  auto on = [&s](net::awaitable<response> (*fn)(services&, http::request&)) {
    return [&s, fn](http::request& q) { return fn(s, q); };
  };
  const auto upload_options = upload_route_options(s.cfg);
  r.add(verb::post, "/v1/instances/{id}/messages/{wamid}/read", "messages.mark_read", on(mark_read));
  r.add(verb::post, "/v1/instances/{id}/conversations/{peer}/read", "conversations.read", on(conversation_read));
  r.add(verb::get, "/v1/meta/errors", "meta.errors", on(errors_list));
  r.add(verb::post, "/v1/instances/{id}/media", "media.upload", on(upload), upload_options);
  r.add(verb::get, "/v1/instances/{id}/media/{media_id}", "media.get", on(media_get));
  r.add(verb::delete_, "/v1/instances/{id}/media/{media_id}", "media.delete", on(media_delete));
  http::route_options download_options;
  download_options.write_timeout = s.cfg.media.timeout;  // a large file to a slow client
  r.add(verb::get, "/v1/instances/{id}/media/{media_id}/content", "media.content", on(media_content),
        download_options);
  r.add(verb::get, "/v1/instances/{id}/templates", "templates.list", on(templates_list));
  r.add(verb::post, "/v1/instances/{id}/templates", "templates.create", on(templates_create));
  r.add(verb::get, "/v1/instances/{id}/business-profile", "business_profile.get", on(profile_get));
  r.add(verb::patch, "/v1/instances/{id}/business-profile", "business_profile.update", on(profile_update));
}

}  // namespace enfinito::api
