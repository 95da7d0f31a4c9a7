// core.cpp owns graph_core: every piece of fake Meta state and the request → response logic.
//
// Design. handle() routes by path: `/_admin/...` (knobs, counters, injection), the media
// download URL `/_media/download`, and Graph paths `/{vNN.N}/{id}[/{edge}]`. A Graph request
// runs the same gauntlet Meta documents, in order: version → token (104/190) → object lookup
// (100/33 GraphMethodException) → permission (10) → edge handler. Sends then go through
// validation (100/131008/131009) → registration (133010) → template lookup (132001/132000)
// → throughput bucket (130429) → pair bucket (131056) → injected errors → the 24 h window
// (131047, sync or async) → accept.
//
// Webhooks. An accepted send schedules its status updates (sent/delivered/read, or failed)
// as `pending_update`s keyed by due time. take_due_webhooks() drains what is due, groups it
// per callback URL into batches of `batch_max`, builds Meta's envelope, escapes non-ASCII as
// `\uXXXX` and signs the exact bytes. A failed POST comes back through on_webhook_result()
// and is re-queued with exponential backoff until `retry_max_attempts`.
//
// Invariants: every collection is bounded (message log, inbound ids, media, retries); no
// function here blocks or throws through handle() (parse errors become Graph errors).
#include "fake_graph/core.hpp"

#include "detail.hpp"
#include "fake_graph/codec.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

namespace enfinito::fake_graph {

namespace json = boost::json;
using detail::graph_error;
using std::chrono::milliseconds;

std::string_view http_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < k.size() && eq; ++i)
      eq = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (eq) return v;
  }
  return {};
}

namespace {

constexpr std::size_t max_log_entries = 100000;
constexpr std::size_t max_inbound_ids = 100000;
constexpr std::size_t max_media_items = 10000;
constexpr std::size_t max_pending = 1000000;
constexpr int newest_major = 27;  // REFERENCE §6: newest snapshot lists v27.0
constexpr int oldest_major = 19;  // v19.0 is the oldest listed as still available

// Per-type upload limits and accepted MIME types (REFERENCE §4).
struct media_kind {
  std::string_view mime;
  std::size_t max_bytes;
};
constexpr std::size_t MB = 1024 * 1024;
constexpr media_kind media_kinds[] = {
    {"audio/aac", 16 * MB},
    {"audio/amr", 16 * MB},
    {"audio/mpeg", 16 * MB},
    {"audio/mp4", 16 * MB},
    {"audio/ogg", 16 * MB},
    {"text/plain", 100 * MB},
    {"application/pdf", 100 * MB},
    {"application/vnd.ms-excel", 100 * MB},
    {"application/msword", 100 * MB},
    {"application/vnd.ms-powerpoint", 100 * MB},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", 100 * MB},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 100 * MB},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", 100 * MB},
    {"image/jpeg", 5 * MB},
    {"image/png", 5 * MB},
    {"image/webp", 500 * 1024},  // animated sticker limit; static is 100 KB
    {"video/mp4", 16 * MB},
    {"video/3gpp", 16 * MB},
};

struct bucket {
  double tokens = 0;
  steady_time last{};
};

struct token_rec {
  std::string token;
  std::set<std::string> numbers, wabas;
  bool all = false;
  std::string state = "valid";  // valid | expired | revoked
  // What GET /debug_token tells about it (Graph's token metadata).
  std::string type = "SYSTEM_USER";  // SYSTEM_USER | USER | APP | PAGE
  std::int64_t expires_at = 0;       // unix s; 0: never
  std::vector<std::string> scopes = {"whatsapp_business_management", "whatsapp_business_messaging",
                                     "business_management"};
  // scope → target ids; a scope absent here and listed above has no target restriction.
  // Unset (the default): both WhatsApp scopes target the token's WABAs.
  std::optional<std::map<std::string, std::vector<std::string>>> granular;
};

struct template_rec {
  std::string id, name, language, status, category, parameter_format = "POSITIONAL", quality = "UNKNOWN";
  json::array components;
};

struct waba_rec {
  std::string id, name;
  std::vector<template_rec> templates;
  // POST /{waba}/subscribed_apps: the app's subscription to the WABA's webhooks, and the
  // WABA-level callback override (Meta's embedded-signup "override_callback_uri").
  bool subscribed = true;
  std::string override_uri, override_verify_token;
};

struct number_rec {
  std::string id, waba_id, display, verified_name, quality = "GREEN", throughput = "STANDARD";
  std::string dial_code = "1", callback_url, app_secret, verify_token;
  std::string code_verification_status = "VERIFIED", name_status = "APPROVED";
  std::string messaging_limit = "TIER_250";
  double mps = 80, pair_burst = 45;
  std::int64_t pair_interval_ms = 6000;
  bool registered = true;
  json::object profile;
  bucket mps_bucket;
  std::map<std::string, bucket> pairs;
  std::map<std::string, steady_time> last_inbound;  // wa_id → time of last user message
  std::map<std::string, std::pair<std::string, std::int64_t>> conversations;
};

struct media_rec {
  std::string id, phone, mime, data, sha;
  steady_time expires;
};

struct injection {
  int code = 0;
  long remaining = -1;  // -1 = no count limit
  double fraction = 1.0;
  bool async = false;
  std::string phone;
  std::string details;
  unsigned http_status = 0;
};

struct knobs_t {
  std::int64_t latency_ms = 0;
  std::string window_mode = "async";  // async | sync | off
  std::int64_t window_seconds = 86400;
  bool template_pacing = false;
  std::int64_t sent_ms = 20, delivered_ms = 40, read_ms = 60;
  bool emit_read = true;
  std::int64_t batch_max = 1;
  double duplicate_fraction = 0;
  bool out_of_order = false;
  std::int64_t retry_initial_ms = 100, retry_max_ms = 5000, retry_max_attempts = 8;
  double retry_factor = 2;
  std::int64_t webhook_timeout_ms = 5000, media_url_ttl_s = 300, media_ttl_s = 2592000;
  std::int64_t max_webhook_bytes = 3000000;
  bool auto_approve_templates = false;
  // connection resets
  long reset_remaining = 0;
  double reset_fraction = 0;
  bool reset_after_processing = false;
};

struct pending_update {
  std::string phone;
  std::string field = "messages";  // messages | message_template_status_update
  std::string kind;                // statuses | messages | event
  json::object item;
  json::object contact;  // for inbound messages
};

struct retry_rec {
  webhook_post post;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string str_or(const json::object& o, std::string_view k, std::string_view def = {}) {
  if (const auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
  return std::string(def);
}

double num_or(const json::object& o, std::string_view k, double def) {
  if (const auto* v = o.if_contains(k); v && v->is_number()) return v->to_number<double>();
  return def;
}

bool bool_or(const json::object& o, std::string_view k, bool def) {
  if (const auto* v = o.if_contains(k); v && v->is_bool()) return v->get_bool();
  return def;
}

std::string digits_id(std::size_t n) {
  const std::string raw = detail::random_bytes(n);
  std::string out(n, '1');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>('0' + static_cast<unsigned char>(raw[i]) % 10);
  if (out[0] == '0') out[0] = '1';
  return out;
}

std::string hex_id(std::size_t bytes, bool upper_case = false) {
  static constexpr char lo[] = "0123456789abcdef";
  static constexpr char up[] = "0123456789ABCDEF";
  const char* digits = upper_case ? up : lo;
  std::string out;
  for (const char c : detail::random_bytes(bytes)) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

// Placeholders in template text: {{1}} or {{name}}; returns distinct names in order.
std::vector<std::string> placeholders(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string name(text.substr(open + 2, close - open - 2));
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    pos = close + 2;
  }
  return out;
}

const json::object* component_of(const json::array& comps, std::string_view type) {
  for (const auto& c : comps)
    if (c.is_object() && lower(str_or(c.get_object(), "type")) == type) return &c.get_object();
  return nullptr;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template_rec make_template(const json::object& t) {
  template_rec rec;
  rec.id = str_or(t, "id");
  if (rec.id.empty()) rec.id = digits_id(16);
  rec.name = str_or(t, "name");
  rec.language = str_or(t, "language", "en_US");
  rec.status = str_or(t, "status", "APPROVED");
  rec.category = str_or(t, "category", "UTILITY");
  rec.parameter_format = str_or(t, "parameter_format", "POSITIONAL");
  if (const auto* c = t.if_contains("components"); c && c->is_array()) rec.components = c->get_array();
  return rec;
}

// Seeded templates: hello_world (no parameters, Meta's getting-started template) and a few
// with parameters, named like the ones the shared fixtures send.
json::array seed_templates() {
  return json::parse(R"json([
  {"name":"hello_world","language":"en_US","category":"UTILITY","components":[
    {"type":"HEADER","format":"TEXT","text":"Hello World"},
    {"type":"BODY","text":"Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."},
    {"type":"FOOTER","text":"WhatsApp Business Platform sample message"}]},
  {"name":"order_update_with_buttons","language":"en_US","category":"UTILITY","components":[
    {"type":"HEADER","format":"IMAGE","example":{"header_handle":["4::aW1hZ2U="]}},
    {"type":"BODY","text":"Hi {{1}}, your order total is {{2}}, delivery expected {{3}}.",
     "example":{"body_text":[["Pat","$10.00","May 1"]]}},
    {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Track"},{"type":"QUICK_REPLY","text":"Cancel"}]}]},
  {"name":"order_shipped","language":"en_US","category":"UTILITY","components":[
    {"type":"HEADER","format":"DOCUMENT","example":{"header_handle":["4::ZG9j"]}},
    {"type":"BODY","text":"Hi {{1}}, order {{2}} has shipped.","example":{"body_text":[["Pat","#1"]]}},
    {"type":"BUTTONS","buttons":[{"type":"URL","text":"Track","url":"https://example.com/track/{{1}}","example":["https://example.com/track/abc"]},
                                 {"type":"QUICK_REPLY","text":"Stop updates"}]}]},
  {"name":"order_confirmation_named","language":"en_US","category":"UTILITY","parameter_format":"NAMED","components":[
    {"type":"BODY","text":"Thanks {{customer_name}}, order {{order_number}} is confirmed.",
     "example":{"body_text_named_params":[{"param_name":"customer_name","example":"Pat"},{"param_name":"order_number","example":"#1"}]}}]},
  {"name":"appointment_reminder","language":"en_US","category":"UTILITY","components":[
    {"type":"BODY","text":"Hello {{1}}, this is a reminder of your appointment on {{2}}.",
     "example":{"body_text":[["Pat","Monday"]]}}]},
  {"name":"seasonal_sale","language":"en","category":"MARKETING","components":[
    {"type":"HEADER","format":"TEXT","text":"Our {{1}} is on!","example":{"header_text":["Summer Sale"]}},
    {"type":"BODY","text":"Use code {{1}} for {{2}} off.","example":{"body_text":[["SAVE","10%"]]}}]},
  {"name":"verification_code","language":"en_US","category":"AUTHENTICATION","components":[
    {"type":"BODY","text":"{{1}} is your verification code.","example":{"body_text":[["123456"]]}}]}
])json")
      .as_array();
}

}  // namespace

struct graph_core::impl {
  std::function<steady_time()> clock = [] { return std::chrono::steady_clock::now(); };
  std::mt19937_64 rng{std::random_device{}()};
  std::string base_url = "http://127.0.0.1";

  std::map<std::string, number_rec> numbers;
  std::map<std::string, waba_rec> wabas;
  std::map<std::string, token_rec> tokens;
  std::map<std::string, media_rec> media;
  std::map<std::string, std::pair<std::string, steady_time>> media_urls;  // hash → (media id, expiry)
  std::set<std::string> inbound_ids;
  std::deque<std::string> inbound_order;
  std::map<std::string, std::string> last_outbound;  // wa_id → last wamid sent to it
  std::vector<injection> injections;
  knobs_t knobs;

  std::multimap<steady_time, pending_update> pending;
  std::multimap<steady_time, retry_rec> retries;
  std::uint64_t next_post_id = 1;
  std::uint64_t seq = 0;

  // counters
  std::map<std::string, std::uint64_t> accepted_by_number;
  std::map<std::string, std::map<std::string, std::uint64_t>> accepted_by_recipient;
  std::map<std::string, std::uint64_t> errors_by_code;
  std::map<std::string, std::uint64_t> async_failures_by_code;
  std::uint64_t requests = 0, resets = 0, inbound_emitted = 0;
  std::uint64_t wh_posts_ok = 0, wh_updates_ok = 0, wh_attempts = 0, wh_failures = 0, wh_dropped = 0, wh_duplicates = 0,
                wh_no_callback = 0;
  std::uint64_t verify_ok = 0, verify_failed = 0;
  std::deque<json::object> log;

  // ---------------------------------------------------------------- config
  void load(std::string_view text) {
    boost::system::error_code ec;
    json::value cfg = json::parse(text.empty() ? default_config() : text, ec);
    if (ec || !cfg.is_object()) throw std::invalid_argument("config: not a JSON object");
    const auto& root = cfg.get_object();
    if (const auto* w = root.if_contains("wabas"); w && w->is_array())
      for (const auto& v : w->get_array()) {
        if (!v.is_object()) throw std::invalid_argument("config: wabas[] must hold objects");
        waba_rec rec{str_or(v.get_object(), "id"), str_or(v.get_object(), "name", "Fake WABA"), {}};
        if (rec.id.empty()) throw std::invalid_argument("config: waba without id");
        rec.subscribed = bool_or(v.get_object(), "subscribed", true);
        wabas[rec.id] = std::move(rec);
      }
    if (const auto* p = root.if_contains("phone_numbers"); p && p->is_array())
      for (const auto& v : p->get_array()) {
        if (!v.is_object()) throw std::invalid_argument("config: phone_numbers[] must hold objects");
        const std::string id = str_or(v.get_object(), "id");
        const std::string waba = str_or(v.get_object(), "waba_id");
        if (id.empty() || !wabas.count(waba))
          throw std::invalid_argument("config: phone number '" + id + "' needs an id and a known waba_id");
        update_number(numbers[id], v.get_object(), true);
      }
    if (const auto* t = root.if_contains("tokens"); t && t->is_array())
      for (const auto& v : t->get_array()) {
        if (!v.is_object() || str_or(v.get_object(), "token").empty())
          throw std::invalid_argument("config: tokens[] entries need a token");
        upsert_token(v.get_object());
      }
    if (bool_or(root, "seed_templates", true))
      for (auto& [id, w] : wabas)
        for (const auto& t : seed_templates()) w.templates.push_back(make_template(t.get_object()));
    if (const auto* t = root.if_contains("templates"); t && t->is_array())
      for (const auto& v : t->get_array()) {
        if (!v.is_object()) throw std::invalid_argument("config: templates[] must hold objects");
        const std::string waba = str_or(v.get_object(), "waba_id");
        if (!wabas.count(waba)) throw std::invalid_argument("config: template with unknown waba_id");
        wabas[waba].templates.push_back(make_template(v.get_object()));
      }
    if (const auto* k = root.if_contains("knobs"); k && k->is_object()) apply_knobs(k->get_object());
  }

  void update_number(number_rec& n, const json::object& o, bool fresh) {
    auto set_s = [&](std::string& dst, std::string_view key) {
      if (const auto* v = o.if_contains(key); v && v->is_string()) dst = std::string(v->get_string());
    };
    set_s(n.id, "id");
    set_s(n.waba_id, "waba_id");
    set_s(n.display, "display_phone_number");
    set_s(n.verified_name, "verified_name");
    set_s(n.quality, "quality_rating");
    set_s(n.throughput, "throughput_level");
    set_s(n.dial_code, "country_dial_code");
    set_s(n.callback_url, "callback_url");
    set_s(n.app_secret, "app_secret");
    set_s(n.verify_token, "verify_token");
    set_s(n.code_verification_status, "code_verification_status");
    set_s(n.name_status, "name_status");
    set_s(n.messaging_limit, "messaging_limit");
    n.mps = std::max(0.001, num_or(o, "mps", n.mps));
    n.pair_burst = std::max(1.0, num_or(o, "pair_burst", n.pair_burst));
    n.pair_interval_ms = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(num_or(o, "pair_interval_ms", static_cast<double>(n.pair_interval_ms))));
    n.registered = bool_or(o, "registered", n.registered);
    if (fresh) {
      if (n.verified_name.empty()) n.verified_name = "Fake Business";
      if (n.display.empty()) n.display = n.id;
      n.profile = json::object{{"about", "Hello from " + n.verified_name},
                               {"address", ""},
                               {"description", ""},
                               {"email", ""},
                               {"messaging_product", "whatsapp"},
                               {"profile_picture_url", ""},
                               {"websites", json::array{}},
                               {"vertical", "OTHER"}};
      n.mps_bucket = {n.mps, clock()};
    }
    if (o.contains("mps")) n.mps_bucket = {n.mps, clock()};
    if (o.contains("pair_burst") || o.contains("pair_interval_ms")) n.pairs.clear();
  }

  void upsert_token(const json::object& o) {
    auto& t = tokens[str_or(o, "token")];
    t.token = str_or(o, "token");
    auto fill = [&](std::set<std::string>& dst, std::string_view key) {
      if (const auto* v = o.if_contains(key); v && v->is_array()) {
        dst.clear();
        for (const auto& e : v->get_array())
          if (e.is_string()) dst.insert(std::string(e.get_string()));
      }
    };
    fill(t.numbers, "phone_number_ids");
    fill(t.wabas, "waba_ids");
    t.all = bool_or(o, "all_access", t.all);
    t.state = str_or(o, "state", t.state);
    t.type = str_or(o, "type", t.type);
    t.expires_at = static_cast<std::int64_t>(num_or(o, "expires_at", static_cast<double>(t.expires_at)));
    if (const auto* v = o.if_contains("scopes"); v && v->is_array()) {
      t.scopes.clear();
      for (const auto& e : v->get_array())
        if (e.is_string()) t.scopes.emplace_back(e.get_string());
    }
    if (const auto* v = o.if_contains("granular_scopes"); v && v->is_array()) {
      t.granular.emplace();
      for (const auto& g : v->get_array()) {
        if (!g.is_object()) continue;
        auto& ids = (*t.granular)[str_or(g.get_object(), "scope")];
        if (const auto* ti = g.get_object().if_contains("target_ids"); ti && ti->is_array())
          for (const auto& e : ti->get_array())
            if (e.is_string()) ids.emplace_back(e.get_string());
      }
    }
    if (bool_or(o, "expired", false)) t.state = "expired";
  }

  void apply_knobs(const json::object& k) {
    auto i64 = [&](std::int64_t& dst, std::string_view key) {
      if (const auto* v = k.if_contains(key); v && v->is_number()) dst = v->to_number<std::int64_t>();
    };
    i64(knobs.latency_ms, "latency_ms");
    knobs.window_mode = str_or(k, "window_mode", knobs.window_mode);
    i64(knobs.window_seconds, "window_seconds");
    knobs.template_pacing = bool_or(k, "template_pacing", knobs.template_pacing);
    if (const auto* d = k.if_contains("status_delays_ms"); d && d->is_object()) {
      knobs.sent_ms = static_cast<std::int64_t>(num_or(d->get_object(), "sent", static_cast<double>(knobs.sent_ms)));
      knobs.delivered_ms =
          static_cast<std::int64_t>(num_or(d->get_object(), "delivered", static_cast<double>(knobs.delivered_ms)));
      knobs.read_ms = static_cast<std::int64_t>(num_or(d->get_object(), "read", static_cast<double>(knobs.read_ms)));
    }
    knobs.emit_read = bool_or(k, "emit_read", knobs.emit_read);
    i64(knobs.batch_max, "batch_max");
    knobs.batch_max = std::clamp<std::int64_t>(knobs.batch_max, 1, 1000);
    knobs.duplicate_fraction = num_or(k, "duplicate_fraction", knobs.duplicate_fraction);
    knobs.out_of_order = bool_or(k, "out_of_order", knobs.out_of_order);
    i64(knobs.retry_initial_ms, "retry_initial_ms");
    knobs.retry_factor = std::max(1.0, num_or(k, "retry_factor", knobs.retry_factor));
    i64(knobs.retry_max_ms, "retry_max_ms");
    i64(knobs.retry_max_attempts, "retry_max_attempts");
    i64(knobs.webhook_timeout_ms, "webhook_timeout_ms");
    i64(knobs.media_url_ttl_s, "media_url_ttl_s");
    i64(knobs.media_ttl_s, "media_ttl_s");
    i64(knobs.max_webhook_bytes, "max_webhook_bytes");
    knobs.auto_approve_templates = bool_or(k, "auto_approve_templates", knobs.auto_approve_templates);
    if (knobs.window_mode != "async" && knobs.window_mode != "sync" && knobs.window_mode != "off")
      knobs.window_mode = "async";
  }

  // ---------------------------------------------------------------- responses
  struct ctx {
    std::string version = "v23.0";
    int major = 23;
    std::string trace_id = detail::random_token(11);
  };

  http_response base_response(const ctx& c) {
    http_response r;
    r.headers = {{"content-type", "application/json; charset=UTF-8"},
                 {"facebook-api-version", c.version},
                 {"x-fb-trace-id", c.trace_id},
                 {"x-fb-request-id", detail::random_token(23)},
                 {"x-app-usage", R"({"call_count":0,"total_cputime":0,"total_time":0})"}};
    return r;
  }

  http_response json_response(const ctx& c, const json::value& body, unsigned status = 200) {
    auto r = base_response(c);
    r.status = status;
    r.body = json::serialize(body);
    return r;
  }

  http_response success(const ctx& c) { return json_response(c, json::object{{"success", true}}); }

  http_response error(const ctx& c, const graph_error& e) {
    ++errors_by_code[std::to_string(e.code)];
    const auto info = detail::info_for(e.code);
    json::object err;
    err["message"] = e.message.empty() ? "(#" + std::to_string(e.code) + ") " + std::string(info.title) : e.message;
    err["type"] = e.type.empty() ? "OAuthException" : e.type;
    err["code"] = e.code;
    if (!e.details.empty()) err["error_data"] = json::object{{"messaging_product", "whatsapp"}, {"details", e.details}};
    if (e.subcode) err["error_subcode"] = e.subcode;
    if (e.transient) err["is_transient"] = true;
    err["fbtrace_id"] = detail::random_token(23);
    auto r =
        json_response(c, json::object{{"error", std::move(err)}}, e.http_status ? e.http_status : info.http_status);
    if (r.status == 401)
      r.headers.emplace_back("www-authenticate",
                             "OAuth \"Facebook Platform\" \"invalid_token\" \"" + std::string(info.title) + "\"");
    return r;
  }

  static graph_error unsupported(std::string_view method, std::string_view id) {
    graph_error e{100, 33, {}};
    e.message = "Unsupported " + lower(method) + " request. Object with ID '" + std::string(id) +
                "' does not exist, cannot be loaded due to missing permissions, or does not "
                "support this operation. Please read the Graph API documentation at "
                "https://developers.facebook.com/docs/graph-api";
    e.type = "GraphMethodException";
    return e;
  }

  static graph_error nonexisting_field(std::string_view field, std::string_view node) {
    graph_error e{100, 0, {}};
    e.message = "(#100) Tried accessing nonexisting field (" + std::string(field) + ") on node type (" +
                std::string(node) + ")";
    return e;
  }

  // ---------------------------------------------------------------- entry
  http_response handle(const http_request& req) {
    ++requests;
    auto url = boost::urls::parse_origin_form(req.target);
    if (!url) {
      ctx c;
      return error(c, {100, 0, {}, "Unknown path components"});
    }
    std::vector<std::string> segs;
    for (auto s : url->segments()) segs.push_back(std::string(s));
    std::map<std::string, std::string> params;
    for (auto p : url->params()) params[std::string(p.key)] = std::string(p.value);

    if (!segs.empty() && segs[0] == "_admin") return admin(req, segs, params);

    // Connection-reset injection applies to every non-admin request.
    bool reset_after = false;
    if (should_reset()) {
      ++resets;
      if (!knobs.reset_after_processing) {
        http_response r;
        r.reset_connection = true;
        return r;
      }
      reset_after = true;
    }
    http_response r = segs.size() == 2 && segs[0] == "_media" && segs[1] == "download" ? media_download(req, params)
                                                                                       : graph(req, segs, params);
    r.delay = milliseconds(knobs.latency_ms);
    if (reset_after) r.reset_connection = true;
    return r;
  }

  bool should_reset() {
    if (knobs.reset_remaining > 0) {
      --knobs.reset_remaining;
      return true;
    }
    return knobs.reset_fraction > 0 && std::uniform_real_distribution<>(0, 1)(rng) < knobs.reset_fraction;
  }

  // Version check: `^v[0-9]+\.[0-9]+$`, a released major; expired versions are served by the
  // oldest available one (REFERENCE §6).
  std::optional<graph_error> parse_version(std::string_view v, ctx& c) {
    auto bad = [&] {
      graph_error e{100, 0, "Unsupported Graph API version '" + std::string(v.substr(0, 32)) + "'."};
      e.message = "(#100) Unknown path components: /" + std::string(v.substr(0, 32));
      return e;
    };
    if (v.size() < 4 || v[0] != 'v') return bad();
    const auto dot = v.find('.');
    if (dot == std::string_view::npos || dot == 1 || dot + 1 == v.size() || dot > 4) return bad();
    int major = 0;
    for (std::size_t i = 1; i < dot; ++i) {
      if (v[i] < '0' || v[i] > '9') return bad();
      major = major * 10 + (v[i] - '0');
    }
    for (std::size_t i = dot + 1; i < v.size(); ++i)
      if (v[i] < '0' || v[i] > '9') return bad();
    if (v.substr(dot + 1) != "0" || major > newest_major || major < 2) return bad();
    if (major < oldest_major) major = oldest_major;
    c.major = major;
    c.version = "v" + std::to_string(major) + ".0";
    return std::nullopt;
  }

  // ---------------------------------------------------------------- auth
  std::optional<std::string> bearer(const http_request& req, const std::map<std::string, std::string>& params) {
    std::string_view auth = req.header("authorization");
    if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") {
      auth.remove_prefix(7);
      while (!auth.empty() && auth.front() == ' ') auth.remove_prefix(1);
      if (!auth.empty()) return std::string(auth);
    }
    if (auto it = params.find("access_token"); it != params.end() && !it->second.empty()) return it->second;
    return std::nullopt;
  }

  std::optional<graph_error> authenticate(const http_request& req, const std::map<std::string, std::string>& params,
                                          const token_rec*& out) {
    const auto tok = bearer(req, params);
    if (!tok) {
      graph_error e{104, 0, {}};
      e.message = "An access token is required to request this resource.";
      return e;
    }
    const auto it = tokens.find(*tok);
    if (it == tokens.end()) {
      graph_error e{190, 0, {}};
      e.message = "Invalid OAuth access token - Cannot parse access token";
      return e;
    }
    if (it->second.state == "expired") {
      graph_error e{190, 463, {}};
      e.message =
          "Error validating access token: Session has expired. The current time is later than the token's expiry time.";
      return e;
    }
    if (it->second.state == "revoked") {
      graph_error e{190, 460, {}};
      e.message =
          "Error validating access token: The session has been invalidated because the user changed their password or "
          "Facebook has changed the session for security reasons.";
      return e;
    }
    out = &it->second;
    return std::nullopt;
  }

  bool may_access_number(const token_rec& t, const number_rec& n) const {
    return t.all || t.numbers.count(n.id) || t.wabas.count(n.waba_id);
  }
  bool may_access_waba(const token_rec& t, const std::string& waba) const { return t.all || t.wabas.count(waba); }

  static graph_error permission_denied() { return {10, 0, "Permission is either not granted or has been removed."}; }

  // ---------------------------------------------------------------- graph routing
  http_response graph(const http_request& req, const std::vector<std::string>& segs,
                      const std::map<std::string, std::string>& params) {
    ctx c;
    if (segs.empty() || segs[0].empty()) return error(c, {100, 0, {}, "(#100) Unknown path components: /"});
    if (auto e = parse_version(segs[0], c)) return error(c, *e);
    const token_rec* tok = nullptr;
    if (auto e = authenticate(req, params, tok)) return error(c, *e);
    current_token = tok;
    if (segs.size() < 2 || segs[1].empty()) return error(c, unsupported(req.method, ""));
    if (segs.size() > 3) return error(c, {100, 0, {}, "(#100) Unknown path components: /" + segs[2] + "/" + segs[3]});
    const std::string& id = segs[1];
    const std::string edge = segs.size() == 3 ? segs[2] : "";
    const std::string& m = req.method;
    if (id == "debug_token" && edge.empty()) return debug_token(c, m, params);

    if (auto n = numbers.find(id); n != numbers.end()) {
      if (!may_access_number(*tok, n->second)) return error(c, permission_denied());
      return phone_endpoint(req, c, n->second, edge, params);
    }
    if (auto w = wabas.find(id); w != wabas.end()) {
      if (!may_access_waba(*tok, id)) return error(c, permission_denied());
      return waba_endpoint(req, c, w->second, edge, params);
    }
    if (auto md = media.find(id); md != media.end() && md->second.expires > clock()) {
      const auto& num = numbers.at(md->second.phone);
      if (!may_access_number(*tok, num)) return error(c, permission_denied());
      if (!edge.empty())
        return error(c, m == "GET" ? nonexisting_field(edge, "WhatsAppBusinessMedia") : unsupported(m, id));
      if (auto p = params.find("phone_number_id"); p != params.end() && p->second != md->second.phone)
        return error(c, unsupported(m, id));
      if (m == "GET") return media_get(c, md->second);
      if (m == "DELETE") {
        media.erase(md);
        return success(c);
      }
      return error(c, unsupported(m, id));
    }
    for (auto& [wid, w] : wabas)
      for (auto& t : w.templates)
        if (t.id == id) {
          if (!may_access_waba(*tok, wid)) return error(c, permission_denied());
          if (!edge.empty())
            return error(c, m == "GET" ? nonexisting_field(edge, "WhatsAppMessageTemplate") : unsupported(m, id));
          if (m == "GET") return json_response(c, template_json(t));
          if (m == "POST") return template_edit(req, c, t);
          return error(c, unsupported(m, id));
        }
    return error(c, unsupported(m, id));
  }

  // ---------------------------------------------------------------- phone number
  http_response phone_endpoint(const http_request& req, ctx& c, number_rec& n, const std::string& edge,
                               const std::map<std::string, std::string>& params) {
    const std::string& m = req.method;
    if (edge.empty()) {
      if (m == "GET") return phone_get(c, n, params);
      return error(c, unsupported(m, n.id));
    }
    if (edge == "messages" && m == "POST") return send(req, c, n);
    if (edge == "media" && m == "POST") return media_upload(req, c, n);
    if (edge == "register" && m == "POST") return register_number(req, c, n);
    if (edge == "deregister" && m == "POST") {
      if (!n.registered) return error(c, {100, 2207051, "Phone number is not registered."});
      n.registered = false;
      return success(c);
    }
    if (edge == "whatsapp_business_profile") {
      if (m == "GET") return profile_get(c, n, params);
      if (m == "POST") return profile_post(req, c, n);
    }
    if (m == "GET") return error(c, nonexisting_field(edge, "WhatsAppBusinessPhoneNumber"));
    return error(c, unsupported(m, n.id));
  }

  json::value phone_field(const number_rec& n, std::string_view f) {
    if (f == "id") return json::value(n.id);
    if (f == "display_phone_number") return json::value(n.display);
    if (f == "verified_name") return json::value(n.verified_name);
    if (f == "quality_rating") return json::value(n.quality);
    if (f == "code_verification_status") return json::value(n.code_verification_status);
    if (f == "name_status") return json::value(n.name_status);
    if (f == "platform_type") return json::value(n.registered ? "CLOUD_API" : "NOT_APPLICABLE");
    if (f == "host_platform") return json::value("CLOUD_API");
    if (f == "throughput") return json::object{{"level", n.throughput}};
    if (f == "webhook_configuration") {
      json::object wc{{"application", n.callback_url}};
      if (auto w = wabas.find(n.waba_id); w != wabas.end() && !w->second.override_uri.empty())
        wc["whatsapp_business_account"] = w->second.override_uri;
      return wc;
    }
    if (f == "whatsapp_business_manager_messaging_limit") return json::value(n.messaging_limit);
    if (f == "messaging_limit_tier") return json::value(n.messaging_limit);  // the deprecated name [D-ML]
    if (f == "status") return json::value(n.registered ? "CONNECTED" : "PENDING");
    if (f == "account_mode") return json::value("LIVE");
    if (f == "country_dial_code") return json::value(n.dial_code);
    if (f == "is_official_business_account") return json::value(false);
    return nullptr;
  }

  http_response phone_get(ctx& c, const number_rec& n, const std::map<std::string, std::string>& params) {
    std::vector<std::string> fields = {"verified_name", "display_phone_number", "quality_rating", "id"};
    if (auto it = params.find("fields"); it != params.end() && !it->second.empty()) {
      fields.clear();
      std::string_view rest = it->second;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string f(rest.substr(0, comma));
        // `throughput{level}` style sub-selections: keep the field name only.
        if (auto brace = f.find('{'); brace != std::string::npos) f.resize(brace);
        if (!f.empty()) fields.push_back(f);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      if (std::find(fields.begin(), fields.end(), "id") == fields.end()) fields.push_back("id");
    }
    json::object out;
    for (const auto& f : fields) {
      auto v = phone_field(n, f);
      if (v.is_null()) return error(c, nonexisting_field(f, "WhatsAppBusinessPhoneNumber"));
      out[f] = std::move(v);
    }
    return json_response(c, out);
  }

  http_response register_number(const http_request& req, ctx& c, number_rec& n) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return error(c, {100, 0, "Request body must be a JSON object."});
    const auto& o = v.get_object();
    if (str_or(o, "messaging_product") != "whatsapp")
      return error(c, {100, 0, "The parameter messaging_product is required."});
    const std::string pin = str_or(o, "pin");
    if (pin.empty()) return error(c, {100, 0, "The parameter pin is required."});
    if (pin.size() != 6 || pin.find_first_not_of("0123456789") != std::string::npos)
      return error(c, {100, 0, "Param pin must be a 6-digit number."});
    n.registered = true;
    return success(c);
  }

  http_response profile_get(ctx& c, const number_rec& n, const std::map<std::string, std::string>& params) {
    json::object p;
    auto it = params.find("fields");
    if (it == params.end() || it->second.empty()) {
      p = n.profile;
    } else {
      std::string_view rest = it->second;
      for (int guard = 0; guard < 64 && !rest.empty(); ++guard) {
        const auto comma = rest.find(',');
        const std::string f(rest.substr(0, comma));
        const auto* v = n.profile.if_contains(f);
        if (!v) return error(c, nonexisting_field(f, "WhatsAppBusinessProfile"));
        p[f] = *v;
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      p["messaging_product"] = "whatsapp";
    }
    return json_response(c, json::object{{"data", json::array{p}}});
  }

  http_response profile_post(const http_request& req, ctx& c, number_rec& n) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return error(c, {100, 0, "Request body must be a JSON object."});
    const auto& o = v.get_object();
    if (str_or(o, "messaging_product") != "whatsapp")
      return error(c, {100, 0, "The parameter messaging_product is required."});
    static const std::map<std::string, std::size_t> limits = {{"about", 139},       {"address", 256},
                                                              {"description", 512}, {"email", 128},
                                                              {"vertical", 0},      {"profile_picture_handle", 0}};
    static const std::set<std::string> verticals = {
        "UNDEFINED",     "OTHER",   "AUTO",    "BEAUTY",     "APPAREL",  "EDU",    "ENTERTAIN",
        "EVENT_PLAN",    "FINANCE", "GROCERY", "GOVT",       "HOTEL",    "HEALTH", "NONPROFIT",
        "PROF_SERVICES", "RETAIL",  "TRAVEL",  "RESTAURANT", "NOT_A_BIZ"};
    for (const auto& kv : o) {
      const std::string key(kv.key());
      if (key == "messaging_product") continue;
      if (key == "websites") {
        if (!kv.value().is_array() || kv.value().get_array().size() > 2)
          return error(c, {100, 0, "Param websites must be an array of at most 2 URLs."});
        for (const auto& w : kv.value().get_array())
          if (!w.is_string() || w.get_string().size() > 256)
            return error(c, {100, 0, "Param websites must hold URLs of at most 256 characters."});
        continue;
      }
      auto lim = limits.find(key);
      if (lim == limits.end()) return error(c, {100, 0, "Param " + key + " is not a valid field."});
      if (!kv.value().is_string()) return error(c, {100, 0, "Param " + key + " must be a string."});
      if (lim->second && detail::utf8_length(kv.value().get_string()) > lim->second)
        return error(
            c, {100, 0, "Param " + key + " must be at most " + std::to_string(lim->second) + " characters long."});
      if (key == "vertical" && !verticals.count(std::string(kv.value().get_string())))
        return error(c, {100, 0, "Param vertical is not a valid business vertical."});
    }
    for (const auto& kv : o)
      if (kv.key() != "messaging_product" && kv.key() != "profile_picture_handle") n.profile[kv.key()] = kv.value();
    return success(c);
  }

  // ---------------------------------------------------------------- WABA
  json::value template_json(const template_rec& t) {
    json::object o{{"name", t.name},
                   {"parameter_format", t.parameter_format},
                   {"components", t.components},
                   {"language", t.language},
                   {"status", t.status},
                   {"category", t.category},
                   {"id", t.id}};
    return o;
  }

  // Cursor paging over a list (REFERENCE §5): limit 1..100, after/before are opaque cursors.
  std::optional<json::object> page(ctx&, std::vector<json::value> items,
                                   const std::map<std::string, std::string>& params, graph_error& err) {
    std::size_t limit = 25;
    if (auto it = params.find("limit"); it != params.end()) {
      try {
        const long l = std::stol(it->second);
        limit = static_cast<std::size_t>(std::clamp<long>(l, 1, 100));
        if (l < 1) throw std::invalid_argument("limit");
      } catch (...) {
        err = {100, 0, "Param limit must be a positive integer."};
        return std::nullopt;
      }
    }
    auto decode = [&](const std::string& cur, std::size_t& out) {
      for (std::size_t i = 0; i <= items.size(); ++i)
        if (base64_encode("cursor:" + std::to_string(i)) == cur) {
          out = i;
          return true;
        }
      return false;
    };
    std::size_t start = 0;
    if (auto it = params.find("after"); it != params.end()) {
      if (!decode(it->second, start)) {
        err = {100, 0, "Invalid cursor."};
        return std::nullopt;
      }
      ++start;
    } else if (auto b = params.find("before"); b != params.end()) {
      std::size_t end = 0;
      if (!decode(b->second, end)) {
        err = {100, 0, "Invalid cursor."};
        return std::nullopt;
      }
      start = end > limit ? end - limit : 0;
    }
    json::array data;
    for (std::size_t i = start; i < items.size() && data.size() < limit; ++i) data.push_back(items[i]);
    json::object out{{"data", data}};
    if (!data.empty()) {
      const std::size_t last = start + data.size() - 1;
      json::object paging{{"cursors", json::object{{"before", base64_encode("cursor:" + std::to_string(start))},
                                                   {"after", base64_encode("cursor:" + std::to_string(last))}}}};
      if (last + 1 < items.size()) paging["next"] = "has-more";
      // Graph's cursor paging names a `previous` page whenever this one is not the first.
      if (start > 0) paging["previous"] = "has-previous";
      out["paging"] = std::move(paging);
    }
    return out;
  }

  http_response waba_endpoint(const http_request& req, ctx& c, waba_rec& w, const std::string& edge,
                              const std::map<std::string, std::string>& params) {
    const std::string& m = req.method;
    auto r = waba_endpoint_inner(req, c, w, edge, params);
    // Management endpoints report BUC usage per WABA (REFERENCE §5, §6).
    r.headers.emplace_back("x-business-use-case-usage",
                           "{\"" + w.id +
                               "\":[{\"type\":\"whatsapp_business_management\",\"call_count\":1,"
                               "\"total_cputime\":1,\"total_time\":1,\"estimated_time_to_regain_access\":0}]}");
    (void)m;
    return r;
  }

  http_response waba_endpoint_inner(const http_request& req, ctx& c, waba_rec& w, const std::string& edge,
                                    const std::map<std::string, std::string>& params) {
    const std::string& m = req.method;
    graph_error err;
    if (edge.empty()) {
      if (m != "GET") return error(c, unsupported(m, w.id));
      return json_response(c, json::object{{"id", w.id},
                                           {"name", w.name},
                                           {"currency", "USD"},
                                           {"timezone_id", "1"},
                                           {"message_template_namespace", "fake_" + w.id}});
    }
    if (edge == "phone_numbers" && m == "GET") {
      std::vector<json::value> items;
      for (const auto& [id, n] : numbers)
        if (n.waba_id == w.id)
          items.push_back(json::object{{"id", n.id},
                                       {"display_phone_number", n.display},
                                       {"verified_name", n.verified_name},
                                       {"status", n.registered ? "CONNECTED" : "PENDING"},
                                       {"quality_rating", n.quality},
                                       {"code_verification_status", n.code_verification_status},
                                       {"account_mode", "LIVE"},
                                       {"host_platform", "CLOUD_API"},
                                       {"messaging_limit_tier", n.messaging_limit},
                                       {"throughput", json::object{{"level", n.throughput}}}});
      auto out = page(c, std::move(items), params, err);
      return out ? json_response(c, *out) : error(c, err);
    }
    if (edge == "message_templates") {
      if (m == "GET") {
        const std::string name = params.count("name") ? params.at("name") : "";
        const std::string status = params.count("status") ? upper(params.at("status")) : "";
        const std::string language = params.count("language") ? params.at("language") : "";
        std::vector<json::value> items;
        for (const auto& t : w.templates)
          if ((name.empty() || t.name.find(name) != std::string::npos) && (status.empty() || t.status == status) &&
              (language.empty() || t.language == language))
            items.push_back(template_json(t));
        auto out = page(c, std::move(items), params, err);
        return out ? json_response(c, *out) : error(c, err);
      }
      if (m == "POST") return template_create(req, c, w);
      if (m == "DELETE") {
        const std::string name = params.count("name") ? params.at("name") : "";
        const std::string hsm = params.count("hsm_id") ? params.at("hsm_id") : "";
        if (name.empty()) return error(c, {100, 0, "The parameter name is required."});
        const auto before = w.templates.size();
        std::erase_if(w.templates,
                      [&](const template_rec& t) { return t.name == name && (hsm.empty() || t.id == hsm); });
        if (before == w.templates.size())
          return error(c, {100, 2593002, "Message template \"" + name + "\" not found."});
        return success(c);
      }
    }
    if (edge == "subscribed_apps") return subscribed_apps(req, c, w, params);
    if (m == "GET") return error(c, nonexisting_field(edge, "WhatsAppBusinessAccount"));
    return error(c, unsupported(m, w.id));
  }

  // ---------------------------------------------------------------- onboarding
  // GET|POST|DELETE /{waba}/subscribed_apps [OAS]. Managing a WABA's subscriptions takes
  // whatsapp_business_management (403 code 200 without it). An override needs the app
  // subscribed first (100) and both override_callback_uri and verify_token; Meta then runs the
  // GET handshake against the new URL and answers 2200 when it fails (the I/O layer performs
  // it: see override_verified).
  const token_rec* current_token = nullptr;  // set by graph() for the edge handlers

  static bool has_scope(const token_rec& t, std::string_view scope) {
    return std::find(t.scopes.begin(), t.scopes.end(), scope) != t.scopes.end();
  }

  http_response subscribed_apps(const http_request& req, ctx& c, waba_rec& w,
                                const std::map<std::string, std::string>& params) {
    const std::string& m = req.method;
    if (current_token && !has_scope(*current_token, "whatsapp_business_management")) {
      graph_error e{200, 0, {}};
      e.message = "(#200) Requires whatsapp_business_management permission to manage the object";
      return error(c, e);
    }
    if (m == "GET") {
      json::array data;
      if (w.subscribed) {
        json::object app{
            {"whatsapp_business_api_data",
             json::object{{"link", "https://www.facebook.com/games/?app_id=1"}, {"name", "Enfinito"}, {"id", "1"}}}};
        if (!w.override_uri.empty()) app["override_callback_uri"] = w.override_uri;
        data.push_back(std::move(app));
      }
      return json_response(c, json::object{{"data", std::move(data)}});
    }
    if (m == "DELETE") {
      w.subscribed = false;
      w.override_uri.clear();
      w.override_verify_token.clear();
      return success(c);
    }
    if (m != "POST") return error(c, unsupported(m, w.id));
    // Parameters come as query parameters or a JSON body (the fake takes no form bodies).
    std::map<std::string, std::string> in = params;
    if (!req.body.empty()) {
      boost::system::error_code ec;
      auto v = json::parse(req.body, ec);
      if (ec || !v.is_object()) return error(c, {100, 0, "Request body must be a JSON object."});
      for (const auto& [k, val] : v.get_object())
        if (val.is_string()) in[std::string(k)] = std::string(val.get_string());
    }
    const auto uri = in.find("override_callback_uri");
    if (uri == in.end() || uri->second.empty()) {
      if (in.count("verify_token")) return error(c, {100, 0, "The parameter override_callback_uri is required."});
      w.subscribed = true;
      w.override_uri.clear();
      w.override_verify_token.clear();
      return success(c);
    }
    const auto token = in.find("verify_token");
    if (token == in.end() || token->second.empty())
      return error(c, {100, 0, "The parameter verify_token is required."});
    if (!w.subscribed) {
      graph_error e{100, 0, {}};
      e.message =
          "(#100) Before override the current callback uri, your app must be subscribed to receive "
          "messages for WhatsApp Business Account.";
      return error(c, e);
    }
    auto parsed = boost::urls::parse_uri(uri->second);
    const bool https = parsed && parsed->scheme() == "https";
    // Meta takes HTTPS callbacks only; the fake also takes http:// on loopback (tests).
    const bool loopback_http =
        parsed && parsed->scheme() == "http" &&
        (parsed->host() == "127.0.0.1" || parsed->host() == "localhost" || parsed->host() == "[::1]");
    if (!https && !loopback_http) return error(c, {100, 0, "Param override_callback_uri must be a valid https URL."});
    boost::urls::url u = *parsed;
    const std::string challenge = digits_id(10);
    u.params().set("hub.mode", "subscribe");
    u.params().set("hub.challenge", challenge);
    u.params().set("hub.verify_token", token->second);
    const std::uint64_t ticket = next_override_ticket++;
    pending_overrides[ticket] = {w.id, uri->second, token->second, c};
    if (pending_overrides.size() > 1000) pending_overrides.erase(pending_overrides.begin());
    http_response r;
    r.verify = verify_plan{std::string(u.buffer()), challenge, ticket};
    return r;
  }

  struct pending_override {
    std::string waba, uri, verify_token;
    ctx c;
  };
  std::map<std::uint64_t, pending_override> pending_overrides;
  std::uint64_t next_override_ticket = 1;

  // The handshake of an override came back: the override takes effect, or 2200.
  http_response override_verified(std::uint64_t ticket, bool ok, unsigned status) {
    auto it = pending_overrides.find(ticket);
    if (it == pending_overrides.end()) {
      ctx c;
      return error(c, {1, 0, "override request expired"});
    }
    auto p = std::move(it->second);
    pending_overrides.erase(it);
    auto w = wabas.find(p.waba);
    if (!ok || w == wabas.end()) {
      graph_error e{2200, 0, {}};
      e.message = "(#2200) Callback verification failed with the following errors: HTTP Status Code = " +
                  std::to_string(status) + "; HTTP Message = " + (status == 0 ? "No response" : "Unexpected answer");
      e.http_status = 400;
      return error(p.c, e);
    }
    w->second.override_uri = p.uri;
    w->second.override_verify_token = p.verify_token;
    return success(p.c);
  }

  // Where a number's webhooks go: its WABA's override, else its own callback URL; nowhere
  // while the app is not subscribed to the WABA.
  std::string callback_of(const number_rec& n) const {
    const auto w = wabas.find(n.waba_id);
    if (w != wabas.end() && !w->second.subscribed) return {};
    if (w != wabas.end() && !w->second.override_uri.empty()) return w->second.override_uri;
    return n.callback_url;
  }

  // GET /debug_token?input_token=… (Graph's token inspection). An unknown or dead input token
  // is still a 200, with is_valid false and the reason in data.error.
  http_response debug_token(ctx& c, const std::string& m, const std::map<std::string, std::string>& params) {
    if (m != "GET") return error(c, unsupported(m, "debug_token"));
    const auto in = params.find("input_token");
    if (in == params.end() || in->second.empty())
      return error(c, {100, 0, {}, "(#100) The parameter input_token is required"});
    const auto t = tokens.find(in->second);
    json::object data;
    data["app_id"] = "1";
    data["application"] = "Enfinito";
    if (t == tokens.end()) {
      data["error"] =
          json::object{{"code", 190}, {"message", "Invalid OAuth access token - Cannot parse access token"}};
      data["is_valid"] = false;
      data["scopes"] = json::array{};
      return json_response(c, json::object{{"data", std::move(data)}});
    }
    const auto& tok = t->second;
    data["type"] = tok.type;
    data["expires_at"] = tok.state == "expired" && tok.expires_at == 0 ? unix_now() - 3600 : tok.expires_at;
    data["data_access_expires_at"] = tok.expires_at == 0 ? 0 : tok.expires_at + 90 * 86400;
    data["issued_at"] = unix_now() - 86400;
    data["user_id"] = "10000000000" + std::to_string(tok.token.size());
    json::array scopes;
    for (const auto& s : tok.scopes) scopes.push_back(json::string(s));
    data["scopes"] = std::move(scopes);
    json::array granular;
    for (const auto& s : tok.scopes) {
      if (s != "whatsapp_business_management" && s != "whatsapp_business_messaging" && s != "business_management")
        continue;
      json::object g{{"scope", s}};
      std::vector<std::string> ids;
      if (tok.granular) {
        if (auto it = tok.granular->find(s); it != tok.granular->end()) ids = it->second;
      } else if (!tok.all && s != "business_management") {
        ids.assign(tok.wabas.begin(), tok.wabas.end());
      }
      if (!ids.empty()) {
        json::array a;
        for (const auto& id : ids) a.push_back(json::string(id));
        g["target_ids"] = std::move(a);
      }
      granular.push_back(std::move(g));
    }
    data["granular_scopes"] = std::move(granular);
    if (tok.state != "valid") {
      data["is_valid"] = false;
      data["error"] = json::object{
          {"code", 190},
          {"subcode", tok.state == "expired" ? 463 : 460},
          {"message", tok.state == "expired" ? "Error validating access token: Session has expired."
                                             : "Error validating access token: The session has been invalidated."}};
    } else {
      data["is_valid"] = true;
    }
    return json_response(c, json::object{{"data", std::move(data)}});
  }

  std::optional<graph_error> check_template_definition(const json::object& o, bool edit) {
    static const std::set<std::string> categories = {"MARKETING", "UTILITY", "AUTHENTICATION"};
    if (!edit) {
      const std::string name = str_or(o, "name");
      if (name.empty()) return graph_error{100, 0, "The parameter name is required."};
      if (name.size() > 512 || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
        return graph_error{100, 0, "Param name must contain only lowercase letters, digits and underscores."};
      if (str_or(o, "language").empty()) return graph_error{100, 0, "The parameter language is required."};
      if (!o.contains("category")) return graph_error{100, 0, "The parameter category is required."};
    }
    if (o.contains("category") && !categories.count(str_or(o, "category")))
      return graph_error{100, 0, "Param category must be one of {MARKETING, UTILITY, AUTHENTICATION}."};
    if (const auto* pf = o.if_contains("parameter_format"))
      if (!pf->is_string() || (pf->get_string() != "POSITIONAL" && pf->get_string() != "NAMED"))
        return graph_error{100, 0, "Param parameter_format must be one of {POSITIONAL, NAMED}."};
    const auto* comps_v = o.if_contains("components");
    if (!comps_v) {
      if (edit) return std::nullopt;
      return graph_error{100, 0, "The parameter components is required."};
    }
    if (!comps_v->is_array() || comps_v->get_array().empty())
      return graph_error{100, 0, "Param components must be a non-empty array."};
    int bodies = 0;
    for (const auto& cv : comps_v->get_array()) {
      if (!cv.is_object()) return graph_error{100, 0, "Param components must hold objects."};
      const auto& cobj = cv.get_object();
      const std::string type = upper(str_or(cobj, "type"));
      const std::string text = str_or(cobj, "text");
      const bool has_params = !placeholders(text).empty();
      if (type == "BODY") {
        ++bodies;
        if (text.empty()) return graph_error{100, 0, "The parameter components[BODY]['text'] is required."};
        if (detail::utf8_length(text) > 1024)
          return graph_error{100, 0, "Param components[BODY]['text'] must be at most 1024 characters long."};
        if (has_params && !cobj.contains("example")) {
          graph_error e{100, 2388043, "Message template variables missing sample: add an example for each variable."};
          return e;
        }
      } else if (type == "HEADER") {
        const std::string format = upper(str_or(cobj, "format"));
        static const std::set<std::string> formats = {"TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"};
        if (!formats.count(format))
          return graph_error{
              100, 0, "Param components[HEADER]['format'] must be one of {TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION}."};
        if (format == "TEXT" && (text.empty() || detail::utf8_length(text) > 60))
          return graph_error{100, 0,
                             "Param components[HEADER]['text'] is required and must be at most 60 characters long."};
        if (has_params && !cobj.contains("example"))
          return graph_error{100, 2388043,
                             "Message template variables missing sample: add an example for each variable."};
      } else if (type == "FOOTER") {
        if (text.empty() || detail::utf8_length(text) > 60)
          return graph_error{100, 0,
                             "Param components[FOOTER]['text'] is required and must be at most 60 characters long."};
      } else if (type == "BUTTONS") {
        const auto* b = cobj.if_contains("buttons");
        if (!b || !b->is_array() || b->get_array().empty() || b->get_array().size() > 10)
          return graph_error{100, 0, "Param components[BUTTONS]['buttons'] must hold 1 to 10 buttons."};
        static const std::set<std::string> btypes = {"QUICK_REPLY", "URL",     "PHONE_NUMBER", "COPY_CODE", "FLOW",
                                                     "OTP",         "CATALOG", "MPM",          "VOICE_CALL"};
        for (const auto& bv : b->get_array()) {
          if (!bv.is_object() || !btypes.count(upper(str_or(bv.get_object(), "type"))))
            return graph_error{100, 0, "Param components[BUTTONS]['buttons'][]['type'] is not a valid button type."};
          const std::string bt = str_or(bv.get_object(), "text");
          if (upper(str_or(bv.get_object(), "type")) != "OTP" && (bt.empty() || detail::utf8_length(bt) > 25))
            return graph_error{
                100, 0,
                "Param components[BUTTONS]['buttons'][]['text'] is required and must be at most 25 characters long."};
        }
      } else {
        return graph_error{100, 0, "Param components[]['type'] must be one of {HEADER, BODY, FOOTER, BUTTONS}."};
      }
    }
    if (bodies != 1 && !edit) return graph_error{100, 0, "A template must have exactly one BODY component."};
    return std::nullopt;
  }

  http_response template_create(const http_request& req, ctx& c, waba_rec& w) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return error(c, {100, 0, "Request body must be a JSON object."});
    const auto& o = v.get_object();
    if (auto e = check_template_definition(o, false)) return error(c, *e);
    const std::string name = str_or(o, "name"), language = str_or(o, "language");
    for (const auto& t : w.templates)
      if (t.name == name && t.language == language) {
        graph_error e{100, 2388024, "Content in this language already exists."};
        return error(c, e);
      }
    if (w.templates.size() >= 250) return error(c, {100, 2388019, "Message template limit (250) reached."});
    template_rec t = make_template(o);
    t.id = digits_id(16);
    t.status = "PENDING";
    w.templates.push_back(t);
    if (knobs.auto_approve_templates) set_template_status(w, w.templates.back(), "APPROVED");
    return json_response(c, json::object{{"id", t.id}, {"status", "PENDING"}, {"category", t.category}});
  }

  http_response template_edit(const http_request& req, ctx& c, template_rec& t) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return error(c, {100, 0, "Request body must be a JSON object."});
    if (auto e = check_template_definition(v.get_object(), true)) return error(c, *e);
    if (const auto* comps = v.get_object().if_contains("components")) t.components = comps->get_array();
    if (v.get_object().contains("category")) t.category = str_or(v.get_object(), "category");
    return success(c);
  }

  // Changes a template's status and tells the WABA's first number with a callback.
  void set_template_status(waba_rec& w, template_rec& t, const std::string& status) {
    t.status = status;
    for (const auto& [id, n] : numbers)
      if (n.waba_id == w.id && !callback_of(n).empty()) {
        pending_update u;
        u.phone = id;
        u.field = "message_template_status_update";
        u.kind = "event";
        u.item = json::object{{"event", status},
                              {"message_template_id", std::stoll(t.id)},
                              {"message_template_name", t.name},
                              {"message_template_language", t.language},
                              {"message_template_category", t.category},
                              {"reason", status == "REJECTED" ? json::value("INVALID_FORMAT") : json::value(nullptr)}};
        schedule(clock(), std::move(u));
        break;
      }
  }

  // ---------------------------------------------------------------- template webhooks
  // Quality and category changes, as Meta tells the WABA's subscribed app [D-MTS]: one update
  // of `field` for the WABA's first number with a callback (like set_template_status).
  void template_webhook(const waba_rec& w, const std::string& field, json::object item) {
    for (const auto& [id, n] : numbers)
      if (n.waba_id == w.id && !n.callback_url.empty()) {
        pending_update u;
        u.phone = id;
        u.field = field;
        u.kind = "event";
        u.item = std::move(item);
        schedule(clock(), std::move(u));
        return;
      }
  }

  void set_template_quality(waba_rec& w, template_rec& t, const std::string& quality) {
    json::object item{{"previous_quality_score", t.quality},
                      {"new_quality_score", quality},
                      {"message_template_id", std::stoll(t.id)},
                      {"message_template_name", t.name},
                      {"message_template_language", t.language}};
    t.quality = quality;
    template_webhook(w, "message_template_quality_update", std::move(item));
  }

  void set_template_category(waba_rec& w, template_rec& t, const std::string& category) {
    json::object item{{"message_template_id", std::stoll(t.id)},
                      {"message_template_name", t.name},
                      {"message_template_language", t.language},
                      {"previous_category", t.category},
                      {"new_category", category}};
    t.category = category;
    template_webhook(w, "template_category_update", std::move(item));
  }

  // /_admin/template_quality and /_admin/template_category: {waba_id, name, language?, quality|category}.
  std::optional<std::string> admin_template_change(const json::object& o, bool quality) {
    auto w = wabas.find(str_or(o, "waba_id"));
    if (w == wabas.end()) return "unknown waba_id";
    for (auto& t : w->second.templates)
      if (t.name == str_or(o, "name") && (str_or(o, "language").empty() || t.language == str_or(o, "language"))) {
        if (quality)
          set_template_quality(w->second, t, str_or(o, "quality", "GREEN"));
        else
          set_template_category(w->second, t, str_or(o, "category", "MARKETING"));
        return std::nullopt;
      }
    return "unknown template";
  }

  // Meta's automatic upgrade to higher throughput [D-TP]: the number takes 1,000 mps (unless
  // the caller set its own) and the WABA hears of it in a phone_number_quality_update.
  void throughput_upgraded(number_rec& n, bool set_mps) {
    if (set_mps) {
      n.mps = 1000;
      n.mps_bucket = {n.mps, clock()};
    }
    n.messaging_limit = "TIER_UNLIMITED";  // the upgrade needs an unlimited messaging limit [D-TP]
    if (callback_of(n).empty()) return;
    pending_update u;
    u.phone = n.id;
    u.field = "phone_number_quality_update";
    u.kind = "event";
    u.item = json::object{{"display_phone_number", n.display},
                          {"event", "THROUGHPUT_UPGRADE"},
                          {"current_limit", "TIER_UNLIMITED"},
                          {"max_daily_conversations_per_business", "TIER_UNLIMITED"}};
    schedule(clock(), std::move(u));
  }

  // Meta moved the number's messaging limit [D-ML]: the WABA hears of it in a
  // phone_number_quality_update with `event` UPGRADE or DOWNGRADE and the new `current_limit`.
  static int tier_rank(std::string_view tier) {
    static constexpr std::string_view order[] = {"TIER_50",  "TIER_250",  "TIER_1K",       "TIER_2K",
                                                 "TIER_10K", "TIER_100K", "TIER_UNLIMITED"};
    for (int i = 0; i < static_cast<int>(std::size(order)); ++i)
      if (order[i] == tier) return i;
    return -1;
  }

  void messaging_limit_changed(const number_rec& n, const std::string& before) {
    if (callback_of(n).empty()) return;
    pending_update u;
    u.phone = n.id;
    u.field = "phone_number_quality_update";
    u.kind = "event";
    u.item = json::object{{"display_phone_number", n.display},
                          {"event", tier_rank(n.messaging_limit) < tier_rank(before) ? "DOWNGRADE" : "UPGRADE"},
                          {"current_limit", n.messaging_limit}};
    schedule(clock(), std::move(u));
  }

  // ---------------------------------------------------------------- sends
  static std::string normalise_to(const number_rec& n, std::string_view to, const std::string& digits) {
    // Without "+" and a national-length number, Meta prepends the business number's country
    // code (REFERENCE §1.1).
    const bool has_plus = to.find('+') != std::string_view::npos;
    if (!has_plus && digits.size() <= 10 && digits.rfind(n.dial_code, 0) != 0) return n.dial_code + digits;
    return digits;
  }

  bool take_token(bucket& b, double capacity, double per_ms) {
    const auto now = clock();
    const double elapsed = std::chrono::duration<double, std::milli>(now - b.last).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * per_ms);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
  }

  bool window_open(number_rec& n, const std::string& wa_id) {
    const auto it = n.last_inbound.find(wa_id);
    return it != n.last_inbound.end() && clock() - it->second < std::chrono::seconds(knobs.window_seconds);
  }

  std::string new_wamid(const std::string& wa_id) {
    // Shaped like Meta's: "wamid." + base64 of a small binary record holding the wa_id.
    std::string raw = "\x1c\x18";
    raw += static_cast<char>(wa_id.size());
    raw += wa_id;
    raw += std::string("\x15\x02\x00\x11\x18\x12", 6) + hex_id(9, true) + std::string(1, '\0');
    return "wamid." + base64_encode(raw);
  }

  template_rec* find_template(const number_rec& n, const std::string& name, const std::string& lang) {
    auto& w = wabas.at(n.waba_id);
    for (auto& t : w.templates)
      if (t.name == name && t.language == lang) return &t;
    return nullptr;
  }

  std::optional<graph_error> check_template_params(const template_rec& t, const json::object& tmpl) {
    json::array given;
    if (const auto* c = tmpl.if_contains("components"); c && c->is_array()) given = c->get_array();
    for (const char* part : {"header", "body"}) {
      const json::object* def = component_of(t.components, part);
      const json::object* sent = component_of(given, part);
      std::size_t expected = 0;
      std::vector<std::string> names;
      if (def) {
        if (std::string_view(part) == "header") {
          const std::string format = upper(str_or(*def, "format", "TEXT"));
          expected = format == "TEXT" ? placeholders(str_or(*def, "text")).size() : 1;
        } else {
          names = placeholders(str_or(*def, "text"));
          expected = names.size();
        }
      }
      std::size_t got = 0;
      if (sent)
        if (const auto* p = sent->if_contains("parameters"); p && p->is_array()) got = p->get_array().size();
      if (got != expected)
        return graph_error{132000, 0,
                           std::string(part) + ": number of localizable_params (" + std::to_string(got) +
                               ") does not match the expected number of params (" + std::to_string(expected) + ")"};
      // A header parameter's type follows the HEADER format [D-ERR 132012]: a media or location
      // header takes its own kind; a TEXT header no media or location.
      const auto* header_params =
          sent && def && std::string_view(part) == "header" ? sent->if_contains("parameters") : nullptr;
      if (header_params && header_params->is_array())
        for (const auto& p : header_params->get_array()) {
          const std::string format = lower(str_or(*def, "format", "TEXT"));
          const std::string kind = p.is_object() ? lower(str_or(p.get_object(), "type")) : "";
          const bool media = kind == "image" || kind == "video" || kind == "document" || kind == "location";
          if (format == "text" ? media : kind != format)
            return graph_error{
                132012, 0,
                "header: parameter of type '" + kind + "' does not match the template's " + upper(format) + " header"};
        }
      if (sent && t.parameter_format == "NAMED" && std::string_view(part) == "body")
        for (const auto& p : sent->at("parameters").get_array()) {
          const std::string pn = p.is_object() ? str_or(p.get_object(), "parameter_name") : "";
          if (std::find(names.begin(), names.end(), pn) == names.end())
            return graph_error{132012, 0,
                               "body: parameter_name '" + pn + "' does not match the template's named parameters"};
        }
    }
    return check_button_params(t, given);
  }

  // Buttons [OAS TemplateComponent]: a button component names a defined button of its type by
  // `index`; a URL button with a placeholder and a COPY_CODE button take exactly one parameter,
  // the others at most one.
  std::optional<graph_error> check_button_params(const template_rec& t, const json::array& given) {
    const json::object* def = component_of(t.components, "buttons");
    json::array buttons;
    if (def)
      if (const auto* b = def->if_contains("buttons"); b && b->is_array()) buttons = b->get_array();
    auto needs_param = [](const json::value& b) {
      if (!b.is_object()) return false;
      const std::string type = lower(str_or(b.get_object(), "type"));
      return (type == "url" && !placeholders(str_or(b.get_object(), "url")).empty()) || type == "copy_code";
    };
    std::vector<bool> seen(buttons.size(), false);
    for (const auto& cv : given) {
      if (!cv.is_object() || lower(str_or(cv.get_object(), "type")) != "button") continue;
      const auto& c = cv.get_object();
      const std::string idx = str_or(c, "index");
      std::size_t i = buttons.size();
      if (!idx.empty() && idx.size() <= 2 && idx.find_first_not_of("0123456789") == std::string::npos)
        i = std::stoul(idx);
      if (i >= buttons.size()) return graph_error{132000, 0, "buttons: the template has no button at index " + idx};
      if (lower(str_or(c, "sub_type")) != lower(str_or(buttons[i].get_object(), "type")))
        return graph_error{132000, 0,
                           "buttons: button at index " + idx + " is not of sub_type " + str_or(c, "sub_type")};
      std::size_t got = 0;
      if (const auto* p = c.if_contains("parameters"); p && p->is_array()) got = p->get_array().size();
      if (got > 1 || (needs_param(buttons[i]) && got != 1))
        return graph_error{132000, 0,
                           "buttons: number of localizable_params (" + std::to_string(got) +
                               ") does not match the expected number of params for button " + idx};
      seen[i] = true;
    }
    for (std::size_t i = 0; i < buttons.size(); ++i)
      if (!seen[i] && needs_param(buttons[i]))
        return graph_error{132000, 0, "buttons: button at index " + std::to_string(i) + " requires a parameter"};
    return std::nullopt;
  }

  std::optional<injection> take_injection(const std::string& phone) {
    for (auto it = injections.begin(); it != injections.end(); ++it) {
      if (!it->phone.empty() && it->phone != phone) continue;
      if (it->fraction < 1.0 && std::uniform_real_distribution<>(0, 1)(rng) >= it->fraction) continue;
      injection hit = *it;
      if (it->remaining > 0 && --it->remaining == 0) injections.erase(it);
      return hit;
    }
    return std::nullopt;
  }

  http_response send(const http_request& req, ctx& c, number_rec& n) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return error(c, {100, 0, "Request body must be a JSON object."});
    const auto& msg = v.get_object();
    if (msg.contains("status") && !msg.contains("type") && !msg.contains("to")) return mark_read(c, n, msg);
    if (auto e = detail::validate_send(msg)) return error(c, *e);
    if (str_or(msg, "recipient_type") == "group")
      return error(c, {131009, 0, "Groups API is not enabled for this phone number."});
    if (!n.registered) return error(c, {133010, 0, "Phone number not registered on the WhatsApp Business Platform."});

    const std::string to = str_or(msg, "to");
    const std::string wa_id = normalise_to(n, to, *detail::digits_of_phone(to));
    if (wa_id == n.display) return error(c, {131021, 0, "Recipient cannot be sender."});
    const std::string type = str_or(msg, "type", "text");

    std::string category = "service", pricing_type = "free_customer_service";
    if (type == "template") {
      const auto& tmpl = msg.at("template").get_object();
      const std::string name = str_or(tmpl, "name");
      const std::string lang = str_or(tmpl.at("language").get_object(), "code");
      const template_rec* t = find_template(n, name, lang);
      if (!t || t->status != "APPROVED")
        return error(c, {132001, 0, "template name (" + name + ") does not exist in " + lang});
      if (auto e = check_template_params(*t, tmpl)) return error(c, *e);
      category = lower(t->category);
      pricing_type = "regular";
    }

    if (!take_token(n.mps_bucket, std::max(1.0, n.mps), n.mps / 1000.0))
      return error(c, {130429, 2494055, "Cloud API message throughput has been reached."});
    auto& pair = n.pairs.try_emplace(wa_id, bucket{n.pair_burst, clock()}).first->second;
    if (!take_token(pair, n.pair_burst, 1.0 / static_cast<double>(n.pair_interval_ms)))
      return error(c, {131056, 0,
                       "Message failed to send because there were too many messages sent from this phone number to the "
                       "same phone number in a short period of time."});

    std::optional<graph_error> async_error;
    if (auto inj = take_injection(n.id)) {
      graph_error e{inj->code, 0, inj->details.empty() ? "Injected error." : inj->details};
      e.http_status = inj->http_status;
      if (!inj->async) return error(c, e);
      async_error = e;
    }
    if (!async_error && type != "template" && knobs.window_mode != "off" && !window_open(n, wa_id)) {
      graph_error e{131047, 0,
                    "Message failed to send because more than 24 hours have passed since the customer last replied to "
                    "this number."};
      if (knobs.window_mode == "sync") return error(c, e);
      async_error = e;
    }
    if (!async_error) {
      // Media referenced by id must exist; Meta reports a bad id asynchronously.
      if (const auto* content = msg.if_contains(type); content && content->is_object())
        if (const auto* mid = content->get_object().if_contains("id");
            mid && mid->is_string() && type != "reaction" && !media.count(std::string(mid->get_string())))
          async_error = graph_error{131053, 0, "Media id " + std::string(mid->get_string()) + " was not found."};
    }

    const std::string wamid = new_wamid(wa_id);
    last_outbound[wa_id] = wamid;
    ++accepted_by_number[n.id];
    ++accepted_by_recipient[n.id][wa_id];
    json::object entry{{"seq", ++seq},
                       {"wamid", wamid},
                       {"phone_number_id", n.id},
                       {"to", to},
                       {"wa_id", wa_id},
                       {"type", type},
                       {"received_at_ms", unix_now_ms()},
                       {"outcome", async_error ? "failed:" + std::to_string(async_error->code) : "accepted"},
                       {"request", msg}};
    log.push_back(std::move(entry));
    if (log.size() > max_log_entries) log.pop_front();

    schedule_statuses(n, c, wamid, wa_id, category, pricing_type, str_or(msg, "biz_opaque_callback_data"), async_error);

    json::object m{{"id", wamid}};
    if (type == "template" && knobs.template_pacing) m["message_status"] = "accepted";
    return json_response(c, json::object{{"messaging_product", "whatsapp"},
                                         {"contacts", json::array{json::object{{"input", to}, {"wa_id", wa_id}}}},
                                         {"messages", json::array{m}}});
  }

  http_response mark_read(ctx& c, number_rec& n, const json::object& msg) {
    if (str_or(msg, "messaging_product") != "whatsapp")
      return error(c, {100, 0, "The parameter messaging_product is required."});
    if (str_or(msg, "status") != "read") return error(c, {100, 0, "Param status must be 'read'."});
    const std::string id = str_or(msg, "message_id");
    if (id.empty()) return error(c, {100, 0, "The parameter message_id is required."});
    if (!inbound_ids.count(n.id + "/" + id))
      return error(
          c, {100, 0, "Invalid parameter: message_id " + id + " is not a message received by this phone number."});
    if (const auto* ti = msg.if_contains("typing_indicator")) {
      if (!ti->is_object() || str_or(ti->get_object(), "type") != "text")
        return error(c, {131009, 0, "Param typing_indicator['type'] must be 'text'."});
    }
    return success(c);
  }

  json::object status_item(const std::string& wamid, const std::string& wa_id, const char* status, std::int64_t ts,
                           const std::string& opaque) {
    json::object s{{"id", wamid}, {"status", status}, {"timestamp", std::to_string(ts)}, {"recipient_id", wa_id}};
    if (!opaque.empty()) s["biz_opaque_callback_data"] = opaque;
    return s;
  }

  void schedule_statuses(number_rec& n, const ctx& c, const std::string& wamid, const std::string& wa_id,
                         const std::string& category, const std::string& pricing_type, const std::string& opaque,
                         const std::optional<graph_error>& failure) {
    const auto now = clock();
    const std::int64_t t0 = unix_now();
    auto make = [&](json::object item) {
      pending_update u;
      u.phone = n.id;
      u.kind = "statuses";
      u.item = std::move(item);
      return u;
    };
    if (failure) {
      auto s = status_item(wamid, wa_id, "failed", t0, opaque);
      const auto info = detail::info_for(failure->code);
      s["errors"] = json::array{
          json::object{{"code", failure->code},
                       {"title", info.title},
                       {"message", info.title},
                       {"error_data", json::object{{"details", failure->details}}},
                       {"href", "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}}};
      async_failures_by_code[std::to_string(failure->code)]++;
      schedule(now + milliseconds(knobs.sent_ms), make(std::move(s)));
      return;
    }
    // Conversation and pricing ride on `sent` and on `delivered` (REFERENCE §3.5);
    // conversation is gone from v24.0 on.
    auto& conv = n.conversations[wa_id + "/" + category];
    if (conv.first.empty() || conv.second < t0) conv = {hex_id(16), t0 + 86400};
    auto billing = [&](json::object& s, bool with_expiry) {
      if (c.major < 24) {
        json::object cv{{"id", conv.first}};
        if (with_expiry) cv["expiration_timestamp"] = std::to_string(conv.second);
        cv["origin"] = json::object{{"type", category}};
        s["conversation"] = std::move(cv);
      }
      s["pricing"] = json::object{{"billable", pricing_type == "regular"},
                                  {"pricing_model", "PMP"},
                                  {"type", pricing_type},
                                  {"category", category}};
    };
    auto sent = status_item(wamid, wa_id, "sent", t0 + knobs.sent_ms / 1000, opaque);
    billing(sent, true);
    auto delivered = status_item(wamid, wa_id, "delivered", t0 + knobs.delivered_ms / 1000, opaque);
    billing(delivered, false);
    auto d_sent = milliseconds(knobs.sent_ms), d_del = milliseconds(knobs.delivered_ms),
         d_read = milliseconds(knobs.read_ms);
    if (knobs.out_of_order) std::swap(d_sent, d_read);  // read, delivered, sent
    schedule(now + d_sent, make(std::move(sent)));
    schedule(now + d_del, make(std::move(delivered)));
    if (knobs.emit_read)
      schedule(now + d_read, make(status_item(wamid, wa_id, "read", t0 + knobs.read_ms / 1000, opaque)));
  }

  void schedule(steady_time due, pending_update u) {
    if (pending.size() >= max_pending) return;
    pending.emplace(due, std::move(u));
  }

  // ---------------------------------------------------------------- media
  http_response media_upload(const http_request& req, ctx& c, number_rec& n) {
    auto parts = detail::parse_multipart(req.header("content-type"), req.body);
    if (!parts) return error(c, {100, 0, "Request must be multipart/form-data with messaging_product, type and file."});
    std::string product, type;
    const detail::multipart_part* file = nullptr;
    for (const auto& p : *parts) {
      if (p.name == "messaging_product")
        product = p.data;
      else if (p.name == "type")
        type = p.data;
      else if (p.name == "file")
        file = &p;
    }
    if (product.empty()) return error(c, {100, 0, "The parameter messaging_product is required."});
    if (product != "whatsapp") return error(c, {100, 0, "Param messaging_product must be 'whatsapp'."});
    if (!file) return error(c, {131008, 0, "The parameter file is required."});
    if (type.empty()) type = file->content_type;
    if (type.empty()) return error(c, {131008, 0, "The parameter type is required."});
    auto essence = [](std::string_view mime) { return lower(mime.substr(0, mime.find(';'))); };
    const std::string mime = essence(type);
    const media_kind* kind = nullptr;
    for (const auto& k : media_kinds)
      if (k.mime == mime) kind = &k;
    if (!kind)
      return error(c, {131053, 0, "Param file must be a file with one of the supported types; got " + mime + "."});
    if (!file->content_type.empty() && essence(file->content_type) != mime &&
        essence(file->content_type) != "application/octet-stream")
      return error(c, {131053, 0,
                       "Uploaded file's content type (" + essence(file->content_type) + ") does not match type (" +
                           mime + ")."});
    if (file->data.empty()) return error(c, {131053, 0, "Uploaded file is empty."});
    if (file->data.size() > kind->max_bytes)
      return error(
          c, {131053, 0,
              "File is too big. Max file size for " + mime + " is " + std::to_string(kind->max_bytes) + " bytes."});
    if (media.size() >= max_media_items) media.erase(media.begin());
    media_rec rec{digits_id(16),
                  n.id,
                  std::string(type),
                  file->data,
                  detail::sha256_base64(file->data),
                  clock() + std::chrono::seconds(knobs.media_ttl_s)};
    const std::string id = rec.id;
    media[id] = std::move(rec);
    return json_response(c, json::object{{"id", id}});
  }

  http_response media_get(ctx& c, const media_rec& m) {
    const std::string hash = detail::random_token(24);
    const auto expires = clock() + std::chrono::seconds(knobs.media_url_ttl_s);
    if (media_urls.size() > 100000) media_urls.clear();
    media_urls[hash] = {m.id, expires};
    const std::string url = base_url + "/_media/download?mid=" + m.id +
                            "&ext=" + std::to_string(unix_now() + knobs.media_url_ttl_s) + "&hash=" + hash;
    return json_response(c, json::object{{"messaging_product", "whatsapp"},
                                         {"url", url},
                                         {"mime_type", m.mime},
                                         {"sha256", m.sha},
                                         {"file_size", std::to_string(m.data.size())},
                                         {"id", m.id}});
  }

  http_response media_download(const http_request& req, const std::map<std::string, std::string>& params) {
    ctx c;
    const token_rec* tok = nullptr;
    if (auto e = authenticate(req, params, tok)) {
      auto r = error(c, *e);
      r.status = 401;
      return r;
    }
    auto not_found = [&] {
      http_response r;
      r.status = 404;
      r.headers = {{"content-type", "text/plain"}};
      r.body = "Not Found";
      return r;
    };
    const auto h = params.find("hash");
    if (h == params.end()) return not_found();
    const auto u = media_urls.find(h->second);
    if (u == media_urls.end() || u->second.second <= clock()) return not_found();
    const auto m = media.find(u->second.first);
    if (m == media.end() || m->second.expires <= clock()) return not_found();
    if (!may_access_number(*tok, numbers.at(m->second.phone))) return not_found();
    http_response r;
    r.headers = {{"content-type", m->second.mime}, {"content-disposition", "attachment; filename=media"}};
    r.body = m->second.data;
    return r;
  }

  // ---------------------------------------------------------------- webhooks out
  std::vector<webhook_post> take_due() {
    const auto now = clock();
    std::vector<webhook_post> out;
    // Retries first: they are older.
    while (!retries.empty() && retries.begin()->first <= now) {
      out.push_back(std::move(retries.begin()->second.post));
      retries.erase(retries.begin());
    }
    // New updates, grouped per callback URL, in due order.
    std::map<std::string, std::vector<pending_update>> by_target;
    std::vector<std::string> target_order;
    std::size_t taken = 0;
    while (!pending.empty() && pending.begin()->first <= now && taken < 10000) {
      pending_update u = std::move(pending.begin()->second);
      pending.erase(pending.begin());
      ++taken;
      const auto n = numbers.find(u.phone);
      const std::string callback = n == numbers.end() ? std::string() : callback_of(n->second);
      if (callback.empty()) {
        ++wh_no_callback;
        continue;
      }
      const std::string key = callback + "\n" + n->second.app_secret;
      if (!by_target.count(key)) target_order.push_back(key);
      by_target[key].push_back(std::move(u));
    }
    for (const auto& key : target_order) {
      auto& list = by_target[key];
      const std::string url = key.substr(0, key.find('\n'));
      const std::string secret = key.substr(key.find('\n') + 1);
      for (std::size_t i = 0; i < list.size(); i += static_cast<std::size_t>(knobs.batch_max)) {
        const std::size_t end = std::min(list.size(), i + static_cast<std::size_t>(knobs.batch_max));
        webhook_post post;
        post.id = next_post_id++;
        post.url = url;
        post.body = escape_non_ascii(json::serialize(envelope(list, i, end)));
        post.signature = hub_signature_256(secret, post.body);
        post.updates = end - i;
        out.push_back(post);
        if (knobs.duplicate_fraction > 0 && std::uniform_real_distribution<>(0, 1)(rng) < knobs.duplicate_fraction) {
          ++wh_duplicates;
          post.id = next_post_id++;
          out.push_back(std::move(post));
        }
      }
    }
    return out;
  }

  // Meta's envelope (REFERENCE §3.3): one entry per WABA, consecutive statuses of one number
  // share a `value`, each inbound message gets its own `value` with `contacts`.
  json::object envelope(const std::vector<pending_update>& list, std::size_t begin, std::size_t end) {
    json::array entries;
    std::map<std::string, std::size_t> entry_index;
    for (std::size_t i = begin; i < end; ++i) {
      const auto& u = list[i];
      const auto& n = numbers.at(u.phone);
      auto [it, fresh] = entry_index.try_emplace(n.waba_id, entries.size());
      if (fresh) {
        json::object e{{"id", n.waba_id}};
        if (u.field != "messages") e["time"] = unix_now();
        e["changes"] = json::array{};
        entries.push_back(std::move(e));
      }
      auto& changes = entries[it->second].as_object()["changes"].as_array();
      if (u.field != "messages") {
        changes.push_back(json::object{{"value", u.item}, {"field", u.field}});
        continue;
      }
      if (u.kind == "statuses" && !changes.empty()) {
        auto& last = changes.back().as_object()["value"].as_object();
        if (last.contains("statuses") && last["metadata"].as_object()["phone_number_id"].as_string() == n.id) {
          last["statuses"].as_array().push_back(u.item);
          continue;
        }
      }
      json::object value{{"messaging_product", "whatsapp"},
                         {"metadata", json::object{{"display_phone_number", n.display}, {"phone_number_id", n.id}}}};
      if (u.kind == "messages") value["contacts"] = json::array{u.contact};
      value[u.kind] = json::array{u.item};
      changes.push_back(json::object{{"value", std::move(value)}, {"field", "messages"}});
    }
    return json::object{{"object", "whatsapp_business_account"}, {"entry", std::move(entries)}};
  }

  void on_result(const webhook_post& post, unsigned status, bool ok) {
    ++wh_attempts;
    if (ok && status == 200) {
      ++wh_posts_ok;
      wh_updates_ok += post.updates;
      return;
    }
    ++wh_failures;
    if (static_cast<std::int64_t>(post.attempt) + 1 >= knobs.retry_max_attempts) {
      ++wh_dropped;
      return;
    }
    // Meta retries immediately, then with decreasing frequency (REFERENCE §3.2).
    const double delay = post.attempt == 0 ? 0.0
                                           : std::min<double>(static_cast<double>(knobs.retry_max_ms),
                                                              static_cast<double>(knobs.retry_initial_ms) *
                                                                  std::pow(knobs.retry_factor, post.attempt - 1));
    webhook_post again = post;
    ++again.attempt;
    retries.emplace(clock() + milliseconds(static_cast<std::int64_t>(delay)), retry_rec{std::move(again)});
  }

  // ---------------------------------------------------------------- inbound
  json::object default_content(const std::string& type, number_rec& n, const std::string& from) {
    auto add_media = [&](const std::string& mime, std::string bytes) {
      media_rec rec{digits_id(16), n.id, mime, std::move(bytes), "", clock() + std::chrono::hours(24 * 7)};
      rec.sha = detail::sha256_base64(rec.data);
      const std::string id = rec.id;
      json::object o{{"mime_type", mime}, {"sha256", rec.sha}, {"id", id}};
      media[id] = std::move(rec);
      return o;
    };
    if (type == "text") return {{"body", "Hello from the fake user"}};
    if (type == "image") {
      auto o = add_media("image/jpeg", "\xFF\xD8\xFF\xE0 fake jpeg");
      o["caption"] = "A picture";
      return o;
    }
    if (type == "video") return add_media("video/mp4", "fake mp4 bytes");
    if (type == "audio") {
      auto o = add_media("audio/ogg; codecs=opus", "OggS fake");
      o["voice"] = true;
      return o;
    }
    if (type == "document") {
      auto o = add_media("application/pdf", "%PDF-1.4 fake");
      o["filename"] = "file.pdf";
      o["caption"] = "A document";
      return o;
    }
    if (type == "sticker") {
      auto o = add_media("image/webp", "RIFF fake webp");
      o["animated"] = false;
      return o;
    }
    if (type == "location")
      return {{"latitude", 37.483307},
              {"longitude", -122.148981},
              {"name", "Pablo Morales"},
              {"address", "1 Hacker Way, Menlo Park, CA 94025"}};
    if (type == "interactive")
      return {{"type", "button_reply"}, {"button_reply", json::object{{"id", "yes"}, {"title", "Yes"}}}};
    if (type == "button") return {{"payload", "STOP_UPDATES"}, {"text", "Stop updates"}};
    if (type == "reaction")
      return {{"message_id", last_outbound.count(from) ? last_outbound[from] : "wamid.unknown"},
              {"emoji", "\xF0\x9F\x91\x8D"}};
    if (type == "order")
      return {{"catalog_id", "1234567890"},
              {"text", "Order"},
              {"product_items",
               json::array{json::object{
                   {"product_retailer_id", "sku-1"}, {"quantity", 1}, {"item_price", 9.99}, {"currency", "USD"}}}}};
    if (type == "system") return {{"body", "User changed number"}, {"wa_id", from}, {"type", "user_changed_number"}};
    return {};
  }

  http_response inbound(const json::object& o) {
    ctx c;
    const std::string phone = str_or(o, "phone_number_id", numbers.empty() ? "" : numbers.begin()->first);
    auto n = numbers.find(phone);
    if (n == numbers.end()) return error(c, {100, 0, "Unknown phone_number_id."});
    const std::string from = str_or(o, "from", "16505551234");
    const std::string type = str_or(o, "type", "text");
    const std::string wamid = str_or(o, "id", new_wamid(from));
    json::object m{{"from", from}, {"id", wamid}, {"timestamp", str_or(o, "timestamp", std::to_string(unix_now()))}};
    if (const auto* ctxv = o.if_contains("context")) m["context"] = *ctxv;
    if (const auto* ref = o.if_contains("referral")) m["referral"] = *ref;
    m["type"] = type;
    if (type == "contacts") {
      m["contacts"] =
          o.contains("contacts")
              ? o.at("contacts")
              : json::value(json::array{json::object{
                    {"name", json::object{{"formatted_name",
                                           "Luc\xC3\xAD"
                                           "a G\xC3\xB3mez"},
                                          {"first_name",
                                           "Luc\xC3\xAD"
                                           "a"}}},
                    {"phones", json::array{json::object{
                                   {"phone", "+1 (983) 555-2319"}, {"wa_id", "19835552319"}, {"type", "MOBILE"}}}}}});
    } else if (type == "unsupported") {
      m["errors"] = json::array{
          json::object{{"code", 131051},
                       {"title", "Message type unknown"},
                       {"message", "Message type unknown"},
                       {"error_data", json::object{{"details", "Message type is currently not supported."}}}}};
    } else if (const auto* content = o.if_contains(type); content && content->is_object()) {
      m[type] = *content;
    } else {
      auto def = default_content(type, n->second, from);
      if (def.empty()) return error(c, {100, 0, "Unknown inbound message type '" + type + "'."});
      m[type] = std::move(def);
    }
    // A user message opens (or resets) the 24 h customer-service window.
    if (type != "system" && type != "unsupported") n->second.last_inbound[from] = clock();
    if (inbound_ids.insert(n->second.id + "/" + wamid).second) inbound_order.push_back(n->second.id + "/" + wamid);
    if (inbound_order.size() > max_inbound_ids) {
      inbound_ids.erase(inbound_order.front());
      inbound_order.pop_front();
    }
    pending_update u;
    u.phone = phone;
    u.kind = "messages";
    u.item = std::move(m);
    u.contact = json::object{{"profile", json::object{{"name", str_or(o, "name", "Sheena Nelson")}}}, {"wa_id", from}};
    schedule(clock() + milliseconds(static_cast<std::int64_t>(num_or(o, "delay_ms", 0))), std::move(u));
    ++inbound_emitted;
    return json_response(c, json::object{{"id", wamid}});
  }

  // `POST /_admin/media`: a media item of `file_size` generated bytes (large-file tests, and
  // inbound webhooks that name it by id). The bytes are a fixed function of the size, so a
  // test can compute the same ones without asking the fake.
  http_response add_generated_media(const json::object& o) {
    ctx c;
    const std::string phone = str_or(o, "phone_number_id", numbers.empty() ? "" : numbers.begin()->first);
    auto n = numbers.find(phone);
    if (n == numbers.end()) return error(c, {100, 0, "Unknown phone_number_id."});
    const double size = num_or(o, "file_size", 1024);
    if (size < 1 || size > 200.0 * MB) return error(c, {100, 0, "file_size must be 1 to 200 MB."});
    if (media.size() >= max_media_items) media.erase(media.begin());
    media_rec rec{digits_id(16),
                  n->second.id,
                  str_or(o, "mime_type", "application/pdf"),
                  detail::generated_bytes(static_cast<std::size_t>(size)),
                  "",
                  clock() + std::chrono::seconds(knobs.media_ttl_s)};
    // `declared_sha256`: what Meta states when the bytes it serves are not those it hashed (a
    // file altered or cut short on its CDN); the download still serves the generated bytes.
    rec.sha = str_or(o, "declared_sha256", detail::sha256_base64(rec.data));
    const std::string id = rec.id;
    json::object out{{"id", id}, {"sha256", rec.sha}, {"mime_type", rec.mime}, {"file_size", rec.data.size()}};
    media[id] = std::move(rec);
    return json_response(c, std::move(out));
  }

  // ---------------------------------------------------------------- admin
  json::object stats() {
    json::object accepted, recipients, errors, async_failures;
    for (const auto& [k, v] : accepted_by_number) accepted[k] = v;
    for (const auto& [k, m] : accepted_by_recipient) {
      json::object per;
      for (const auto& [r, v] : m) per[r] = v;
      recipients[k] = std::move(per);
    }
    for (const auto& [k, v] : errors_by_code) errors[k] = v;
    for (const auto& [k, v] : async_failures_by_code) async_failures[k] = v;
    return {{"requests", requests},
            {"messages_accepted", std::move(accepted)},
            {"messages_accepted_by_recipient", std::move(recipients)},
            {"errors_by_code", std::move(errors)},
            {"async_failures_by_code", std::move(async_failures)},
            {"connection_resets", resets},
            {"inbound_emitted", inbound_emitted},
            {"webhooks", json::object{{"posts_delivered", wh_posts_ok},
                                      {"updates_delivered", wh_updates_ok},
                                      {"attempts", wh_attempts},
                                      {"failures", wh_failures},
                                      {"dropped", wh_dropped},
                                      {"duplicates", wh_duplicates},
                                      {"skipped_no_callback", wh_no_callback},
                                      {"pending", pending.size() + retries.size()}}},
            {"verify", json::object{{"ok", verify_ok}, {"failed", verify_failed}}}};
  }

  http_response admin(const http_request& req, const std::vector<std::string>& segs,
                      const std::map<std::string, std::string>& params) {
    ctx c;
    auto ok = [&](json::value v = json::object{{"success", true}}) {
      http_response r;
      r.headers = {{"content-type", "application/json"}};
      r.body = json::serialize(v);
      return r;
    };
    auto bad = [&](std::string msg) {
      http_response r;
      r.status = 400;
      r.headers = {{"content-type", "application/json"}};
      r.body = json::serialize(json::object{{"error", std::move(msg)}});
      return r;
    };
    const std::string what = segs.size() >= 2 ? segs[1] : "";
    const std::string& m = req.method;
    if (m == "GET" && what == "stats") return ok(stats());
    if (m == "GET" && what == "messages") {
      const std::string phone = params.count("phone_number_id") ? params.at("phone_number_id") : "";
      std::uint64_t since = 0;
      if (params.count("since")) since = std::strtoull(params.at("since").c_str(), nullptr, 10);
      json::array a;
      for (const auto& e : log)
        if ((phone.empty() || e.at("phone_number_id").as_string() == phone) &&
            e.at("seq").to_number<std::uint64_t>() > since)
          a.push_back(e);
      return ok(json::object{{"messages", std::move(a)}});
    }
    if (m == "GET" && what == "config") {
      json::array nums;
      for (const auto& [id, n] : numbers)
        nums.push_back(json::object{{"id", id},
                                    {"waba_id", n.waba_id},
                                    {"display_phone_number", n.display},
                                    {"mps", n.mps},
                                    {"pair_interval_ms", n.pair_interval_ms},
                                    {"pair_burst", n.pair_burst},
                                    {"callback_url", n.callback_url},
                                    {"registered", n.registered}});
      return ok(json::object{{"phone_numbers", std::move(nums)}});
    }
    if (m == "DELETE" && what == "inject") {
      injections.clear();
      return ok();
    }
    if (m != "POST") return bad("unknown admin endpoint");
    boost::system::error_code ec;
    json::value body = json::parse(req.body.empty() ? std::string_view("{}") : std::string_view(req.body), ec);
    if (ec || !body.is_object()) return bad("body must be a JSON object");
    const auto& o = body.get_object();
    if (what == "knobs") {
      apply_knobs(o);
      return ok();
    }
    if (what == "numbers") {
      const std::string id = str_or(o, "id");
      auto it = numbers.find(id);
      if (it == numbers.end()) {
        if (!wabas.count(str_or(o, "waba_id"))) return bad("new number needs a known waba_id");
        update_number(numbers[id], o, true);
      } else {
        const bool was_high = it->second.throughput == "HIGH";
        const std::string limit_before = it->second.messaging_limit;
        update_number(it->second, o, false);
        if (!was_high && it->second.throughput == "HIGH")
          throughput_upgraded(it->second, !o.contains("mps"));
        else if (it->second.messaging_limit != limit_before && !bool_or(o, "quiet", false))
          messaging_limit_changed(it->second, limit_before);  // quiet: a webhook Meta never delivered
      }
      return ok();
    }
    if (what == "tokens") {
      if (str_or(o, "token").empty()) return bad("token is required");
      upsert_token(o);
      return ok();
    }
    if (what == "inject") {
      injection inj;
      inj.code = static_cast<int>(num_or(o, "code", 0));
      if (inj.code <= 0) return bad("code is required");
      inj.remaining = static_cast<long>(num_or(o, "count", -1));
      inj.fraction = std::clamp(num_or(o, "fraction", 1.0), 0.0, 1.0);
      inj.async = str_or(o, "mode", "sync") == "async";
      inj.phone = str_or(o, "phone_number_id");
      inj.details = str_or(o, "details");
      inj.http_status = static_cast<unsigned>(num_or(o, "http_status", 0));
      if (inj.remaining == 0) return ok();
      injections.push_back(inj);
      return ok();
    }
    if (what == "reset_connections") {
      knobs.reset_remaining = static_cast<long>(num_or(o, "count", 0));
      knobs.reset_fraction = std::clamp(num_or(o, "fraction", 0.0), 0.0, 1.0);
      knobs.reset_after_processing = bool_or(o, "after_processing", false);
      return ok();
    }
    if (what == "inbound") return inbound(o);
    if (what == "media") return add_generated_media(o);
    if (what == "window") {
      auto n = numbers.find(str_or(o, "phone_number_id"));
      if (n == numbers.end()) return bad("unknown phone_number_id");
      if (bool_or(o, "open", true))
        n->second.last_inbound[str_or(o, "wa_id")] = clock();
      else
        n->second.last_inbound.erase(str_or(o, "wa_id"));
      return ok();
    }
    if (what == "templates") {
      auto w = wabas.find(str_or(o, "waba_id"));
      if (w == wabas.end()) return bad("unknown waba_id");
      for (auto& t : w->second.templates)
        if (t.name == str_or(o, "name") && (str_or(o, "language").empty() || t.language == str_or(o, "language"))) {
          set_template_status(w->second, t, str_or(o, "status", "APPROVED"));
          return ok();
        }
      if (o.contains("components")) {
        w->second.templates.push_back(make_template(o));
        return ok();
      }
      return bad("unknown template");
    }
    if (what == "template_quality" || what == "template_category") {
      auto refused = admin_template_change(o, what == "template_quality");
      return refused ? bad(*refused) : ok();
    }
    if (what == "verify") {
      auto n = numbers.find(str_or(o, "phone_number_id", numbers.empty() ? "" : numbers.begin()->first));
      if (n == numbers.end() || n->second.callback_url.empty()) return bad("number unknown or without callback_url");
      const std::string challenge = str_or(o, "challenge", digits_id(10));
      boost::urls::url u;
      auto parsed = boost::urls::parse_uri(n->second.callback_url);
      if (!parsed) return bad("callback_url is not a URL");
      u = *parsed;
      u.params().set("hub.mode", "subscribe");
      u.params().set("hub.challenge", challenge);
      u.params().set("hub.verify_token", str_or(o, "verify_token", n->second.verify_token));
      http_response r;
      r.verify = verify_plan{std::string(u.buffer()), challenge};
      return r;
    }
    if (what == "clear") {
      log.clear();
      accepted_by_number.clear();
      accepted_by_recipient.clear();
      errors_by_code.clear();
      async_failures_by_code.clear();
      requests = resets = inbound_emitted = 0;
      wh_posts_ok = wh_updates_ok = wh_attempts = wh_failures = wh_dropped = wh_duplicates = wh_no_callback = 0;
      verify_ok = verify_failed = 0;
      return ok();
    }
    return bad("unknown admin endpoint");
  }
};

graph_core::graph_core(std::string_view config_json) : impl_(std::make_unique<impl>()) { impl_->load(config_json); }
graph_core::~graph_core() = default;

http_response graph_core::handle(const http_request& req) {
  try {
    return impl_->handle(req);
  } catch (const std::exception& e) {
    // A bug must not take the fake down; answer like Graph's generic server error.
    impl::ctx c;
    graph_error err{1, 0, std::string("internal: ") + e.what()};
    err.http_status = 500;
    return impl_->error(c, err);
  }
}

std::vector<webhook_post> graph_core::take_due_webhooks() { return impl_->take_due(); }

void graph_core::on_webhook_result(const webhook_post& post, unsigned http_status, bool transport_ok) {
  impl_->on_result(post, http_status, transport_ok);
}

void graph_core::on_verify_result(bool ok) { ok ? ++impl_->verify_ok : ++impl_->verify_failed; }

http_response graph_core::on_override_verified(std::uint64_t ticket, bool ok, unsigned status) {
  return impl_->override_verified(ticket, ok, status);
}

void graph_core::set_base_url(std::string base_url) { impl_->base_url = std::move(base_url); }

std::chrono::milliseconds graph_core::webhook_timeout() const { return milliseconds(impl_->knobs.webhook_timeout_ms); }

std::size_t graph_core::max_body_bytes() { return 100 * MB + 1 * MB; }

void graph_core::set_clock(std::function<steady_time()> clock) { impl_->clock = std::move(clock); }

}  // namespace enfinito::fake_graph
